"""Any campaign, its own site: the timeline's languages, kind, locale and calls to action."""

import datetime as dt
import re
from xml.etree import ElementTree

import pytest

from tests.timelines import ALGERIA, ALGERIA_NOW, CALLS_TOKEN
from voipdown.clock import pinned_clock
from voipdown.languages import SHIPPED
from voipdown.timeline import KINDS, TimelineError, parse_timeline
from voipdown.web.parameters import BY_NAME

ATOM = "{http://www.w3.org/2005/Atom}"
ISOLATES = re.compile("[\u2066-\u2069]")
NOW = dt.datetime.fromisoformat(ALGERIA_NOW)

EVERY_LANG_ROUTE = {
    "api.list_counters": "/api/v1/counters",
    "api.show_counter": "/api/v1/counters/dz-coupure",
    "api.shields": "/api/v1/counters/dz-coupure/shields.json",
    "tallies.list_tallies": "/api/v1/counters/dz-coupure/tallies",
    "tallies.show_tally": "/api/v1/counters/dz-coupure/tallies/petition",
    "tallies.shields": "/api/v1/counters/dz-coupure/tallies/petition/shields.json",
    "badges.badge": "/badge/dz-coupure.svg",
    "charts.chart": "/chart/dz-coupure/petition.svg",
    "embed.frame": "/embed/dz-coupure/frame",
    "embed.script": "/embed/dz-coupure.js",
    "embed.tally_script": "/embed/dz-coupure/tallies.js",
    "embed.builder": "/embed",
    "site.home": "/",
    "site.counter_page": "/dz-coupure",
    "site.tally_page": "/dz-coupure/tallies/petition",
    "site.share_image": "/dz-coupure/share.png",
    "site.default_feed": "/feed.atom",
    "site.counter_feed": "/dz-coupure/feed.atom",
}
"""A path of every route that reads `lang`, for the Algerian campaign."""


@pytest.fixture(scope="module")
def algeria(make_app, tmp_path_factory):
    store = tmp_path_factory.mktemp("algeria") / "tallies.sqlite3"
    return make_app(ALGERIA, VOIPDOWN_TALLY_STORE=str(store), VOIPDOWN_PUBLIC_URL="https://coupures.example.org")


def get(app, path, **headers):
    with pinned_clock(NOW):
        return app.test_client().get(path, headers=headers)


def plain(text: str) -> str:
    return ISOLATES.sub("", text)


def test_the_table_lists_every_route_that_reads_lang():
    # The push is a POST: its answer's language is tested in tests/test_tally_push.py.
    assert set(EVERY_LANG_ROUTE) == set(BY_NAME["lang"].routes) - {"tallies.push_samples"}


@pytest.mark.parametrize("endpoint", sorted(EVERY_LANG_ROUTE))
def test_a_language_the_site_does_not_offer_is_a_400_on_every_route(algeria, endpoint):
    path = EVERY_LANG_ROUTE[endpoint]
    assert get(algeria, f"{path}?lang=fr").status_code == 200, path
    for lang in ("en", "zgh", "xx"):
        answer = get(algeria, f"{path}?lang={lang}")
        assert answer.status_code == 400, (path, lang)
        assert b"lang" in answer.data or answer.mimetype.startswith("image/"), path


