"""The words the service says, from gettext catalogs, with CLDR plurals, numbers and dates.

Which plural form to use is decided in one place, `plural_category`, by CLDR's rules
through Babel; catalog entries are keyed by that category (see locales/README.md).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources.abc import Traversable

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time, get_timezone_gmt
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.units import format_unit

from voipdown.counting import Count, Status
from voipdown.languages import DEFAULT_LANGUAGE, language, locale_of
from voipdown.tallies.model import Tally
from voipdown.timeline import Counter, Event
from voipdown.zones import load_zone

SOURCE_LANGUAGE = "en"
"""The catalogs' msgids are English: the last fallback."""

UPCOMING = "starts on {date}"
ERROR_LABEL = "counter"
NOT_FOUND = "not found"
BAD_PARAMETER = "invalid {parameter}"
UNAVAILABLE = "unavailable"
SITES_COUNT = "{count} sites showed the counter."
NO_SUCH_PAGE = "This page does not exist."
BAD_ADDRESS = "This address has an invalid value for {parameter}."
NOT_ANSWERING = "The service cannot answer for now."
NO_DATA = "no data yet"
UNIT_MESSAGES = {
    "likes-lost": "{count} likes lost",
    "likes": "{count} likes",
    "signatures": "{count} signatures",
    "sites": "{count} sites",
    "people": "{count} people",
}
"""A tally's value in its unit (tallies.model.UNITS), with CLDR plurals in every catalog."""
ACTIONS = {
    "likes-lost": "Take part",
    "likes": "Take part",
    "signatures": "Sign the petition",
    "sites": "Show the counter on your site",
    "people": "Take part",
}
"""A tally's call to action (a link to its `url`) when the timeline gives no `action`, by unit."""

# A tally on the pages (the templates' own words are in them: t("Latest sample")...).
CHANGE_SINCE = "Change since {date}"
PER_MINUTE = "{rate} a minute"
PER_HOUR = "{rate} an hour"
STALE_TALLY = "No new sample for a while: the figures may be behind."
COLLECTED = "Collected from {source} every {interval}."
COLLECTED_SINCE = "Collected from {source} every {interval}, since {date}."
COLLECT_FAILING = "The last reading of {source} failed: the figures may be behind."
CLOSED_TALLY = "History: this tally takes no new samples."
UNREAD_TALLY = "The samples cannot be read just now: these figures are the last this server saw, and may be behind."
SAMPLES_PAGE = "Samples, page {page} of {pages}"
AS_OF = "{message}, as of {date}"


@dataclass(frozen=True)
class KindWords:
    """The sentences of one kind of event (a counter's `kind`), as catalog msgids. Each has its
    own entries, so that every language can make them agree with what it speaks of."""

    ongoing: str
    """A badge's message while it lasts: "for {days} days"."""
    ended: str
    """A badge's message once over: "lifted after {days} days"."""
    since: str
    """The state in a sentence while it lasts: "Blocked since {date}." (may say {days})."""
    over: str
    """The state in a sentence once over: "The block was lifted on {date}, after {days} days."."""
    milestone: str
    """A round count, in the feed: "{days} days of blocking"."""


KIND_WORDS: dict[str, KindWords] = {
    "block": KindWords(
        "for {days} days",
        "lifted after {days} days",
        "Blocked since {date}.",
        "The block was lifted on {date}, after {days} days.",
        "{days} days of blocking",
    ),
    "shutdown": KindWords(
        "shut down for {days} days",
        "restored after {days} days",
        "Shut down since {date}.",
        "Restored on {date}, after {days} days of shutdown.",
        "{days} days of shutdown",
    ),
    "detention": KindWords(
        "detained for {days} days",
        "released after {days} days",
        "In detention since {date}.",
        "Released on {date}, after {days} days of detention.",
        "{days} days of detention",
    ),
    "ban": KindWords(
        "banned for {days} days",
        "ban lifted after {days} days",
        "Banned since {date}.",
        "The ban was lifted on {date}, after {days} days.",
        "{days} days of ban",
    ),
    "since": KindWords(
        "{days} days",
        "ended after {days} days",
        "{days} days since {date}.",
        "Ended on {date}, after {days} days.",
        "{days} days",
    ),
}
"""Every kind of `KINDS` (the timeline's), with its words (a test checks they are the same)."""

PLACEHOLDER = re.compile(r"\{(\w+)\}")
"""A named placeholder of a message: the only thing a catalog's text may fill in."""


