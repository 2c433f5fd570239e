"""The campaign site: pages, share image, feeds."""

import datetime as dt
import io
import xml.etree.ElementTree as ElementTree

import html5lib
import pytest
from PIL import Image

from voipdown.counting import Status, count_at
from voipdown.isolation import isolate
from voipdown.languages import SHIPPED
from voipdown.palette import STATUS_COLORS
from voipdown.settings import bundled_timeline
from voipdown.texts import status_sentence
from voipdown.timeline import load_timeline
from voipdown.zones import start_of_day

ATOM = "{http://www.w3.org/2005/Atom}"
XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="module")
def site(make_app):
    return make_app(None, VOIPDOWN_PUBLIC_URL="https://count.example.org").test_client()


def parse(html: str):
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=True)
    return parser.parse(html)  # raises on any parse error


@pytest.mark.parametrize("lang", SHIPPED)
def test_page_parses_and_has_everything(site, lang):
    response = site.get(f"/voip-ma?lang={lang}")
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src" not in response.headers["Content-Security-Policy"]  # default-src 'none': no script runs
    assert "Set-Cookie" not in response.headers
    html = response.get_data(as_text=True)
    document = parse(html)
    root = document.getroot() if hasattr(document, "getroot") else document
    assert root.get("lang") == lang and root.get("dir") == ("rtl" if lang == "ar" else "ltr")
    assert "<script" not in html
    for landmark in ("header", "nav", "main", "footer"):
        assert root.find(f".//{XHTML}{landmark}") is not None
    assert len(root.findall(f".//{XHTML}h1")) == 1
    api = site.get(f"/api/v1/counters/voip-ma?lang={lang}").get_json()
    assert api["message"] in html and api["title"] in html


def test_every_event_links_its_sources(site):
    from voipdown.settings import bundled_timeline
    from voipdown.timeline import load_timeline

    counter = load_timeline(bundled_timeline()).default_counter
    root = parse(site.get("/voip-ma?lang=fr").get_data(as_text=True))
    items = root.findall(f".//{XHTML}ol/{XHTML}li")
    assert len(items) == len(counter.events)
    for item, event in zip(items, counter.events, strict=True):
        assert item.find(f"{XHTML}time").get("datetime") == event.date.isoformat()
        hrefs = [a.get("href") for a in item.iter(f"{XHTML}a")]
        assert hrefs == [source.url for source in event.sources if source.url]
        text = "".join(item.itertext())
        assert all(source.name in text for source in event.sources)


def test_dates_are_formatted_for_the_language(site):
    assert "4 نونبر 2016" in site.get("/voip-ma?lang=ar").get_data(as_text=True)
    assert "4 novembre 2016" in site.get("/voip-ma?lang=fr").get_data(as_text=True)
    assert "November 4, 2016" in site.get("/voip-ma?lang=en").get_data(as_text=True)


def test_press_and_participants(site):
    html = site.get("/voip-ma?lang=en").get_data(as_text=True)
    assert "190 sites showed the counter." in html
    assert html.count('rel="nofollow noopener"') == 190
    assert "<h3>Blogs</h3>" in html and "<h3>Companies</h3>" in html
    assert 'lang="ar" dir="rtl">المواقع الإلكترونية المغربية تطلق حملة VoIPDown</a>' in html


def test_language_links_and_alternates(site):
    html = site.get("/voip-ma?lang=fr").get_data(as_text=True)
    for lang in SHIPPED:
        assert f'<link rel="alternate" hreflang="{lang}" href="https://count.example.org/voip-ma.{lang}.html">' in html
        assert f'href="voip-ma.{lang}.html"' in html
    assert 'aria-current="page"' in html


def test_open_graph_and_share_image(site):
    html = site.get("/voip-ma?lang=ar").get_data(as_text=True)
    assert '<meta property="og:image" content="https://count.example.org/voip-ma/share.ar.png">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    image = site.get("/voip-ma/share.png?lang=ar")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert Image.open(io.BytesIO(image.data)).size == (1200, 630)


