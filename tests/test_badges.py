"""`/badge/<slug>.svg` and `.png` over HTTP: parameters, errors as images, headers."""

import io
import xml.etree.ElementTree as ElementTree

import pytest
from PIL import Image

SVG_TYPE = "image/svg+xml; charset=utf-8"


@pytest.fixture
def badge_client(every_status_app):
    return every_status_app.test_client()


def sentence(response):
    return ElementTree.fromstring(response.data).get("aria-label")


def test_svg_badge_and_headers(badge_client):
    response = badge_client.get("/badge/ended.svg?lang=en")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == SVG_TYPE
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in response.headers
    assert sentence(response) == "VoIP block in Morocco: lifted after 304 days"


def test_png_badge_scale(badge_client):
    svg = ElementTree.fromstring(badge_client.get("/badge/ended.svg?lang=ar&style=plastic").data)
    for query, scale in (("", 2), ("&scale=1", 1), ("&scale=4", 4)):
        response = badge_client.get(f"/badge/ended.png?lang=ar&style=plastic{query}")
        assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
        image = Image.open(io.BytesIO(response.data))
        assert image.size == (int(svg.get("width")) * scale, int(svg.get("height")) * scale)


def test_language_from_accept_language(badge_client):
    response = badge_client.get("/badge/ended.svg", headers={"Accept-Language": "ar-MA,ar;q=0.9"})
    assert sentence(response) == "حجب المكالمات عبر الإنترنت في المغرب: رُفع بعد 304 أيام"
    assert "Accept-Language" in response.headers["Vary"]


def test_color_and_style_choose_from_our_sets(badge_client):
    response = badge_client.get("/badge/ended.svg?color=purple&style=for-the-badge")
    assert response.status_code == 200
    assert b'fill="#7e22ce"' in response.data and b'height="28"' in response.data


def test_unknown_parameters_are_ignored(badge_client):
    plain = badge_client.get("/badge/ended.svg?lang=fr").data
    assert badge_client.get("/badge/ended.svg?lang=fr&utm_source=x&_=1&label=hacked").data == plain


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("style=shiny", "style"),
        ("color=%23ff0000", "color"),
        ("lang=de", "lang"),
        ("scale=9", "scale"),
        ("scale=2.5", "scale"),
    ],
)
@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_bad_value_is_a_400_error_badge(badge_client, query, parameter, fmt):
    if parameter == "scale" and fmt == "svg":
        response = badge_client.get(f"/badge/ended.svg?{query}")
        assert response.status_code == 200  # scale is for PNG only
        return
    response = badge_client.get(f"/badge/ended.{fmt}?{query}", headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == (SVG_TYPE if fmt == "svg" else "image/png")
    if fmt == "svg":
        assert sentence(response) == f"counter: invalid {parameter}"
    else:
        Image.open(io.BytesIO(response.data)).verify()


@pytest.mark.parametrize(
    "path", ["/badge/nothing.svg", "/badge/nothing.png", "/badge/ended.gif", "/badge/a/b.svg", "/badge/.svg"]
)
def test_unknown_counter_or_format_is_a_404_image(badge_client, path):
    response = badge_client.get(path, headers={"Accept-Language": "fr"})
    assert response.status_code == 404
    assert response.headers["Content-Type"] in (SVG_TYPE, "image/png")
    if response.headers["Content-Type"] == SVG_TYPE:
        assert sentence(response) == "compteur: introuvable"


def test_internal_error_is_a_500_image(badge_client, monkeypatch):
    from voipdown.web import badges

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(badges, "counter_badge", broken)
    response = badge_client.get("/badge/ongoing.svg?lang=en&style=flat-square")
    assert response.status_code == 500
    assert sentence(response) == "counter: unavailable"
    assert b"boom" not in response.data


HOSTILE = [
    "<script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "' onmouseover='x",
    "9" * 400,
    "-424242",
    "١",
    "\u202eevil",
    "%00",
    "ﬀ",
    "red;background:url(http://evil)",
]


@pytest.mark.parametrize("payload", HOSTILE)
@pytest.mark.parametrize("parameter", ["lang", "style", "color", "scale"])
@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_hostile_parameters_never_fail_nor_appear(badge_client, payload, parameter, fmt):
    response = badge_client.get(f"/badge/ended.{fmt}", query_string={parameter: payload})
    assert response.status_code in (200, 400)
    if fmt == "svg" or len(payload.encode()) >= 8:  # short byte strings occur by chance in compressed PNG data
        assert payload.encode() not in response.data
    assert b"evil" not in response.data and b"alert" not in response.data


def test_hostile_slugs(badge_client):
    for slug in ("<script>", "..%2F..%2Fetc%2Fpasswd", "ended%00", "x" * 3000, "ＥＮＤＥＤ"):
        response = badge_client.get(f"/badge/{slug}.svg")
        assert response.status_code == 404
        assert b"script" not in response.data and b"passwd" not in response.data


def test_alias_redirects_to_the_current_slug(make_app, tmp_path):
    from tests.timelines import ONGOING

    path = tmp_path / "t.toml"
    path.write_text(ONGOING, encoding="utf-8")
    client = make_app(path).test_client()
    response = client.get("/badge/old-shutdown.png?style=plastic&scale=3&junk=<x>")
    assert response.status_code == 301
    assert response.headers["Location"] == "/badge/shutdown.png?style=plastic&scale=3"


def test_missing_font_still_answers_an_image_and_health_says_why(make_app, ongoing_path, tmp_path):

    app = make_app(ongoing_path, VOIPDOWN_FONT=str(tmp_path / "none.ttf"))
    client = app.test_client()
    health = client.get("/healthz").get_json()
    assert health["status"] == "degraded" and health["font"] == "missing"
    assert "VOIPDOWN_FONT" in health["font_error"]
    svg = client.get("/badge/shutdown.svg")
    assert svg.status_code == 503 and svg.headers["Content-Type"] == SVG_TYPE
    ElementTree.fromstring(svg.data)
    png = client.get("/badge/shutdown.png?scale=3")
    assert png.status_code == 503 and Image.open(io.BytesIO(png.data)).size == (270, 60)
    assert client.get("/api/v1/counters/shutdown").status_code == 200  # the rest still works


def test_badges_are_cached_per_day(badge_client, monkeypatch):
    from voipdown.web import badges

    calls = []
    real = badges.counter_badge

    def counting(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(badges, "counter_badge", counting)
    first = badge_client.get("/badge/ended.svg?lang=zgh&color=teal").data
    assert badge_client.get("/badge/ended.svg?lang=zgh&color=teal&utm_medium=x").data == first
    assert len(calls) == 1


def test_gallery_lists_every_style_and_language(badge_client):
    response = badge_client.get("/badges")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for style in ("flat", "flat-square", "plastic", "for-the-badge"):
        for lang in ("fr", "ar", "zgh", "en"):
            assert f"badge/ongoing.{lang}.{style}.svg" in html
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
