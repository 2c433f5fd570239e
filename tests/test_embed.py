"""The embed script, frame and builder, without a browser."""

import gzip
import html
import json
import re

import pytest

from tests.helpers import contrast
from voipdown.embed_code import asset
from voipdown.palette import DARK_BACKGROUND, LIGHT_BACKGROUND, STATUS_COLORS


@pytest.fixture
def embed_client(every_status_app):
    return every_status_app.test_client()


def data_of(script: str) -> dict:
    match = re.search(r"\}\)\((\{.*\})\);\s*$", script, re.S)
    return json.loads(match.group(1))


def test_script_carries_every_language_and_caches_until_midnight(embed_client):
    response = embed_client.get("/embed/ongoing.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert 0 < int(response.headers["Cache-Control"].split("max-age=")[1].split(",")[0]) <= 3600
    data = data_of(response.get_data(as_text=True))
    assert set(data["texts"]) == {"fr", "ar", "zgh", "en"}
    api = embed_client.get("/api/v1/counters/ongoing?lang=ar").get_json()
    assert data["texts"]["ar"]["message"] == api["message"] and data["texts"]["ar"]["dir"] == "rtl"
    assert data["texts"]["ar"]["badge"].endswith("/badge/ongoing.ar.svg")
    assert data["texts"]["fr"]["width"] > 100 and data["texts"]["fr"]["height"] == 20


def test_script_is_small(make_app, tmp_path):
    """Bytes on the wire, gzipped by the service: the script a page showing the count gets
    (one language's, as the snippets write it) is at most 3 KB for any counter, tallies or
    not, days to come or not, and carries no tally code (every language's: 3.5 KB); the tally script
    (the live tally's code and its tallies' texts: the bundled counter has three) at most
    4.5 KB: all a page showing a closed live tally downloads."""
    from tests.timelines import ONGOING

    def sent(app, path) -> bytes:
        response = app.test_client().get(path, headers={"Accept-Encoding": "gzip"})
        assert response.headers["Content-Encoding"] == "gzip"
        return response.data

    tally_code = b"tally.interval"
    plain = make_app(ONGOING, VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3"))
    bundled = make_app(None, VOIPDOWN_TALLY_STORE=str(tmp_path / "b.sqlite3"))
    for app, slug in ((plain, "lifted"), (plain, "shutdown"), (plain, "future"), (bundled, "voip-ma")):
        for lang in ("fr", "ar", "zgh", "en"):  # what the snippets load: one language's texts
            count_only = sent(app, f"/embed/{slug}.{lang}.js")
            assert len(count_only) <= 3 * 1024, (slug, lang)
            assert tally_code not in gzip.decompress(count_only), slug
        assert len(sent(app, f"/embed/{slug}.js")) <= 3.5 * 1024, slug  # every language, the page choosing
    with_tallies = sent(bundled, "/embed/voip-ma/tallies.js")
    assert len(with_tallies) <= 4608 and tally_code in gzip.decompress(with_tallies)


def test_the_count_script_hands_a_tally_to_the_tally_script(make_app, tmp_path):
    """Only a counter with tallies names its tally script; the tally script names none, and
    carries the same texts of the count (what it shows when the tag names none of its tallies)."""
    from tests.timelines import ONGOING

    client = make_app(ONGOING, VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3")).test_client()
    with_tallies = data_of(client.get("/embed/shutdown.js").get_data(as_text=True))
    assert with_tallies["live"] == "http://localhost/embed/shutdown/tallies.js" and "tallies" not in with_tallies
    assert "live" not in data_of(client.get("/embed/lifted.js").get_data(as_text=True))
    live = data_of(client.get("/embed/shutdown/tallies.js").get_data(as_text=True))
    assert "live" not in live and set(live["tallies"]) == {"calls"}
    assert live["texts"] == with_tallies["texts"]
    assert client.get("/embed/nowhere/tallies.js").status_code == 404


def test_script_data_cannot_close_the_script(make_app, tmp_path):
    from tests.timelines import ONGOING

    path = tmp_path / "t.toml"
    path.write_text(ONGOING.replace('en = "Example shutdown"', 'en = "</script><script>alert(1)</script>\u2028"'))
    body = make_app(path).test_client().get("/embed/shutdown.js").get_data(as_text=True)
    assert "</script>" not in body and "<script>" not in body and "\u2028" not in body
    assert data_of(body)["texts"]["en"]["label"] == "</script><script>alert(1)</script>\u2028".strip()


def test_source_defines_no_global_and_uses_no_inner_html():
    from voipdown.embed_code import TALLY_PART

    source = asset("counter.js")
    code = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    assert "innerHTML" not in code and "document.write" not in code and "eval(" not in code
    assert "localStorage" not in code and "cookie" not in code
    # The only request of its own is the live tally's, in the part a counter without tallies never gets.
    live = "".join(TALLY_PART.findall(code))
    assert "fetch(" not in TALLY_PART.sub("", code) and live.count("fetch(") == 1
    assert "credentials: 'omit'" in live and "cache: 'no-cache'" in live
    assert code.strip().startswith("(function (data) {") and code.strip().endswith("})(null);")  # one closure
    assert source.rstrip().endswith("})(/*DATA*/null);")
    for word in ("ad-", "banner", "sponsor", "advert", "promo", "popup"):
        assert word not in code.lower() and word not in asset("counter.css").lower()


def test_css_colours_are_readable():
    css = asset("counter.css")
    for theme, background in ((r"\.vd\{", LIGHT_BACKGROUND), (r"\.dark\{", DARK_BACKGROUND)):
        block = re.search(theme + r"[^}]*", css).group(0)
        colors = dict(re.findall(r"--(bg|fg):(#[0-9a-f]{3,6})", block))
        assert colors["bg"] == background
        assert contrast(colors["fg"], colors["bg"]) >= 4.5
    assert "--accent:" not in css  # the status's colour comes from the one map (render/styles.py)


def test_the_script_colours_the_count_by_status(embed_client):
    for slug, status in (("ongoing", "ongoing"), ("ended", "ended")):
        data = data_of(embed_client.get(f"/embed/{slug}.js").get_data(as_text=True))
        assert data["status"] == status
        assert f".{status}{{--accent:{STATUS_COLORS[status].on_light}}}" in data["css"]
        assert f".dark.{status},.dark .{status}{{--accent:{STATUS_COLORS[status].on_dark}}}" in data["css"]


def test_unknown_and_renamed_counters(make_app, embed_client, tmp_path):
    assert embed_client.get("/embed/nothing.js").status_code == 404
    assert embed_client.get("/embed/ongoing.css").status_code == 404
    from tests.timelines import ONGOING

    path = tmp_path / "t.toml"
    path.write_text(ONGOING)
    client = make_app(path).test_client()
    response = client.get("/embed/old-shutdown.js?x=<y>")
    assert response.status_code == 301 and response.headers["Location"] == "/embed/shutdown.js"
    frame = client.get("/embed/old-shutdown/frame?lang=ar&x=<b>")
    assert frame.status_code == 301 and frame.headers["Location"] == "/embed/shutdown/frame?lang=ar"
    assert client.get("/embed/old-shutdown/frame?lang=ar&theme=<b>").status_code == 400  # a bad value first


def test_frame_is_html_without_script_allowed_in_any_frame(embed_client):
    response = embed_client.get("/embed/ended/frame?lang=ar&theme=dark")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<script" not in page.lower()
    assert 'dir="rtl"' in page and 'lang="ar"' in page and "رُفع بعد 304 أيام" in page
    assert "frame-ancestors" not in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers
    assert embed_client.get("/embed/ended/frame?theme=neon").status_code == 400


def snippet_texts(page: str) -> dict:
    return {
        key: html.unescape(value)
        for key, value in re.findall(r'<textarea id="snippet-(\w+)"[^>]*>(.*?)</textarea>', page, re.S)
    }


def test_builder_offers_every_snippet_without_javascript(make_app, every_status_app):

    app = make_app(every_status_app.config["TIMELINE_PATH"], VOIPDOWN_PUBLIC_URL="https://count.example.org")
    page = app.test_client().get("/embed?counter=ended&lang=ar&position=inline&theme=dark").get_data(as_text=True)
    assert '<select id="snippet_lang" name="snippet_lang">' in page
    found = snippet_texts(page)
    assert set(found) == {"script", "iframe", "html", "markdown", "bbcode"}
    assert (
        '<script async src="https://count.example.org/embed/ended.ar.js" data-lang="ar" data-position="inline"'
        ' data-theme="dark"></script>' in found["script"]
    )
    assert found["script"].startswith(
        '<a href="https://count.example.org/ended.ar.html" data-voipdown>'
        '<img src="https://count.example.org/badge/ended.ar.svg" width='
    )
    assert 'alt="حجب المكالمات عبر الإنترنت في المغرب: رُفع بعد 304 أيام"' in found["html"]
    # The frame keeps the theme chosen (docs/embed.md documents it).
    assert found["iframe"].startswith('<iframe src="https://count.example.org/embed/ended/frame.ar.dark.html"')
    assert (
        found["markdown"]
        == "[![حجب المكالمات عبر الإنترنت في المغرب: رُفع بعد 304 أيام](https://count.example.org/badge/ended.ar.svg)](https://count.example.org/ended.ar.html)"
    )
    assert (
        found["bbcode"]
        == "[url=https://count.example.org/ended.ar.html][img]https://count.example.org/badge/ended.ar.png[/img][/url]"
    )
    assert 'lang="ar" dir="rtl"' in page


def test_the_builders_language_and_the_snippets_are_two_choices(embed_client):
    """An Arabic snippet from a builder that stays French; its language links keep every
    choice; by default the snippet speaks the builder's language."""
    page = embed_client.get("/embed?counter=ended&lang=fr&snippet_lang=ar&theme=dark").get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in page and "Ajouter le compteur à votre site" in page
    script = snippet_texts(page)["script"]
    assert 'data-lang="ar"' in script and "/badge/ended.ar.svg" in script
    assert re.search(r'<option value="ar" lang="ar" selected>', page)
    assert '<input type="hidden" name="lang" value="fr">' in page  # a new choice keeps the builder French
    links = dict(re.findall(r'<a href="([^"]+)" hreflang="(\w+)"', page))
    arabic_builder = html.unescape(next(href for href, code in links.items() if code == "ar"))
    # The counter, the builder's language, the snippet's and the theme, in the path (path_forms.py).
    assert arabic_builder == "embed.ended.ar.ar.dark.html"
    assert set(links.values()) == {"fr", "ar", "zgh", "en"}
    english = embed_client.get("/embed?counter=ended", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="en"' in english and 'data-lang="en"' in snippet_texts(english)["script"]
    assert embed_client.get("/embed?snippet_lang=de").status_code == 400


def test_builder_corner_snippet_has_a_noscript_image(embed_client):
    found = snippet_texts(embed_client.get("/embed?counter=ongoing&position=bottom-right").get_data(as_text=True))
    assert 'data-position="bottom-right"' in found["script"] and "<noscript><a href=" in found["script"]


@pytest.mark.parametrize(
    "query, status", [("position=top", 400), ("theme=neon", 400), ("lang=de", 400), ("counter=<script>", 404)]
)
def test_builder_bad_parameters(embed_client, query, status):
    response = embed_client.get(f"/embed?{query}")
    assert response.status_code == status and response.mimetype == "text/html" and b"<script>" not in response.data


def test_the_builders_script_has_a_valid_etag_that_revalidates(embed_client):
    first = embed_client.get("/static/embed/builder.js")
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and "max-age=" in first.headers["Cache-Control"]
    assert embed_client.get("/static/embed/builder.js", headers={"If-None-Match": etag}).status_code == 304
    assert embed_client.get("/static/embed/builder.js", headers={"If-None-Match": f"W/{etag}"}).status_code == 304


def test_builder_offers_a_tally_live(make_app, tmp_path):
    import html

    from tests.timelines import ONGOING

    client = make_app(ONGOING, VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3")).test_client()
    page = client.get("/embed?counter=shutdown&tally=calls&lang=en&position=inline").get_data(as_text=True)
    assert '<option value="calls" selected>' in page  # the choice, among the counter's tallies
    script = html.unescape(re.search(r'<textarea id="snippet-script"[^>]*>(.*?)</textarea>', page, re.S).group(1))
    assert 'data-tally="calls"' in script and "/badge/shutdown/calls.en.svg" in script
    assert "/shutdown/tallies/calls.en.html" in script and 'alt="Calls reported"' in script
    markdown = html.unescape(re.search(r'<textarea id="snippet-markdown"[^>]*>(.*?)</textarea>', page, re.S).group(1))
    assert "/badge/shutdown/calls.en.svg" in markdown
    frame = snippet_texts(page)["iframe"]  # the frame shows the tally, and its title says so
    assert "/embed/shutdown/frame.en.calls.html" in frame and 'title="Calls reported"' in frame
    # Another counter's tally (the builder's counter was changed): the count, not an error.
    other = client.get("/embed?counter=lifted&tally=calls").get_data(as_text=True)
    assert "data-tally" not in other and '<select id="tally"' not in other
    assert client.get("/embed?counter=shutdown&tally=nothing").status_code == 400
