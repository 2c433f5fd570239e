"""`voipdown serve` answers real HTTP from a real production server process."""

import json
import os
import subprocess
import sys

import pytest

from tests.servers import ROOT, free_port, get, serving

AWAY = {"TZ": "Pacific/Kiritimati", "VOIPDOWN_TIMELINE": ""}
"""A server far from Casablanca, on the bundled timeline."""


@pytest.fixture(scope="module")
def server():
    with serving(AWAY) as running:
        yield running


def test_serves_the_bundled_timeline(server):
    base, _ = server
    status, headers, body = get(base + "/api/v1/counters/voip-ma", {"Accept-Language": "ar"})
    assert status == 200
    data = json.loads(body)
    assert (data["days"], data["status"], data["lang"]) == (304, "ended", "ar")
    assert headers["server"] == "granian"
    assert "set-cookie" not in headers


def test_errors_over_http(server):
    base, _ = server
    status, _, body = get(base + "/api/v1/counters/voip-ma?lang=%3Cb%3E")
    assert status == 400 and b"<b>" not in body
    assert get(base + "/api/v1/counters/unknown")[0] == 404


def test_no_access_log_of_visitors(tmp_path):
    log = tmp_path / "server.log"
    with serving(AWAY, log=log) as (base, _):
        assert get(base + "/api/v1/counters", {"X-Forwarded-For": "203.0.113.77"})[0] == 200
    output = log.read_bytes()
    assert b"Listening at" in output  # the log was captured...
    assert b"/api/v1/counters" not in output and b"203.0.113.77" not in output  # ...and holds no request


def test_serve_refuses_an_invalid_timeline(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[counters.x]\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "voipdown", "serve", "--port", str(free_port())],
        env={**os.environ, "VOIPDOWN_TIMELINE": str(bad)},
        capture_output=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert b"bad.toml" in result.stderr and b"counters.x.timezone" in result.stderr


def test_what_a_reader_downloads_stays_within_its_budget():
    """Bytes on the wire from the real server (bench/wire.py, run as a program, far from
    Casablanca), as a browser asks (gzip, deflate, br) and as an older client."""
    command = [sys.executable, "bench/wire.py", "--json"]
    done = subprocess.run(
        command, cwd=ROOT, env={**os.environ, "TZ": AWAY["TZ"]}, capture_output=True, text=True, timeout=300, check=True
    )
    found = json.loads(done.stdout)
    sizes, ribbon_2016 = found["sizes"], found["ribbon_2016"]
    for kind, budget in found["budgets"].items():
        assert sizes[kind]["browser"]["bytes"] <= budget, (kind, sizes[kind])
        assert sizes[kind]["gzip"]["bytes"] <= budget, (kind, sizes[kind])  # an older client too
    assert sizes["inline footer (script and its badge)"]["browser"]["bytes"] < ribbon_2016


def test_a_second_service_on_a_taken_port_fails_clearly(server, tmp_path):
    """Granian's workers share their port (SO_REUSEPORT): without a check, a second service
    with another timeline would start and take half the requests."""
    import socket

    base, _ = server
    port = int(base.rsplit(":", 1)[1])
    command = [sys.executable, "-m", "voipdown", "serve", "--port", str(port), "--workers", "1"]
    second = subprocess.run(command, env={**os.environ, **AWAY}, capture_output=True, text=True, timeout=60)
    assert second.returncode == 1 and f"127.0.0.1:{port} is already in use" in second.stderr, second.stderr
    assert get(base + "/healthz")[0] == 200  # the first one still answers, alone
    with socket.socket() as other:  # any other program's listener too
        other.bind(("127.0.0.1", 0))
        other.listen()
        taken = other.getsockname()[1]
        command[5] = str(taken)
        third = subprocess.run(command, env={**os.environ, **AWAY}, capture_output=True, text=True, timeout=60)
    assert third.returncode == 1 and "already in use" in third.stderr, third.stderr
