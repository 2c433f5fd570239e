"""Hostile input to every endpoint: nothing reflected, nothing 5xx, other methods 405."""

import pytest


@pytest.fixture(scope="module")
def bundled(make_app):
    """The service on the bundled timeline, discovery off."""
    return make_app(None, VOIPDOWN_DISCOVERY="off")


MARK = "zq9x"  # in every payload, so a reflection is easy to see
PAYLOADS = [
    f"<script>alert('{MARK}')</script>",
    f'"><img src=x onerror={MARK}>',
    f"'{MARK}' onmouseover='x",
    f"javascript:{MARK}",
    f"{MARK}" + "A" * 5000,
    f"\u202e{MARK}\u200b",
    f"ＶＯＩＰ{MARK}",
    f"{MARK}\x00\x01",
    f"../../etc/passwd{MARK}",
    f"%2e%2e%2f{MARK}",
]
PATHS = [
    "/api/v1/counters",
    "/api/v1/counters/{slug}",
    "/api/v1/counters/{slug}/shields.json",
    "/api/v1/counters/{slug}/tallies",
    "/api/v1/counters/{slug}/tallies/inwi",
    "/api/v1/counters/{slug}/tallies/inwi/samples",
    "/api/v1/counters/{slug}/tallies/inwi/samples.csv",
    "/api/v1/counters/{slug}/tallies/inwi/shields.json",
    "/badge/{slug}/inwi.svg",
    "/chart/{slug}/inwi.svg",
    "/chart/{slug}/inwi.png",
    "/badge/{slug}.svg",
    "/badge/{slug}.png",
    "/badges",
    "/embed",
    "/embed/{slug}.js",
    "/embed/{slug}/frame",
    "/",
    "/{slug}",
    "/{slug}/share.png",
    "/{slug}/tallies/inwi",
    "/{slug}/feed.atom",
    "/feed.atom",
    "/healthz",
    "/api/openapi.json",
]
PARAMETERS = [
    *("lang", "style", "color", "scale", "theme", "position", "counter", "utm_source"),
    *("size", "page", "since", "until", "points", "at"),
]


def check(response):
    assert response.status_code < 500, response.status_code
    assert MARK.encode() not in response.data
    for name, value in response.headers.items():
        assert MARK not in value, name


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_in_parameters_and_headers(bundled, path, payload):
    client = bundled.test_client()
    url = path.format(slug="voip-ma")
    for name in PARAMETERS:
        check(client.get(url, query_string={name: payload}))
    headers = {"Accept-Language": payload, "Origin": payload, "Referer": payload, "If-None-Match": payload}
    check(client.get(url, headers={k: v.encode("utf-8").decode("latin-1") for k, v in headers.items()}))


@pytest.mark.parametrize("path", [p for p in PATHS if "{slug}" in p])
@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_as_slugs(bundled, path, payload):
    response = bundled.test_client().get(path.format(slug=payload))
    check(response)
    assert response.status_code in (400, 404, 405)


def test_a_badge_address_no_route_matches_is_still_an_image(bundled):
    response = bundled.test_client().get("/badge/voip-ma%0A.svg")
    assert response.status_code == 404 and response.headers["Content-Type"].startswith("image/svg+xml")


@pytest.mark.parametrize(
    "raw",
    [
        "/badge/%ff%fe.svg",
        "/voip-ma?lang=%ff",
        "/api/v1/counters/%c0%af",
        "/%zz",
        "/embed/%00.js",
        "/badge/voip-ma.svg?style=%e2%80%ae",
    ],
)
def test_invalid_utf8_and_percent_encoding(bundled, raw):
    response = bundled.test_client().get(raw)
    assert response.status_code < 500


@pytest.mark.parametrize(
    "path, method",
    [
        (path.format(slug="voip-ma"), method)
        for path in PATHS
        for method in ("POST", "PUT", "DELETE", "PATCH", "TRACE")
        if not (path.endswith("/samples") and method in ("POST", "DELETE"))  # pushes: tests below
    ],
)
def test_unsupported_methods_are_405(bundled, path, method):
    response = bundled.test_client().open(path, method=method, data=f"<b>{MARK}</b>")
    assert response.status_code == 405
    assert MARK.encode() not in response.data