def test_share_image_is_shaped(site):
    arabic = Image.open(io.BytesIO(site.get("/voip-ma/share.png?lang=ar").data))
    french = Image.open(io.BytesIO(site.get("/voip-ma/share.png?lang=fr").data))
    assert arabic.tobytes() != french.tobytes()


def test_home_is_the_default_counter_and_aliases_redirect(site):
    assert site.get("/?lang=en").get_data(as_text=True) == site.get("/voip-ma?lang=en").get_data(as_text=True)
    response = site.get("/maroc?lang=zgh&x=<y>")
    assert response.status_code == 301 and response.headers["Location"] == "/voip-ma?lang=zgh"
    assert site.get("/no-such-counter").status_code == 404
    assert site.get("/voip-ma?lang=xx").status_code == 400


def feed_of(site, path):
    response = site.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    return ElementTree.fromstring(response.data)


def test_feed_has_events_and_milestones(site):
    feed = feed_of(site, "/feed.atom?lang=fr")
    titles = [entry.find(f"{ATOM}title").text for entry in feed.findall(f"{ATOM}entry")]
    assert "100 jours de blocage" in titles and "300 jours de blocage" in titles
    assert not any(title.startswith("400") for title in titles)  # it ended at 304
    assert len(titles) == 12 + 3
    ids = [entry.find(f"{ATOM}id").text for entry in feed.findall(f"{ATOM}entry")]
    assert len(set(ids)) == len(ids) and all(i.startswith("tag:voipdown.com,2016:voip-ma/") for i in ids)


@pytest.mark.parametrize(
    "path, address",
    [
        ("/feed.atom", "/feed.atom"),  # the default counter's, in the reader's language
        ("/feed.fr.atom", "/feed.fr.atom"),
        ("/feed.atom?lang=fr", "/feed.fr.atom"),  # the query form answers its path form's bytes
        ("/voip-ma/feed.atom", "/voip-ma/feed.atom"),
        ("/voip-ma/feed.ar.atom", "/voip-ma/feed.ar.atom"),
    ],
)
def test_a_feeds_self_link_is_the_address_it_was_asked_by(site, path, address):
    feed = feed_of(site, path)
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == "https://count.example.org" + address


@pytest.mark.parametrize("lang", ["fr", "ar", "zgh", "en"])
def test_every_feed_entry_says_something_and_has_its_own_updated(site, lang):
    feed = feed_of(site, f"/voip-ma/feed.{lang}.atom")
    entries = feed.findall(f"{ATOM}entry")
    updated = [entry.find(f"{ATOM}updated").text for entry in entries]
    assert len(set(updated)) == len(updated)  # two events on 5 January 2016, two on 26 February
    assert updated == sorted(updated, key=dt.datetime.fromisoformat, reverse=True)
    assert feed.find(f"{ATOM}updated").text == updated[0]
    for entry in entries:
        assert entry.find(f"{ATOM}summary").text.strip(), entry.find(f"{ATOM}title").text
    milestone = next(entry for entry in entries if entry.find(f"{ATOM}id").text.endswith("/day/100"))
    counter = load_timeline(bundled_timeline()).counters["voip-ma"]
    on_day_100 = count_at(counter, start_of_day(dt.date(2016, 4, 14), counter.timezone))
    assert on_day_100.days == 100 and on_day_100.status is Status.ONGOING
    assert milestone.find(f"{ATOM}summary").text == isolate(status_sentence(counter, on_day_100, lang), lang)


def test_feed_of_an_ongoing_counter_marks_years(make_app, ongoing_path):
    import datetime as dt

    import time_machine

    client = make_app(ongoing_path).test_client()
    with time_machine.travel(dt.datetime(2026, 3, 2, 12, tzinfo=dt.timezone.utc), tick=False):
        feed = feed_of(client, "/shutdown/feed.atom?lang=en")
    titles = [entry.find(f"{ATOM}title").text for entry in feed.findall(f"{ATOM}entry")]
    assert "365 days of blocking" in titles and "730 days of blocking" in titles and "700 days of blocking" in titles
    assert "800 days of blocking" not in titles
    updated = [
        entry.find(f"{ATOM}updated").text
        for entry in feed.findall(f"{ATOM}entry")
        if entry.find(f"{ATOM}title").text == "365 days of blocking"
    ]
    assert updated == ["2025-03-01T00:00:00+00:00"]  # local midnight in Casablanca (UTC+0 in Ramadan 2025)


