"""Debian's nginx in front of the service, with docs/deploy/nginx.conf: cache HITs and 304s,
and over HTTPS with the TLS lines its comments give."""

import pytest

from tests.helpers import fresh_alike, freshness, push_head, server_env
from tests.servers import fetch, get, nginx_in_front


@pytest.fixture(scope="module")
def nginx(public_live_server, tmp_path_factory):
    run = tmp_path_factory.mktemp("nginx")
    with nginx_in_front(public_live_server.url, run) as base:
        yield base, run


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


def test_a_push_shows_through_nginx_within_its_lifetime_and_stale_while_revalidate(tmp_path):
    """A tally kept `interval` seconds and served stale for as long again while nginx asks
    again: a push is what the first reader after interval + swr + 1 s sees, however long the
    copy sat unasked (with `proxy_cache_use_stale updating`, nginx served the old value
    for as long as nobody had asked: 30 and 55 s were seen)."""
    import hashlib
    import json
    import time
    import urllib.request

    from tests.servers import serving
    from tests.timelines import CALLS_TOKEN, ONGOING

    interval = 2
    assert hashlib.sha256(CALLS_TOKEN.encode()).hexdigest() in ONGOING
    timeline = ONGOING.replace("interval = 60", f"interval = {interval}")
    env = server_env(tmp_path, timeline, VOIPDOWN_PUBLIC_URL="http://127.0.0.1")
    (tmp_path / "nginx").mkdir()
    path = "/api/v1/counters/shutdown/tallies/calls?lang=en"
    with serving(env, workers=1) as (base, _), nginx_in_front(base, tmp_path / "nginx") as front:
        for value in (100, 200):
            status, headers, _ = get(front + path)  # in nginx's cache
            assert status == 200 and f"max-age={interval}," in headers["cache-control"]
            request = urllib.request.Request(
                base + "/api/v1/counters/shutdown/tallies/calls/samples",
                data=json.dumps({"value": value}).encode(),
                headers={"Authorization": f"Bearer {CALLS_TOKEN}", "Content-Type": "application/json"},
                method="POST",
            )
            assert urllib.request.urlopen(request).status == 201
            time.sleep(interval + interval + 1)  # nobody asks meanwhile
            assert json.loads(get(front + path)[2])["value"] == value


def test_a_forged_host_cannot_poison_the_documented_nginx(live_server, tmp_path):
    """Without VOIPDOWN_PUBLIC_URL (the live server has none), through docs/deploy/nginx.conf,
    whose cache key holds no host: the forger gets its own host's addresses, nobody else does."""
    with nginx_in_front(live_server.url, tmp_path) as front:
        for path in ("/embed/ongoing.js", "/api/v1/counters/ongoing?lang=en", "/ongoing?lang=fr", "/ongoing/feed.atom"):
            forged = get(front + path, {"Host": "evil.example"})
            assert forged[0] == 200 and b"evil.example" in forged[2], path  # the forger's own answer
            for _ in range(3):
                status, headers, body = get(front + path)
                assert status == 200 and b"evil.example" not in body, path
                assert headers.get("x-cache-status") != "HIT", path  # private: never stored


def test_slow_pushers_behind_nginx_cost_the_service_no_thread_and_a_stalled_body_is_a_408(tmp_path):
    """nginx reads a push's body whole before passing it on (docs/deploy/nginx.conf): twenty
    pushers sending a byte a second, more than one worker's whole share of writes, leave a
    plain push its 201 at once; a body that stops coming is cut after 5 s by nginx."""
    import hashlib
    import json
    import socket
    import threading
    import time
    import urllib.request

    from tests.servers import serving
    from tests.timelines import CALLS_TOKEN, ONGOING

    assert hashlib.sha256(CALLS_TOKEN.encode()).hexdigest() in ONGOING
    env = server_env(tmp_path, VOIPDOWN_PUBLIC_URL="http://127.0.0.1")
    (tmp_path / "nginx").mkdir()
    path = "/api/v1/counters/shutdown/tallies/calls/samples"
    with serving(env, workers=1) as (base, _), nginx_in_front(base, tmp_path / "nginx") as front:
        host, port = front.removeprefix("http://").split(":")
        body = json.dumps({"value": 5}).encode().ljust(40)
        head = push_head(host, path, CALLS_TOKEN, len(body))
        slow = [socket.create_connection((host, int(port)), timeout=20) for _ in range(20)]
        for connection in slow:
            connection.sendall(head + body[:1])
        stop = threading.Event()

        def trickle():
            for sent in range(1, 8):
                if stop.wait(1.0):
                    return
                for connection in slow:
                    connection.sendall(body[sent : sent + 1])

        feeder = threading.Thread(target=trickle)
        feeder.start()
        try:
            time.sleep(1.5)
            began = time.monotonic()
            request = urllib.request.Request(
                front + path,
                data=json.dumps({"value": 7}).encode(),
                headers={"Authorization": f"Bearer {CALLS_TOKEN}", "Content-Type": "application/json"},
                method="POST",
            )
            assert urllib.request.urlopen(request, timeout=10).status == 201
            assert time.monotonic() - began < 1.0
            stalled = socket.create_connection((host, int(port)), timeout=20)
            stalled.sendall(head + body[:3])  # and nothing more
            began = time.monotonic()
            assert stalled.recv(200) == b""  # nginx gives up on it (its 408) and closes the connection
            assert 4 <= time.monotonic() - began < 8
        finally:
            stop.set()
            feeder.join()
            for connection in slow:
                connection.close()


