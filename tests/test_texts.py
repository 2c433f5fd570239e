"""Texts: catalogs complete for CLDR's plural categories, numbers and dates from CLDR."""

import datetime as dt
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from voipdown import texts
from voipdown.counting import Count, Status
from voipdown.languages import SHIPPED, language
from voipdown.texts import KIND_WORDS, UPCOMING, catalog, phrase, plural_category
from voipdown.timeline import Counter

ONGOING, ENDED = KIND_WORDS["block"].ongoing, KIND_WORDS["block"].ended

PLURAL_MESSAGES = (ONGOING, ENDED)
NUMBERS = (0, 1, 2, 3, 11, 100, 101, 102)
LOCALES = Path(texts.__file__).parent / "locales"


def categories(lang):
    return set(language(lang).locale.plural_form.tags) | {"other"}


# Written by hand, from Arabic grammar, not from the catalog: 3-10 take a plural
# noun (أيام), 11-99 a singular accusative (يومًا), 100-102 a singular genitive (يوم).
EXPECTED = {
    "ar": [
        "منذ 0 يوم",
        "منذ يوم واحد",
        "منذ يومين",
        "منذ 3 أيام",
        "منذ 11 يومًا",
        "منذ 100 يوم",
        "منذ 101 يوم",
        "منذ 102 يوم",
    ],
    "fr": [
        "depuis 0 jour",
        "depuis 1 jour",
        "depuis 2 jours",
        "depuis 3 jours",
        "depuis 11 jours",
        "depuis 100 jours",
        "depuis 101 jours",
        "depuis 102 jours",
    ],
    "en": [
        "for 0 days",
        "for 1 day",
        "for 2 days",
        "for 3 days",
        "for 11 days",
        "for 100 days",
        "for 101 days",
        "for 102 days",
    ],
    "zgh": [f"ⵙⴳ {n} ⵏ ⵡⵓⵙⵙⴰⵏ" for n in NUMBERS],
}


@pytest.mark.parametrize("lang", SHIPPED)
def test_phrases_for_sample_numbers(lang):
    assert [phrase(lang, ONGOING, days=n) for n in NUMBERS] == EXPECTED[lang]


@pytest.mark.parametrize("lang", SHIPPED)
@pytest.mark.parametrize("number", NUMBERS + (1_000_000, 304))
def test_phrase_is_the_catalog_entry_of_the_cldr_category(lang, number):
    category = language(lang).locale.plural_form(number)
    assert plural_category(lang, number) == category
    for msgid in PLURAL_MESSAGES:
        entry = catalog(lang).get(msgid, context=category)
        assert entry is not None and entry.string, (lang, msgid, category)
        expected = entry.string.replace("{days}", texts.format_number(number, lang))
        assert phrase(lang, msgid, days=number) == expected


def test_arabic_has_six_categories_and_french_zero_is_singular():
    assert categories("ar") == {"zero", "one", "two", "few", "many", "other"}
    assert [plural_category("ar", n) for n in (0, 1, 2, 3, 11, 100)] == ["zero", "one", "two", "few", "many", "other"]
    assert plural_category("fr", 0) == "one" and plural_category("en", 0) == "other"
    assert categories("zgh") == {"other"}


@pytest.mark.parametrize("lang", SHIPPED)
def test_catalog_has_exactly_the_categories_of_its_language(lang):
    plural_ids = {message.id for message in catalog(lang) if message.context}
    assert set(PLURAL_MESSAGES) <= plural_ids and len(plural_ids) >= 5
    for msgid in plural_ids:
        found = {message.context for message in catalog(lang) if message.id == msgid}
        assert found == categories(lang), (lang, msgid)


def test_every_plural_form_of_every_language_for_sites_and_status():
    assert phrase("ar", texts.SITES_COUNT, count=190) == "عرض 190 موقعًا العدّاد."  # 190: many (..90)
    assert phrase("ar", texts.SITES_COUNT, count=200) == "عرض 200 موقع العدّاد."  # 200: other
    assert phrase("ar", texts.SITES_COUNT, count=11) == "عرض 11 موقعًا العدّاد."
    assert phrase("fr", texts.SITES_COUNT, count=1) == "1 site a affiché le compteur."
    assert (
        phrase("en", KIND_WORDS["block"].over, days=304, date=dt.date(2016, 11, 4))
        == "The block was lifted on November 4, 2016, after 304 days."
    )
    assert (
        phrase("ar", KIND_WORDS["block"].over, days=304, date=dt.date(2016, 11, 4))
        == "رُفع الحجب في 4 نونبر 2016 بعد 304 أيام."
    )


