"""`voipdown serve` answers real HTTP from a real production server process."""

import json
import os
import subprocess
import sys
import time

import pytest

from bench.local import free_port, get


def start_server():
    """Start `voipdown serve` in a subprocess; return its base URL and process once it answers."""
    port = free_port()
    env = {**os.environ, "TZ": "Pacific/Kiritimati"}  # a server far from Casablanca
    env.pop("VOIPDOWN_TIMELINE", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "voipdown", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if get(base + "/healthz")[0] == 200:
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(process.stdout.read().decode())
        time.sleep(0.2)
    return base, process


@pytest.fixture(scope="module")
def server():
    base, process = start_server()
    yield base, process
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


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


def test_no_access_log_of_visitors():
    base, process = start_server()
    try:
        assert get(base + "/api/v1/counters", {"X-Forwarded-For": "203.0.113.77"})[0] == 200
    finally:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate(timeout=10)
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