@pytest.fixture(scope="module")
def nginx_tls(tmp_path_factory):
    """The documented nginx with its documented TLS lines, a self-signed certificate for
    `localhost` standing for the ACME client's, in front of a service that knows it is
    https://localhost."""
    import ssl
    import subprocess

    from tests.servers import nginx_tls_in_front, serving

    folder = tmp_path_factory.mktemp("nginx-tls")
    certificate, key, acme = folder / "fullchain.pem", folder / "privkey.pem", folder / "acme"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2"]
        + ["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"]
        + ["-keyout", str(key), "-out", str(certificate)],
        check=True,
        capture_output=True,
    )
    (acme / ".well-known" / "acme-challenge").mkdir(parents=True)
    (acme / ".well-known" / "acme-challenge" / "token-1").write_text("token-1.thumbprint")
    (folder / "run").mkdir()
    env = server_env(folder, VOIPDOWN_PUBLIC_URL="https://localhost", VOIPDOWN_TRUST_PROXY="1")
    with (
        serving(env, workers=1) as (direct, _),
        nginx_tls_in_front(direct, folder / "run", certificate, key, acme) as tls,
    ):
        yield direct, tls, ssl.create_default_context(cafile=str(certificate))


def test_a_copy_served_later_keeps_the_services_date_so_a_browser_keeps_it_no_longer(nginx):
    """A count is fresh until midnight: served from nginx's cache a while later with the same
    max-age, it must still say when it was made, or a browser would keep it past midnight."""
    import time

    base, _ = nginx
    path = "/badge/ongoing.svg?lang=fr&style=flat"
    first = get(base + path)[1]
    time.sleep(1.2)
    later = get(base + path)[1]
    assert later["x-cache-status"] == "HIT" and later["cache-control"] == first["cache-control"]
    assert freshness(later) == freshness(first)


@pytest.mark.parametrize(
    "path, encoding",
    [
        ("/badge/shutdown.svg?lang=ar", "br"),
        ("/api/v1/counters/shutdown?lang=en", "gzip"),
        ("/shutdown?lang=zgh", "br"),
        ("/embed/shutdown.js", "gzip"),
        ("/api/v1/counters/shutdown/tallies/calls/samples.csv", "identity"),
    ],
)
def test_answers_pass_through_the_documented_tls_lines_unchanged_and_cached(nginx_tls, path, encoding):
    direct, tls, context = nginx_tls
    headers = {"Accept-Encoding": encoding}
    status, mine, body = get(direct + path, headers)
    for _ in range(2):
        status_tls, theirs, body_tls = fetch(tls.https + path, context, headers=headers)
        assert status == status_tls == 200
        for name in ("etag", "vary", "content-encoding", "content-type", "content-security-policy"):
            assert mine.get(name) == theirs.get(name), name
        assert fresh_alike(mine, theirs), (mine["cache-control"], theirs["cache-control"])
        assert body_tls == body  # compressed by the service, not again by nginx
        assert theirs["strict-transport-security"] == "max-age=31536000"
    if "s-maxage" in mine["cache-control"]:
        assert theirs["x-cache-status"] == "HIT"
    if "etag" in theirs:
        again, _, empty = fetch(tls.https + path, context, headers={**headers, "If-None-Match": theirs["etag"]})
        assert again == 304 and empty == b""


def test_the_documented_tls_lines_speak_http2_redirect_plain_http_and_answer_acme(nginx_tls):
    import http.client
    import socket
    import ssl
    import urllib.error
    from urllib.parse import urlsplit

    _, tls, context = nginx_tls
    offering_h2 = ssl.create_default_context(cadata=ssl.DER_cert_to_PEM_cert(context.get_ca_certs(True)[0]))
    offering_h2.set_alpn_protocols(["h2", "http/1.1"])
    port = urlsplit(tls.https).port
    with socket.create_connection(("127.0.0.1", port)) as raw:
        with offering_h2.wrap_socket(raw, server_hostname="localhost") as secured:
            assert secured.selected_alpn_protocol() == "h2" and secured.version() in ("TLSv1.2", "TLSv1.3")
    plain = http.client.HTTPConnection("127.0.0.1", urlsplit(tls.http).port, timeout=10)
    plain.request("GET", "/badge/shutdown.svg?lang=fr", headers={"Host": "localhost"})
    moved = plain.getresponse()
    assert moved.status == 301 and moved.getheader("Location") == "https://localhost/badge/shutdown.svg?lang=fr"
    moved.read()
    plain.request("GET", "/.well-known/acme-challenge/token-1", headers={"Host": "localhost"})
    challenge = plain.getresponse()
    assert challenge.status == 200 and challenge.read() == b"token-1.thumbprint"
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        fetch(tls.https + "/healthz", ssl.create_default_context())  # trusted only where told


def test_a_push_through_the_documented_tls_lines_is_stored(nginx_tls):
    import json

    from tests.timelines import CALLS_TOKEN

    direct, tls, context = nginx_tls
    auth = {"Authorization": f"Bearer {CALLS_TOKEN}", "Content-Type": "application/json"}
    status, headers, answer = fetch(
        tls.https + "/api/v1/counters/shutdown/tallies/calls/samples", context, "POST", auth, b'{"value": 8765}'
    )
    assert status == 201 and json.loads(answer)["tally"]["value"] == 8765 and headers["cache-control"] == "no-store"
    assert json.loads(get(direct + "/api/v1/counters/shutdown/tallies/calls")[2])["value"] == 8765
