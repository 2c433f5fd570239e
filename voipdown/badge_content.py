"""What a badge says: the counter's title and count, a tally's value, or an error in words,
in one language (a chart's words are chart_content.py's).

Every word on a badge comes from the timeline or our catalogs; a request chooses
among them (counter, language, style, colour) but can never add its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from voipdown.counting import Count
from voipdown.languages import is_rtl
from voipdown.palette import ERROR_COLOR, PALETTE, STATUS_COLORS, TALLY_COLOR
from voipdown.render.font import Font
from voipdown.render.layout import BadgeLayout, layout_badge
from voipdown.render.shaping import shape_line
from voipdown.render.styles import STYLES
from voipdown.tallies.model import Tally
from voipdown.texts import (
    BAD_PARAMETER,
    ERROR_LABEL,
    KIND_WORDS,
    NO_DATA,
    NOT_FOUND,
    UNAVAILABLE,
    UNIT_MESSAGES,
    UPCOMING,
    catalog,
    count_message,
    format_day,
    format_number,
    label_and_message,
    phrase,
    tally_message,
)
from voipdown.timeline import Counter, Timeline

BADGE_PARAMETERS = ("lang", "style", "color", "scale", "size")
"""The only names an error badge (of a badge or a chart) may quote: ours, never the request's."""
BADGE_MESSAGES = (
    *(words.ongoing for words in KIND_WORDS.values()),
    *(words.ended for words in KIND_WORDS.values()),
    UPCOMING,
    ERROR_LABEL,
    NOT_FOUND,
    BAD_PARAMETER,
    NO_DATA,
    UNAVAILABLE,
    *UNIT_MESSAGES.values(),
)
"""Every catalog message a badge can show."""


def _badge(font: Font, label: str, message: str, color: str, style: str, lang: str, rtl: bool) -> BadgeLayout:
    """A badge reading `label` then `message`, said as one sentence to assistive technology."""
    return layout_badge(font, label, message, label_and_message(label, message), color, style, lang, rtl)


def counter_badge(font: Font, counter: Counter, count: Count, lang: str, style: str, color: str | None) -> BadgeLayout:
    """The badge of `counter`: its title, then its count (« levé après 304 jours »)."""
    return _badge(
        font,
        label=counter.title_in(lang),
        message=count_message(counter, count, lang),
        color=PALETTE[color or STATUS_COLORS[count.status.value].badge],
        style=style,
        lang=lang,
        rtl=is_rtl(lang),
    )


def tally_badge(font: Font, tally: Tally, value: int | None, lang: str, style: str, color: str | None) -> BadgeLayout:
    """The badge of a tally: its title, then its value in its unit (« 27 000 « j’aime » retirés »)."""
    return _badge(
        font,
        label=tally.title_in(lang),
        message=tally_message(value, tally.unit, lang, tally.locale_in(lang)),
        color=PALETTE[color or TALLY_COLOR],
        style=style,
        lang=lang,
        rtl=is_rtl(lang),
    )


def error_badge(
    font: Font, lang: str, style: str, *, not_found: bool = False, parameter: str | None = None
) -> BadgeLayout:
    """A badge that says what went wrong, so a host page shows words and not a broken image."""
    if parameter is not None:
        if parameter not in BADGE_PARAMETERS:
            raise ValueError("an error badge names only our own parameters")
        message = phrase(lang, BAD_PARAMETER, parameter=parameter)
    elif not_found:
        message = phrase(lang, NOT_FOUND)
    else:
        message = phrase(lang, UNAVAILABLE)
    return _badge(
        font,
        label=phrase(lang, ERROR_LABEL),
        message=message,
        color=PALETTE[ERROR_COLOR],
        style=style,
        lang=lang,
        rtl=is_rtl(lang),
    )


def every_badge_text(timeline: Timeline) -> Iterator[tuple[str, str]]:
    """(language, text) for every text a badge can show: each catalog entry with a large
    formatted number and every month's date, and every counter's title; upper-cased too
    where a style shows capitals."""
    uppercase = any(style.uppercase for style in STYLES.values())
    for lang in timeline.site.languages:
        texts = [counter.title_in(lang) for counter in timeline.counters.values()]
        texts += [tally.title_in(lang) for counter in timeline.counters.values() for tally in counter.tallies.values()]
        number = format_number(1_234_567, lang)
        for message in catalog(lang):
            if message.id in BADGE_MESSAGES and message.string:
                texts.append(
                    message.string.replace("{days}", number).replace("{count}", number).replace("{parameter}", "scale")
                )
        texts += [format_day(dt.date(2016, month, 28), lang) for month in range(1, 13)]
        for text in texts:
            yield lang, text
            if uppercase and text.upper() != text:
                yield lang, text.upper()


def missing_glyphs(font: Font, timeline: Timeline) -> dict[str, set[str]]:
    """Characters, by language, that some badge would need and `font` cannot draw."""
    missing: dict[str, set[str]] = {}
    for lang, text in every_badge_text(timeline):
        absent = font.missing_characters(text)
        line = shape_line(font, text, is_rtl(lang))
        if any(glyph.glyph_id == 0 for glyph in line.glyphs):
            absent.add("(a glyph the shaper could not find)")
        if absent:
            missing.setdefault(lang, set()).update(absent)
    return missing