@pytest.mark.parametrize("path", [p.format(slug="voip-ma") for p in PATHS])
def test_head_and_options(bundled, path):
    client = bundled.test_client()
    assert client.head(path).status_code in (200, 400)
    assert client.options(path).status_code == 200


HTML_PAGES = ["/", "/voip-ma", "/embed", "/badges", "/embed/voip-ma/frame"]


@pytest.mark.parametrize("path", HTML_PAGES)
def test_html_security_headers(bundled, path):
    response = bundled.test_client().get(path)
    policy = response.headers["Content-Security-Policy"]
    script = next((part for part in policy.split(";") if part.strip().startswith("script-src")), "")
    assert "unsafe-inline" not in script and "unsafe-eval" not in script
    if path.endswith("/frame"):
        assert "frame-ancestors" not in policy  # framed anywhere, by design
    else:
        assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("no-referrer", "strict-origin-when-cross-origin")


# Pushes: hostile bodies with the right token reach the parser; nothing is reflected or 5xx.
HOSTILE_BODIES = [
    ("application/json", b'{"value": 1', 400, "bad_body"),  # broken
    ("application/json", b'{"value": NaN}', 400, "bad_body"),
    ("application/json", b'{"value": Infinity}', 400, "bad_body"),
    ("application/json", b'{"value": 1e400}', 400, "bad_sample"),
    ("application/json", b'{"value": 1.5}', 400, "bad_sample"),
    ("application/json", b'{"value": 123.0}', 400, "bad_sample"),
    ("application/json", b'{"value": true}', 400, "bad_sample"),
    ("application/json", b'{"value": 10000000000000001}', 400, "bad_sample"),
    ("application/json", ('{"value": "' + MARK + '"}').encode(), 400, "bad_sample"),
    ("application/json", ('{"at": "' + MARK + '", "value": 1}').encode(), 400, "bad_sample"),
    ("application/json", ('{"value": 1, "' + MARK + '": 2}').encode(), 400, "bad_sample"),
    ("application/json", b"[" * 100_000 + b"]" * 100_000, 400, "bad_body"),  # deep nesting
    ("application/json", b'{"samples": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", 400, "bad_body"),
    ("application/json", b'{"value": 1}' + b" " * (300 * 1024), 413, "too_large"),  # oversized
    ("application/json", b"\xff\xfe", 400, "bad_body"),
    ("text/csv", ("at,value\n" + MARK + ",1\n").encode(), 400, "bad_sample"),
    ("text/csv", b'at,value\n"2026-01-01T00:00:00Z",1\n', 400, "bad_sample"),
    ("text/plain", ("value=" + MARK).encode(), 415, "unsupported_media_type"),
    ("application/x-www-form-urlencoded", ("value=" + MARK).encode(), 415, "unsupported_media_type"),
    ("multipart/form-data; boundary=x", ("--x\r\n" + MARK).encode(), 415, "unsupported_media_type"),
]
"""(Content-Type, body, the status and the one error code each must get)."""


@pytest.mark.parametrize("content_type, body, status, code", HOSTILE_BODIES)
def test_hostile_push_bodies(make_app, tmp_path, content_type, body, status, code):
    from tests.timelines import CALLS_TOKEN, ONGOING

    app = make_app(ONGOING, VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3"))
    client = app.test_client()
    path = "/api/v1/counters/shutdown/tallies/calls/samples"
    response = client.post(
        path, data=body, headers={"Authorization": f"Bearer {CALLS_TOKEN}", "Content-Type": content_type}
    )
    check(response)
    assert (response.status_code, response.get_json()["error"]["code"]) == (status, code)
    assert app.extensions["voipdown"].tallies.store.version("shutdown", "calls").samples == 0  # nothing stored
    another = client.post(
        "/api/v1/counters/shutdown/tallies/calls/samples",
        json={"value": 1},
        headers={"Authorization": f"Bearer {MARK}"},
    )
    check(another)
    assert another.status_code == 401
