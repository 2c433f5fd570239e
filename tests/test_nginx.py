"""Debian's nginx in front of the service, with docs/deploy/nginx.conf: cache HITs and 304s."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.servers import free_port, get, wait_tcp

CONFIG = Path(__file__).parent.parent / "docs" / "deploy" / "nginx.conf"


@pytest.fixture(scope="module")
def nginx(live_server, tmp_path_factory):
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    assert os.path.exists(binary), "nginx is missing: scripts/system-packages --test installs it"
    run = tmp_path_factory.mktemp("nginx")
    port = free_port()
    config = (
        CONFIG.read_text()
        .replace("@@USER@@", "user root;" if os.geteuid() == 0 else "")
        .replace("@@RUN@@", str(run))
        .replace("@@UPSTREAM@@", live_server.url.removeprefix("http://"))
        .replace("@@LISTEN@@", f"127.0.0.1:{port}")
    )
    (run / "nginx.conf").write_text(config)
    process = subprocess.Popen([binary, "-c", str(run / "nginx.conf"), "-p", str(run)], stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    wait_tcp(port, process, timeout=10)
    yield base, run
    process.terminate()
    process.wait(timeout=10)


@pytest.mark.parametrize(
    "path", ["/badge/ongoing.svg?lang=ar", "/api/v1/counters/ongoing?lang=fr", "/embed/ongoing.js", "/ongoing?lang=zgh"]
)
def test_cache_hits_and_304s(nginx, path):
    base, _ = nginx
    status, headers, body = get(base + path)
    assert status == 200 and headers["x-cache-status"] in ("MISS", "EXPIRED", "HIT")
    status, headers, again = get(base + path)
    assert status == 200 and headers["x-cache-status"] == "HIT" and again == body
    status, headers, empty = get(base + path, {"If-None-Match": headers["etag"]})
    assert status == 304 and empty == b"" and headers["x-cache-status"] == "HIT"


def test_languages_are_kept_apart(nginx):
    base, _ = nginx
    arabic = get(base + "/badge/ended.svg", {"Accept-Language": "ar"})[2]
    french = get(base + "/badge/ended.svg", {"Accept-Language": "fr"})[2]
    assert arabic != french
    assert get(base + "/badge/ended.svg", {"Accept-Language": "ar"})[2] == arabic


def test_no_access_log_is_written(nginx):
    base, run = nginx
    get(base + "/badge/ended.png", {"X-Forwarded-For": "203.0.113.9"})
    logged = " ".join(path.read_text(errors="replace") for path in run.glob("*.log"))
    assert "203.0.113.9" not in logged and "127.0.0.1 -" not in logged


@pytest.mark.parametrize("path", ["/badge/ended.svg?lang=ar", "/embed/ongoing.js", "/ongoing?lang=fr"])
def test_compressed_answers_pass_through_the_cache_per_encoding(nginx, path):
    import gzip

    import brotli

    base, _ = nginx
    plain = get(base + path)[2]
    for header, encoding, decode in (("gzip, deflate, br", "br", brotli.decompress), ("gzip", "gzip", gzip.decompress)):
        for _ in range(2):
            status, headers, body = get(base + path, {"Accept-Encoding": header})
            assert status == 200 and headers["content-encoding"] == encoding, headers
            assert decode(body) == plain and len(body) < len(plain)
        assert headers["x-cache-status"] == "HIT"
        assert get(base + path, {"Accept-Encoding": header, "If-None-Match": headers["etag"]})[0] == 304
    assert "content-encoding" not in get(base + path, {"Accept-Encoding": "identity"})[1]