def catalog(lang: str) -> Catalog:
    """The parsed catalog of `lang` (read once: shipped, or from VOIPDOWN_CATALOGS)."""
    speaker = language(lang)
    return _read_catalog(speaker.catalog, speaker.locale)


@lru_cache(maxsize=None)
def _read_catalog(path: Traversable, locale: Locale) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=locale)


def plural_category(lang: str, number: int) -> str:
    """CLDR's plural category (zero, one, two, few, many, other) of `number` in `lang`."""
    return language(lang).locale.plural_form(number)


# `locale` below is a counter's own CLDR locale for the language (its `locale = { ar = "ar_DZ" }`),
# None for the language's: the words come from `lang`'s catalog, the numbers and dates from it.


def format_number(number: int, lang: str, locale: str | None = None) -> str:
    return format_decimal(number, locale=locale_of(lang, locale))


def signed_number(number: int, lang: str, locale: str | None = None) -> str:
    """A change, always with its sign: « +27 000 », « -1 500 »."""
    return format_decimal(number, format="+#,##0;-#,##0", locale=locale_of(lang, locale))


def format_moment(moment: dt.date | dt.datetime, lang: str, timezone: str, locale: str | None = None) -> str:
    """When a sample was taken: its day when only the day is known, else the day and the
    time on the counter's clock, with its offset from UTC (« 29 févr. 2016, 14:03 UTC+01:00 »)."""
    locale = locale_of(lang, locale)
    if not isinstance(moment, dt.datetime):
        return format_skeleton("yMMMd", moment, locale=locale)
    local = moment.astimezone(load_zone(timezone))
    day = format_skeleton("yMMMd", local.replace(tzinfo=None), locale=locale)
    clock = format_time(local.replace(tzinfo=None), "short", locale=locale)
    both = locale.datetime_formats["medium"].replace("{1}", day).replace("{0}", clock)
    return f"{both} {get_timezone_gmt(local, 'long', locale=locale)}"


def format_day(day: dt.date, lang: str, locale: str | None = None) -> str:
    """A date as written in running text, e.g. « 4 novembre 2016 »."""
    return format_date(day, format="long", locale=locale_of(lang, locale))


def format_interval(seconds: int, lang: str, locale: str | None = None) -> str:
    """A collecting interval in CLDR's words for a duration, in its largest whole unit:
    « 1 minute », « 10 secondes », « ساعتان »."""
    for unit, size in (("duration-hour", 3600), ("duration-minute", 60), ("duration-second", 1)):
        if seconds % size == 0:
            return format_unit(seconds // size, unit, length="long", locale=locale_of(lang, locale))
    raise ValueError(seconds)


AXIS_SKELETONS = {"time": "Hm", "day": "MMMd", "month": "MMM", "month-year": "yMMM", "year": "y"}
"""CLDR skeletons of a chart's time axis, by the kind of step between its ticks."""


def axis_label(moment: dt.datetime, kind: str, lang: str, locale: str | None = None) -> str:
    """A tick of a chart's time axis, as the language writes it: « 26 févr. », « 14:00 », « 2016 »."""
    return format_skeleton(AXIS_SKELETONS[kind], moment, locale=locale_of(lang, locale))


def _lookup(lang: str, msgid: str, count: int | None) -> str | None:
    context = plural_category(lang, count) if count is not None else None
    message = catalog(lang).get(msgid, context=context)
    return message.string if message is not None and message.string else None


def translate(lang: str, msgid: str, count: int | None = None) -> tuple[str, str]:
    """The template for `msgid` in `lang` (for the plural category of `count`), and
    the language it was found in: `lang`, else French, else the English source."""
    for candidate in dict.fromkeys((lang, DEFAULT_LANGUAGE)):
        template = _lookup(candidate, msgid, count)
        if template is not None:
            return template, candidate
    return msgid, SOURCE_LANGUAGE


def phrase(
    lang: str,
    msgid: str,
    *,
    days: int | None = None,
    count: int | None = None,
    date: dt.date | None = None,
    rate: float | None = None,
    interval: int | None = None,
    locale: str | None = None,
    **words: str,
) -> str:
    """`msgid` in `lang`, with `{days}`, `{count}` and `{date}` filled in and formatted for
    the language the text was actually found in (so a fallback reads consistently; `locale`
    applies when that is `lang`), and any other `{name}` from `words` (our own identifiers,
    such as a parameter's name). The plural form follows `days`, or else `count`."""
    template, found_in = translate(lang, msgid, days if days is not None else count)
    writer = locale if found_in == lang else None
    values = dict(words)
    if days is not None:
        values["days"] = format_number(days, found_in, writer)
    if count is not None:
        values["count"] = format_number(count, found_in, writer)
    if date is not None:
        values["date"] = format_day(date, found_in, writer)
    if rate is not None:
        values["rate"] = format_decimal(rate, locale=locale_of(found_in, writer))
    if interval is not None:
        values["interval"] = format_interval(interval, found_in, writer)
    # Only named placeholders are replaced: a catalog cannot reach attributes as str.format would.
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), template)