def test_unknown_pages_are_an_html_404_whatever_the_client_accepts(site):
    page = site.get("/no-such-counter", headers={"Accept": "text/html,*/*;q=0.8", "Accept-Language": "ar"})
    assert page.status_code == 404 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    parse(html)
    assert 'dir="rtl"' in html and "هذه الصفحة غير موجودة." in html and "no-such-counter" not in html
    tool = site.get("/no-such-counter", headers={"Accept": "application/json"})
    assert tool.status_code == 404 and tool.mimetype == "text/html"  # a page route answers pages
    assert site.get("/api/v1/nothing", headers={"Accept": "text/html"}).is_json
    elsewhere = site.get("/a/b/c", headers={"Accept": "application/json"})  # no route: negotiated
    assert elsewhere.status_code == 404 and elsewhere.get_json()["error"]["code"] == "not_found"


def test_a_bad_parameter_on_a_page_is_a_page_that_names_it(site):
    page = site.get("/voip-ma?lang=<b>", headers={"Accept-Language": "fr"})
    assert page.status_code == 400 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    parse(html)
    assert "Cette adresse contient une valeur invalide pour « lang »." in html and "<b>" not in html


@pytest.mark.parametrize("slug, status", [("ongoing", "ongoing"), ("ended", "ended"), ("upcoming", "upcoming")])
def test_each_status_has_its_colour_on_the_page_and_the_share_image(every_status_app, slug, status):
    client = every_status_app.test_client()
    html = client.get(f"/{slug}?lang=en").get_data(as_text=True)
    assert f'<p class="count {status}">' in html and f".{status}{{--accent:{STATUS_COLORS[status].on_light}}}" in html
    image = Image.open(io.BytesIO(client.get(f"/{slug}/share.png?lang=en").data)).convert("RGB")
    assert "#%02x%02x%02x" % image.getpixel((5, 5)) == STATUS_COLORS[status].card
    frame = client.get(f"/embed/{slug}/frame?theme=dark").get_data(as_text=True)
    assert f'class="dark {status}"' in frame


def test_every_page_extends_the_base_template():
    from pathlib import Path

    templates = Path(__file__).parent.parent / "voipdown" / "web" / "templates"
    pages = [path for path in templates.glob("*.html") if path.name != "base.html" and not path.name.startswith("_")]
    assert len(pages) >= 5
    assert (templates / "_site.html").read_text(encoding="utf-8").startswith('{% extends "base.html" %}')
    for page in pages:
        text = page.read_text(encoding="utf-8")
        # The base, directly or through the campaign site's layout (which extends it).
        assert text.startswith(('{% extends "base.html" %}', '{% extends "_site.html" %}')), page.name
        assert "<head>" not in text and "system-ui" not in text, page.name  # the head and fonts are the base's


def test_feed_ids_do_not_follow_the_host_header(make_app):
    from tests.timelines import ONGOING

    client = make_app(ONGOING).test_client()  # no VOIPDOWN_PUBLIC_URL; "shutdown" has its own url

    def ids(host, slug):
        feed = ElementTree.fromstring(client.get(f"/{slug}/feed.atom", headers={"Host": host}).data)
        return [feed.find(f"{ATOM}id").text] + [e.find(f"{ATOM}id").text for e in feed.findall(f"{ATOM}entry")]

    assert ids("127.0.0.1", "shutdown") == ids("voipdown.example", "shutdown")
    assert ids("localhost", "shutdown")[0] == "tag:campaign.example.org,2024:shutdown"
    assert ids("a.example", "lifted") != ids("b.example", "lifted")  # no url, no public address: warned about
    health = client.get("/healthz").get_json()
    assert health["feed_ids"] == "host-dependent" and "lifted, future" in health["feed_ids_warning"]
    fixed = make_app(ONGOING, VOIPDOWN_PUBLIC_URL="https://count.example.org").test_client()
    assert fixed.get("/healthz").get_json()["feed_ids"] == "stable"
    feed = ElementTree.fromstring(fixed.get("/lifted/feed.atom", headers={"Host": "x.example"}).data)
    assert feed.find(f"{ATOM}id").text == "tag:count.example.org,2020:lifted"