@pytest.mark.parametrize("lang", SHIPPED)
def test_translations_use_only_the_placeholders_of_their_source(lang):
    for message in catalog(lang):
        if not message.id:
            continue
        assert message.string, (lang, message.id, message.context)
        allowed = set(re.findall(r"\{(\w+)\}", message.id))
        used = set(re.findall(r"\{(\w+)\}", message.string))
        assert used <= allowed, (lang, message.id, used)
        if lang != "ar" or message.context not in ("zero", "one", "two"):
            assert used == allowed, (lang, message.id, message.context)


def test_template_lists_every_message_of_the_catalogs():
    with (LOCALES / "voipdown.pot").open("rb") as pot:
        template = {message.id for message in read_po(pot) if message.id}
    for lang in SHIPPED:
        assert {message.id for message in catalog(lang) if message.id} == template


def test_numbers_and_dates_come_from_cldr():
    assert phrase("fr", ONGOING, days=3612) == "depuis 3\u202f612 jours"
    assert phrase("en", ENDED, days=3612) == "lifted after 3,612 days"
    assert phrase("ar", ENDED, days=304) == "رُفع بعد 304 أيام"
    assert phrase("fr", UPCOMING, date=dt.date(2016, 11, 4)) == "à partir du 4 novembre 2016"
    assert phrase("ar", UPCOMING, date=dt.date(2016, 11, 4)) == "ابتداءً من 4 نونبر 2016"
    assert phrase("zgh", UPCOMING, date=dt.date(2016, 11, 4)) == "ⴰⴷ ⵉⴱⴷⵓ ⴳ 4 ⵏⵓⵡⴰⵏⴱⵉⵔ 2016"


def test_count_message_by_status():
    start = dt.date(2016, 1, 5)
    counter = Counter("c", "UTC", start, None, {"fr": "C"}, "fr")
    assert texts.count_message(counter, Count(Status.ENDED, 304, start, None), "fr") == "levé après 304 jours"
    assert texts.count_message(counter, Count(Status.ONGOING, 2, start, None), "ar") == "منذ يومين"
    assert texts.count_message(counter, Count(Status.UPCOMING, 0, start, None), "en") == "starts on January 5, 2016"


def test_missing_translation_falls_back_to_french_then_source(monkeypatch):
    english = catalog("en")
    monkeypatch.setattr(english.get(ONGOING, context="other"), "string", "")
    assert phrase("en", ONGOING, days=5) == "depuis 5 jours"  # French, with French number formatting
    monkeypatch.setattr(catalog("fr").get(ONGOING, context="other"), "string", "")
    assert phrase("en", ONGOING, days=5) == "for 5 days"  # the English source, never blank


def test_placeholders_cannot_reach_attributes(monkeypatch):
    monkeypatch.setattr(catalog("en").get(ONGOING, context="other"), "string", "{days.__class__} {days}")
    assert phrase("en", ONGOING, days=5) == "{days.__class__} 5"


@pytest.mark.parametrize("lang", SHIPPED)
def test_every_unit_has_every_plural_category_of_every_language(lang):
    from voipdown.tallies.model import UNITS
    from voipdown.texts import UNIT_MESSAGES

    assert set(UNIT_MESSAGES) == set(UNITS)
    for msgid in UNIT_MESSAGES.values():
        found = {message.context for message in catalog(lang) if message.id == msgid}
        assert found == categories(lang), (lang, msgid, found)


def test_tally_messages_take_cldr_numbers_and_plurals():
    from voipdown.texts import tally_message

    assert tally_message(27_000, "likes-lost", "fr") == "27\u202f000 « j’aime » retirés"
    assert tally_message(1, "likes-lost", "fr") == "1 « j’aime » retiré"
    assert tally_message(1_000_000, "signatures", "fr") == "1\u202f000\u202f000 de signatures"
    assert tally_message(27_000, "likes-lost", "en") == "27,000 likes lost"
    assert tally_message(1, "people", "en") == "1 person"
    assert [tally_message(n, "signatures", "ar") for n in (0, 1, 2, 3, 11, 100)] == [
        "0 توقيع",
        "توقيع واحد",
        "توقيعان",
        "3 توقيعات",
        "11 توقيعًا",
        "100 توقيع",
    ]
    assert tally_message(20_000, "likes-lost", "zgh") == "20\xa0000 ⵏ « j’aime » ⵉⵜⵜⵓⴽⴽⵙⵏ"  # CLDR: a no-break space
    assert tally_message(None, "likes", "ar") == "لا بيانات بعد"
