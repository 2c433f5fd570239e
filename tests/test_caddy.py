"""docs/deploy/Caddyfile in front of the real service, over real HTTPS (Debian's Caddy with
`tls internal`, a client trusting Caddy's local CA): cache headers, compressed bodies and
pushes pass through unchanged."""

import json
import shutil
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import fresh_alike, server_env
from tests.servers import fetch, free_port, serving, stop, wait_tcp
from tests.timelines import CALLS_TOKEN

CADDYFILE = Path(__file__).resolve().parents[1] / "docs" / "deploy" / "Caddyfile"
PASSED_ON = ("etag", "vary", "content-encoding", "content-type", "content-security-policy")

pytestmark = pytest.mark.skipif(shutil.which("caddy") is None, reason="Debian's caddy (scripts/system-packages --test)")


@pytest.fixture(scope="module")
def behind_caddy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("caddy")
    env = server_env(folder, VOIPDOWN_PUBLIC_URL="https://localhost", VOIPDOWN_TRUST_PROXY="1")
    with serving(env, workers=1) as (direct, _):
        https, http = free_port(), free_port()
        # The documented file, with what a test host needs first: no admin port, its own
        # storage, Caddy's local CA instead of a public one (nothing here is reachable from the internet).
        site = CADDYFILE.read_text()
        site = site.replace(
            "{$VOIPDOWN_SITE:count.example.org} {\n", "{$VOIPDOWN_SITE:count.example.org} {\n\ttls internal\n"
        )
        config = folder / "Caddyfile"
        config.write_text(
            "{\n\tadmin off\n\tskip_install_trust\n"
            f"\tstorage file_system {folder / 'data'}\n\thttp_port {http}\n\thttps_port {https}\n}}\n" + site
        )
        upstream = direct.removeprefix("http://")
        process = subprocess.Popen(
            ["caddy", "run", "--config", str(config), "--adapter", "caddyfile"],
            env={
                "PATH": "/usr/bin:/bin",
                "HOME": str(folder),
                "VOIPDOWN_SITE": f"localhost:{https}",
                "VOIPDOWN_UPSTREAM": upstream,
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_tcp(https, process)
            root = folder / "data" / "pki" / "authorities" / "local" / "root.crt"
            deadline = time.monotonic() + 20
            while not root.exists():
                assert time.monotonic() < deadline, "Caddy made no local CA"
                time.sleep(0.1)
            context = ssl.create_default_context(cafile=str(root))
            yield direct, f"https://localhost:{https}", context
        finally:
            stop(process)


@pytest.mark.parametrize(
    "path, encoding",
    [
        ("/badge/shutdown.svg?lang=fr", "br"),
        ("/api/v1/counters/shutdown?lang=en", "gzip"),
        ("/shutdown?lang=ar", "br"),
        ("/embed/shutdown.js", "gzip"),
        ("/api/v1/counters/shutdown/tallies/calls/samples.csv", "identity"),
    ],
)
def test_answers_pass_through_caddy_over_https_unchanged(behind_caddy, path, encoding):
    direct, https, context = behind_caddy
    headers = {"Accept-Encoding": encoding}
    status, mine, body = fetch(direct + path, headers=headers)
    status_tls, theirs, body_tls = fetch(https + path, context, headers=headers)
    assert status == status_tls == 200
    for name in PASSED_ON:
        assert mine.get(name) == theirs.get(name), name
    assert fresh_alike(mine, theirs), (mine["cache-control"], theirs["cache-control"])
    assert body_tls == body  # the same bytes: compressed by the service, not again by Caddy
    if encoding != "identity":
        assert theirs["content-encoding"] == encoding
    if "etag" in theirs:
        again, _, empty = fetch(https + path, context, headers={**headers, "If-None-Match": theirs["etag"]})
        assert again == 304 and empty == b""


def test_a_push_through_caddy_is_stored_and_a_forged_certificate_is_refused(behind_caddy):
    direct, https, context = behind_caddy
    body = json.dumps({"value": 4321}).encode()
    auth = {"Authorization": f"Bearer {CALLS_TOKEN}", "Content-Type": "application/json"}
    status, headers, answer = fetch(
        https + "/api/v1/counters/shutdown/tallies/calls/samples", context, "POST", auth, body
    )
    assert status == 201 and json.loads(answer)["tally"]["value"] == 4321 and headers["cache-control"] == "no-store"
    _, _, shown = fetch(direct + "/api/v1/counters/shutdown/tallies/calls")
    assert json.loads(shown)["value"] == 4321
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        fetch(https + "/healthz", ssl.create_default_context())  # Caddy's local CA is trusted only where told