@pytest.mark.parametrize(
    "path", ["/voip-ma?lang=ar", "/embed?lang=zgh", "/badges", "/embed/voip-ma/frame?lang=en", "/nope?lang=fr"]
)
def test_every_page_has_a_language_and_a_description(site, path):
    html = site.get(path).get_data(as_text=True)
    document = parse(html)
    root = document
    assert root.get("lang") and root.get("dir") in ("ltr", "rtl"), path
    meta = root.find(f".//{XHTML}meta[@name='description']")
    assert meta is not None and len(meta.get("content")) > 10, path


def test_favicon_and_robots(site):
    icon = site.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/vnd.microsoft.icon"
    assert Image.open(io.BytesIO(icon.data)).info["sizes"] == {(16, 16), (32, 32), (48, 48)}
    assert site.get("/favicon.ico", headers={"If-None-Match": icon.headers["ETag"]}).status_code == 304
    robots = site.get("/robots.txt")
    assert robots.mimetype == "text/plain" and "User-agent: *" in robots.get_data(as_text=True)
    assert "max-age=" in robots.headers["Cache-Control"]


SITE = """
[site]
name = { fr = "Coupures DZ", ar = "انقطاعات الجزائر" }
"""


@pytest.mark.parametrize("lang", SHIPPED)
def test_the_bundled_site_names_itself_and_credits_the_2016_campaign_from_its_timeline(site, lang):
    """The 2016 campaign's name and credit now come from its own timeline's [site]."""
    from voipdown.settings import bundled_timeline
    from voipdown.timeline import load_timeline

    credit = load_timeline(bundled_timeline()).site.footer_in(lang)
    html = site.get(f"/voip-ma?lang={lang}").get_data(as_text=True)
    assert "<p>VoIP Down</p>" in html and f"<p>{credit}</p>" in html
    assert "2016" in credit


@pytest.mark.parametrize("lang", SHIPPED)
def test_another_campaign_is_its_own_site_with_nothing_of_voip_down(make_app, write_timeline, lang):
    """Another timeline with its own [site]: its name in the header, the feed's author and the
    share image; no footer unless it writes one; "VoIP Down" and 2016 nowhere a reader sees."""
    from tests.timelines import ONGOING

    client = make_app(write_timeline(ONGOING + SITE), VOIPDOWN_PUBLIC_URL="https://count.example.org").test_client()
    name = {"ar": "انقطاعات الجزائر"}.get(lang, "Coupures DZ")
    html = client.get(f"/shutdown?lang={lang}").get_data(as_text=True)
    assert f"<p>{name}</p>" in html and "<footer>" not in html
    feed = client.get(f"/shutdown/feed.atom?lang={lang}").get_data(as_text=True)
    author = ElementTree.fromstring(feed).find(f"{ATOM}author/{ATOM}name").text
    assert author.strip("\u2066\u2069") == name
    for text in (html, feed):
        assert "VoIP Down" not in text and "2016" not in text
    other = make_app(
        write_timeline(ONGOING, "plain.toml"), VOIPDOWN_PUBLIC_URL="https://count.example.org"
    ).test_client()
    assert client.get(f"/shutdown/share.png?lang={lang}").data != other.get(f"/shutdown/share.png?lang={lang}").data


def test_without_a_site_table_the_name_is_the_default_counters_title(make_app, write_timeline):
    from tests.timelines import ONGOING

    client = make_app(write_timeline(ONGOING)).test_client()
    html = client.get("/shutdown?lang=en").get_data(as_text=True)
    assert "<p>Example shutdown</p>" in html and "VoIP Down" not in html and "<footer>" not in html
