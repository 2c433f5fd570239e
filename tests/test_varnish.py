"""Debian's Varnish, with its default configuration (no VCL of ours), in front of the service:
what a shared cache nobody here configured makes of our headers."""

import os
import shutil
import subprocess

import pytest

from tests.servers import free_port, get, wait_tcp

VARNISHD = shutil.which("varnishd") or "/usr/sbin/varnishd"
VARNISHSTAT = shutil.which("varnishstat") or "/usr/bin/varnishstat"


@pytest.fixture(scope="module")
def varnish(public_live_server, tmp_path_factory):
    assert os.path.exists(VARNISHD), "varnish is missing: scripts/system-packages --test installs it"
    work = tmp_path_factory.mktemp("varnish")
    port = free_port()
    backend = public_live_server.url.removeprefix("http://")
    jail = [] if os.geteuid() == 0 else ["-j", "none"]
    command = [VARNISHD, "-F", "-a", f"127.0.0.1:{port}", "-b", backend, "-n", str(work / "n"), "-s", "malloc,64m"]
    process = subprocess.Popen(command + jail, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_tcp(port, process)

    def stat(name: str) -> int:
        output = subprocess.run(
            [VARNISHSTAT, "-n", str(work / "n"), "-1", "-f", name], capture_output=True, text=True, check=True
        ).stdout
        return int(output.split()[1])

    yield f"http://127.0.0.1:{port}", stat
    process.terminate()
    process.wait(timeout=10)


def hit(headers) -> bool:
    """Varnish names two transactions in X-Varnish when it answered from its store."""
    return len(headers["x-varnish"].split()) == 2


@pytest.mark.parametrize(
    "path",
    [
        "/badge/ongoing.svg?lang=ar",
        "/badge/ongoing.png?lang=fr&scale=3",
        "/api/v1/counters/ongoing?lang=en",
        "/embed/ongoing.js",
        "/embed/ongoing/frame?lang=zgh",
        "/ongoing?lang=ar",
        "/ongoing/feed.atom?lang=fr",
        "/ongoing/share.png?lang=en",
        "/api/openapi.json",
        "/static/embed/builder.js",
        "/favicon.ico",
    ],
)
def test_every_kind_of_answer_is_a_hit_and_revalidates(varnish, path):
    base, _ = varnish
    first = get(base + path, {"Accept-Encoding": "gzip"})
    second = get(base + path, {"Accept-Encoding": "gzip"})
    assert first[0] == second[0] == 200 and second[2] == first[2]
    assert hit(second[1]), second[1]
    assert get(base + path, {"Accept-Encoding": "gzip", "If-None-Match": second[1]["etag"]})[0] == 304


def test_one_stored_object_for_a_badge_asked_in_its_language(varnish):
    base, stat = varnish
    path = "/badge/ended.svg?lang=fr&style=plastic"
    get(base + path)
    misses, objects = stat("MAIN.cache_miss"), stat("MAIN.n_object")
    languages = ["ar", "fr", "en", "zgh", "de", "es", "it", "nl", "pt", "ru"]
    for n in range(20):
        status, headers, _ = get(base + path, {"Accept-Language": f"{languages[n % 10]};q=0.{9 - n // 10}, *;q=0.1"})
        assert status == 200 and hit(headers)
    assert stat("MAIN.cache_miss") == misses and stat("MAIN.n_object") == objects


def test_a_browser_never_gets_the_json_a_tool_asked_first(varnish):
    base, _ = varnish
    for path in ("/no/such/page", "/no-such-counter"):
        tool = get(base + path, {"Accept": "*/*"})
        page = get(base + path, {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
        assert tool[0] == page[0] == 404
        assert page[1]["content-type"].startswith("text/html"), path
        again = get(base + path, {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
        assert again[1]["content-type"].startswith("text/html") and again[2] == page[2]


def test_languages_chosen_by_the_header_are_kept_apart(varnish):
    base, _ = varnish
    arabic = get(base + "/badge/ended.svg", {"Accept-Language": "ar"})
    french = get(base + "/badge/ended.svg", {"Accept-Language": "fr"})
    assert arabic[2] != french[2]
    again = get(base + "/badge/ended.svg", {"Accept-Language": "ar"})
    assert again[2] == arabic[2] and hit(again[1])