def count_message(counter: Counter, count: Count, lang: str) -> str:
    """What a badge says after its label, in the words of the counter's kind:
    « depuis 304 jours », « levé après 304 jours »."""
    words, locale = KIND_WORDS[counter.kind], counter.locale_in(lang)
    if count.status is Status.UPCOMING:
        return phrase(lang, UPCOMING, date=counter.start, locale=locale)
    if count.status is Status.ENDED:
        return phrase(lang, words.ended, days=count.days, locale=locale)
    return phrase(lang, words.ongoing, days=count.days, locale=locale)


def count_as_of(counter: Counter, count: Count, lang: str) -> str:
    """The last count a script knows, marked with its day, for a reader whose clock is past
    it: « depuis 311 jours, au 12 novembre 2016 », never a count that may be wrong."""
    message = count_message(counter, count, lang)
    return phrase(lang, AS_OF, message=message, date=count.as_of, locale=counter.locale_in(lang))


def milestone(counter: Counter, days: int, lang: str) -> str:
    """A round count, as a feed entry says it: « 100 jours de blocage »."""
    return phrase(lang, KIND_WORDS[counter.kind].milestone, days=days, locale=counter.locale_in(lang))


def tally_message(value: int | None, unit: str, lang: str, locale: str | None = None) -> str:
    """A tally's value in words: « 27 000 « j’aime » retirés », or « pas encore de données »."""
    if value is None:
        return phrase(lang, NO_DATA)
    return phrase(lang, UNIT_MESSAGES[unit], count=value, locale=locale)


def tally_action(tally: Tally, lang: str) -> str | None:
    """The words of the link to a tally's `url` (« Signer la pétition »); None without a url."""
    if tally.url is None:
        return None
    if tally.action:
        return tally.action.get(lang) or tally.action.get(tally.default_lang) or next(iter(tally.action.values()))
    return phrase(lang, ACTIONS[tally.unit])


def counter_sentence(counter: Counter, count: Count, lang: str) -> str:
    """The counter in one line, for an image's alternative text or a link's title:
    « VoIP bloqué au Maroc : depuis 304 jours »."""
    return label_and_message(counter.title_in(lang), count_message(counter, count, lang))


def lasting_sentence(counter: Counter, count: Count, lang: str) -> str:
    """What a snippet's alternative text says, which a pasted snippet keeps for ever: the
    counter's title while its count still changes; once ended, with its final count."""
    return counter_sentence(counter, count, lang) if count.status is Status.ENDED else counter.title_in(lang)


def label_and_message(label: str, message: str) -> str:
    """A badge's two texts as one sentence (what a screen reader says for it)."""
    return f"{label}: {message}"


def status_sentence(counter: Counter, count: Count, lang: str) -> str:
    """The state of the counter in a sentence, in the words of its kind:
    « Bloqué depuis le 7 janvier 2016. »"""
    words, locale = KIND_WORDS[counter.kind], counter.locale_in(lang)
    if count.status is Status.ENDED:
        return phrase(lang, words.over, days=count.days, date=counter.end, locale=locale)
    if count.status is Status.UPCOMING:
        return phrase(lang, UPCOMING, date=counter.start, locale=locale)
    days = count.days if "{days}" in words.since else None  # a plural entry only where it says the count
    return phrase(lang, words.since, days=days, date=counter.start, locale=locale)


def event_title(event: Event, counter: Counter, lang: str) -> tuple[str, bool]:
    """An event's title in `lang`, else in the counter's own language; and whether it is in `lang`
    (a page marks a fallback with its language)."""
    own = event.title.get(lang)
    return (own, True) if own is not None else (event.title[counter.default_lang], False)