def test_only_the_sites_languages_are_linked_and_negotiated(algeria):
    html = get(algeria, "/dz-coupure?lang=fr").get_data(as_text=True)
    assert set(re.findall(r'hreflang="([\w-]+)"', html)) == {"fr", "ar"}
    assert "?lang=en" not in html and "?lang=zgh" not in html
    assert not re.search(r"\.(en|zgh)\.(html|svg|png|json|js|atom)", html)  # nor their path forms
    english = get(algeria, "/dz-coupure", **{"Accept-Language": "en-GB,en;q=0.9"})
    assert english.status_code == 200 and '<html lang="fr"' in english.get_data(as_text=True)
    arabic = get(algeria, "/dz-coupure", **{"Accept-Language": "en;q=0.9,ar-DZ;q=0.5"})
    assert '<html lang="ar"' in arabic.get_data(as_text=True)
    assert "Accept-Language" in arabic.headers["Vary"]
    builder = get(algeria, "/embed?lang=fr").get_data(as_text=True)
    assert re.findall(
        r'<option value="(\w+)"[^>]*>[^<]*</option>', builder.split('name="snippet_lang"')[1].split("</select>")[0]
    ) == [
        "fr",
        "ar",
    ]
    document = get(algeria, "/api/openapi.json").json
    answer = document["paths"]["/api/v1/counters/{slug}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert answer["schema"] == {"$ref": "#/components/schemas/Counter"}
    assert document["components"]["schemas"]["Counter"]["properties"]["lang"]["enum"] == ["fr", "ar"]


def test_the_embed_script_carries_only_the_sites_languages(algeria):
    script = get(algeria, "/embed/dz-coupure.js").get_data(as_text=True)
    assert '"fr":{' in script and '"ar":{' in script
    assert '"en":{' not in script and '"zgh":{' not in script


def test_the_header_and_footer_say_who_the_site_is(algeria):
    html = get(algeria, "/dz-coupure?lang=ar").get_data(as_text=True)
    assert "<p>انقطاعات الجزائر</p>" in html and "مجموعة من المواطنين." in html
    assert 'href="https://coupures.example.org/about"' in html and "من نحن" in html


def test_arabic_dates_are_written_in_the_counters_locale(algeria):
    """ar_DZ writes « نوفمبر » where the shipped Arabic (ar_MA) writes « نونبر »."""
    html = get(algeria, "/dz-coupure?lang=ar").get_data(as_text=True)
    assert "2 نوفمبر 2026" in html and "نونبر" not in html
    bundled_style = get(algeria, "/dz-coupure?lang=fr").get_data(as_text=True)
    assert "2 novembre 2026" in bundled_style


def test_a_call_to_action_on_the_page_the_tally_page_the_frame_and_the_live_embed(algeria):
    url = 'href="https://petition.example.org/dz"'
    for path, words in (
        ("/dz-coupure?lang=fr", "Signer la pétition"),
        ("/dz-coupure/tallies/petition?lang=ar", "وقّع العريضة"),
        ("/embed/dz-coupure/frame?lang=fr&tally=petition", "Signer la pétition"),
    ):
        html = get(algeria, path).get_data(as_text=True)
        assert url in html and words in html, path
    script = get(algeria, "/embed/dz-coupure/tallies.js").get_data(as_text=True)
    assert '"action":"Signer la pétition"' in script and '"url":"https://petition.example.org/dz"' in script
    frame = get(algeria, "/embed/dz-coupure/frame?lang=fr&tally=petition").get_data(as_text=True)
    assert "1\u202f260 signatures" in frame and "Pétition pour le rétablissement" in frame
    count_frame = get(algeria, "/embed/dz-coupure/frame?lang=fr").get_data(as_text=True)
    assert "petition.example.org" not in count_frame


def test_a_frame_with_a_tally_follows_the_tally(algeria):
    """Pushed: the frame says the new value at once (a tally answer's freshness, not a day's)."""
    with pinned_clock(NOW):
        client = algeria.test_client()
        pushed = client.post(
            "/api/v1/counters/dz-coupure/tallies/petition/samples",
            json={"value": 2000},
            headers={"Authorization": f"Bearer {CALLS_TOKEN}"},
        )
        assert pushed.status_code == 201
    frame = get(algeria, "/embed/dz-coupure/frame?lang=fr&tally=petition")
    assert "2\u202f000 signatures" in frame.get_data(as_text=True)
    assert "max-age=60" in frame.headers["Cache-Control"]


def test_the_timelines_own_action_words_win(make_app):
    text = ALGERIA.replace(
        'url = "https://petition.example.org/dz"',
        'url = "https://petition.example.org/dz"\naction = { fr = "Je signe", ar = "أوقّع" }',
    )
    html = get(make_app(text), "/dz-coupure?lang=ar").get_data(as_text=True)
    assert "أوقّع" in html and "وقّع العريضة" not in html


PETITION_URL = 'interval = 60\nurl = "https://petition.example.org/dz"'


@pytest.mark.parametrize(
    "original, broken, where, words",
    [
        (', ar = "قطع الإنترنت في الجزائر" }', " }", "counters.dz-coupure.title", "missing the text in ar"),
        (
            'title = { fr = "Début de la coupure", ar = "بداية القطع" }',
            'title = { fr = "Début de la coupure" }',
            "counters.dz-coupure.events[0].title",
            "missing the text in ar",
        ),
        ('languages = ["fr", "ar"]', 'languages = ["fr", "kab"]', "site.languages", "unsupported language kab"),
        ('languages = ["fr", "ar"]', 'languages = ["fr", "ar", "fr"]', "site.languages", "names a language twice"),
        ('kind = "shutdown"', 'kind = "outage"', "counters.dz-coupure.kind", "must be one of: block, shutdown"),
        ('locale = { ar = "ar_DZ" }', 'locale = { ar = "fr_DZ" }', "counters.dz-coupure.locale.ar", "writes another"),
        ('locale = { ar = "ar_DZ" }', 'locale = { ar = "ar_QQ_x" }', "counters.dz-coupure.locale.ar", "CLDR has no"),
        (
            'locale = { ar = "ar_DZ" }',
            'locale = { en = "en_GB" }',
            "counters.dz-coupure.locale.en",
            "not a language of this site",
        ),
        (
            PETITION_URL,
            'interval = 60\naction = { fr = "Signer", ar = "وقّع" }',
            "counters.dz-coupure.tallies.petition.action",
            "needs the url",
        ),
        (
            "start = 2026-10-14",
            'start = 2026-10-14\ndefault_lang = "en"',
            "counters.dz-coupure.default_lang",
            "not a language of this site",
        ),
    ],
)
def test_the_timeline_is_checked_against_the_sites_languages(original, broken, where, words):
    assert original in ALGERIA
    with pytest.raises(TimelineError) as raised:
        parse_timeline(ALGERIA.replace(original, broken).encode(), "dz.toml")
    problems = {problem.where: problem for problem in raised.value.problems}
    assert where in problems, raised.value
    assert words in problems[where].message and problems[where].line, problems[where]


def test_without_site_languages_every_catalog_is_offered_and_texts_may_fall_back():
    timeline = parse_timeline(ALGERIA.replace('languages = ["fr", "ar"]\n', "").encode())
    assert timeline.site.languages == SHIPPED


# -- kinds ----------------------------------------------------------------------------------

# Written by hand, from each language's grammar, not from the catalogs: 334 days after
# 2026-01-01 (a "many" in Arabic, "other" in French and English), and 2 in Arabic (dual).
BADGE_334 = {
    "block": {"fr": "depuis 334 jours", "ar": "منذ 334 يومًا", "en": "for 334 days"},
    "shutdown": {"fr": "coupé depuis 334 jours", "ar": "مقطوع منذ 334 يومًا", "en": "shut down for 334 days"},
    "detention": {
        "fr": "en détention depuis 334 jours",
        "ar": "رهن الاعتقال منذ 334 يومًا",
        "en": "detained for 334 days",
    },
    "ban": {"fr": "sous interdiction depuis 334 jours", "ar": "محظور منذ 334 يومًا", "en": "banned for 334 days"},
    "since": {"fr": "334 jours", "ar": "334 يومًا", "en": "334 days"},
}
STATUS = {
    "block": {"fr": "Bloqué depuis le 1 janvier 2026.", "en": "Blocked since January 1, 2026."},
    "shutdown": {"fr": "Coupé depuis le 1 janvier 2026.", "en": "Shut down since January 1, 2026."},
    "detention": {"fr": "En détention depuis le 1 janvier 2026.", "en": "In detention since January 1, 2026."},
    "ban": {"fr": "Sous interdiction depuis le 1 janvier 2026.", "en": "Banned since January 1, 2026."},
    "since": {"fr": "334 jours depuis le 1 janvier 2026.", "en": "334 days since January 1, 2026."},
}
MILESTONE_300 = {
    "block": {"fr": "300 jours de blocage", "ar": "300 يوم من الحجب"},
    "shutdown": {"fr": "300 jours de coupure", "ar": "300 يوم من الانقطاع"},
    "detention": {"fr": "300 jours de détention", "ar": "300 يوم من الاعتقال"},
    "ban": {"fr": "300 jours d’interdiction", "ar": "300 يوم من الحظر"},
    "since": {"fr": "300 jours", "ar": "300 يوم"},
}
ENDED_2 = {
    "block": "رُفع بعد يومين",
    "shutdown": "أُعيد بعد يومين",
    "detention": "الإفراج بعد يومين",
    "ban": "رُفع الحظر بعد يومين",
    "since": "انتهى بعد يومين",
}


TITLE = 'title = { fr = "Titre", ar = "Titre", zgh = "Titre", en = "Titre" }'


def kind_timeline(kind: str, end: str = "") -> str:
    return (
        ALGERIA.replace('kind = "shutdown"', f'kind = "{kind}"')
        .replace("start = 2026-10-14", f"start = 2026-01-01{end}")
        .replace('languages = ["fr", "ar"]\n', "")
        .replace('title = { fr = "Coupure d’internet en Algérie", ar = "قطع الإنترنت في الجزائر" }', TITLE)
        .replace(
            "[[counters.dz-coupure.events]]\ndate = 2026-10-14", "[[counters.dz-coupure.events]]\ndate = 2026-01-01"
        )
    )


def test_every_kind_of_the_timeline_has_its_words():
    from voipdown.texts import KIND_WORDS

    assert tuple(KIND_WORDS) == KINDS


@pytest.fixture(scope="module")
def kinds(make_app):
    return {kind: make_app(kind_timeline(kind)) for kind in KINDS}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lang", ["fr", "ar", "en"])
def test_each_kind_says_its_count_in_every_output(kinds, kind, lang):
    """The badge, the JSON, the embed script, the frame, the page and the feed: the kind's words."""
    app = kinds[kind]
    expected = BADGE_334[kind][lang]
    assert plain(get(app, f"/api/v1/counters/dz-coupure?lang={lang}").json["message"]) == expected
    svg = get(app, f"/badge/dz-coupure.svg?lang={lang}").get_data(as_text=True)
    assert f"Titre: {expected}</title>" in plain(svg)
    assert expected in plain(get(app, "/embed/dz-coupure.js").get_data(as_text=True))
    assert expected in plain(get(app, f"/embed/dz-coupure/frame?lang={lang}").get_data(as_text=True))
    page = plain(get(app, f"/dz-coupure?lang={lang}").get_data(as_text=True))
    assert expected in page
    if lang in STATUS[kind]:
        assert STATUS[kind][lang] in page
    if lang in MILESTONE_300[kind]:
        feed = ElementTree.fromstring(get(app, f"/dz-coupure/feed.atom?lang={lang}").data)
        titles = [plain(entry.find(f"{ATOM}title").text) for entry in feed.iter(f"{ATOM}entry")]
        assert MILESTONE_300[kind][lang] in titles, titles
    others = [words[lang] for other, words in BADGE_334.items() if other != kind and words[lang] not in expected]
    assert not any(f">{other}<" in page for other in others)


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_says_its_end_with_arabic_plurals(make_app, kind):
    app = make_app(kind_timeline(kind, "\nend = 2026-01-03"))
    assert plain(get(app, "/api/v1/counters/dz-coupure?lang=ar").json["message"]) == ENDED_2[kind]
    share = get(app, "/dz-coupure/share.png?lang=ar")
    assert share.status_code == 200 and share.mimetype == "image/png"


def test_the_share_image_differs_by_kind(kinds):
    images = {get(app, "/dz-coupure/share.png?lang=fr").data for app in kinds.values()}
    assert len(images) == len(KINDS)


def test_snippets_say_no_count_that_will_change_and_the_frame_keeps_tally_and_theme(algeria):
    """A pasted snippet lives for ever: its alt and title name the counter (or the tally), never
    « depuis 48 jours »; the iframe asks the frame for the tally and theme chosen."""
    import html as markup

    page = get(algeria, "/embed?lang=fr&tally=petition&theme=dark").get_data(as_text=True)
    codes = [markup.unescape(code) for code in re.findall(r"<textarea[^>]*>(.*?)</textarea>", page, re.DOTALL)]
    assert codes and not any("48" in code for code in codes), codes
    iframe = next(code for code in codes if code.startswith("<iframe"))
    assert "frame.fr.petition.dark.html" in iframe
    assert 'title="Pétition pour le rétablissement"' in iframe  # the frame shows the tally
    counted = get(algeria, "/embed?lang=fr").get_data(as_text=True)
    assert 'alt="Coupure d’internet en Algérie"' in markup.unescape(counted)
    assert "depuis 48 jours&quot;" not in counted and 'depuis 48 jours"' not in markup.unescape(counted)


EVERY_GET_ROUTE = {
    **EVERY_LANG_ROUTE,
    "embed.script": "/embed/dz-coupure.js",
    "embed.tally_script": "/embed/dz-coupure/tallies.js",
    "tallies.samples": "/api/v1/counters/dz-coupure/tallies/petition/samples",
    "tallies.samples_csv": "/api/v1/counters/dz-coupure/tallies/petition/samples.csv",
    "badges.gallery": "/badges",
    "site.robots": "/robots.txt",
    "site.favicon": "/favicon.ico",
    "health.healthz": "/healthz",
    "embed.builder_asset": "/static/embed/builder.js",
}
"""A path of every route a reader may get, for the Algerian campaign; and more of some."""
MORE_PATHS = [
    "/badge/dz-coupure/petition.svg",
    "/badge/dz-coupure.svg?style=plastic",
    "/chart/dz-coupure/petition.svg?size=large",
    "/dz-coupure/tallies/petition?page=1",
    "/404-nothing-here",
    "/api/v1/counters/dz-coupure?lang=zz",
]
SOFTWARE_NAMES_ITSELF = {"openapi.openapi"}
"""Where the software may name itself: the OpenAPI document (and, below, Atom's <generator>
and the console messages of the embed's code)."""
OURS = re.compile(r"\bvoip[\s\u00a0-]+down\b|\b2016\b", re.IGNORECASE)
"""The name as words (not the `voipdown` of our code's element and attribute names), and the year."""


def reader_visible(response) -> str:
    """What a reader (or a reader's program) can see of an answer, as text: the words given
    to the drawing layer for a PNG are checked apart."""
    if response.mimetype.startswith("image/") and response.mimetype != "image/svg+xml":
        return ""
    text = response.get_data(as_text=True)
    if response.mimetype == "text/javascript":
        # The code's own console messages name the software; its words are its data.
        match = re.search(r"\}\)\((\{.*\})\);\s*$", text, re.S)
        return match.group(1) if match else ("" if "VoIP Down counter: " in text else text)
    return re.sub(r"<generator[^>]*>.*?</generator>", "", text, flags=re.S)


def test_the_table_walks_every_route_a_reader_may_get(algeria):
    rules = {rule.endpoint for rule in algeria.url_map.iter_rules() if "GET" in rule.methods}
    assert rules - {"static"} == set(EVERY_GET_ROUTE) | SOFTWARE_NAMES_ITSELF


@pytest.mark.parametrize("lang", [None, "fr", "ar"])
def test_nothing_a_reader_sees_names_voip_down_or_2016(algeria, lang):
    """Every route, in every language of the site (and negotiated): no "VoIP Down", no 2016,
    in texts, titles, meta and Open Graph, alt and aria texts, feeds, badges and the embed's
    words."""
    paths = list(EVERY_GET_ROUTE.values()) + MORE_PATHS
    headers = {"Accept-Language": "ar-DZ,ar;q=0.9,en;q=0.5"} if lang is None else {}
    for path in paths:
        asked = path if lang is None else f"{path}{'&' if '?' in path else '?'}lang={lang}"
        response = get(algeria, asked, **headers)
        assert response.status_code < 500, asked
        found = OURS.findall(reader_visible(response))
        assert not found, (asked, found)


def test_the_share_image_says_nothing_of_voip_down(make_app, tmp_path, monkeypatch):
    """The words the share image is drawn with (a PNG has no text to read back)."""
    import voipdown.web.site as site

    drawn = []
    real_card = site.render_share_card

    def watched_card(font, **words):
        drawn.append(words)
        return real_card(font, **words)

    monkeypatch.setattr(site, "render_share_card", watched_card)
    app = make_app(ALGERIA, VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3"))
    for lang in ("fr", "ar"):
        assert get(app, f"/dz-coupure/share.png?lang={lang}").status_code == 200
    assert [words["signature"] for words in drawn] == ["Coupures DZ", "انقطاعات الجزائر"]
    assert not [value for words in drawn for value in words.values() if OURS.search(str(value))]
