"""What a badge says: the counter's title and count, or an error in words, in one language.

Every word on a badge comes from the timeline or our catalogs; a request chooses
among them (counter, language, style, colour) but can never add its own.
"""

from __future__ import annotations

from voipdown.counting import Count
from voipdown.languages import LANGUAGES
from voipdown.render.font import Font
from voipdown.render.layout import BadgeLayout, layout_badge
from voipdown.render.styles import ERROR_COLOR, PALETTE, STATUS_COLORS
from voipdown.texts import BAD_PARAMETER, ERROR_LABEL, NOT_FOUND, UNAVAILABLE, count_message, phrase
from voipdown.timeline import Counter

BADGE_PARAMETERS = ("lang", "style", "color", "scale")
"""The only names an error badge may quote: ours, never the request's."""


def counter_badge(font: Font, counter: Counter, count: Count, lang: str, style: str, color: str | None) -> BadgeLayout:
    """The badge of `counter`: its title, then its count (« levé après 304 jours »)."""
    return layout_badge(
        font,
        label=counter.title_in(lang),
        message=count_message(count, lang, counter.start),
        color=PALETTE[color or STATUS_COLORS[count.status.value]],
        style=style,
        lang=lang,
        rtl=LANGUAGES[lang].direction == "rtl",
    )


def error_badge(font: Font, lang: str, style: str, *, not_found: bool = False, parameter: str | None = None) -> BadgeLayout:
    """A badge that says what went wrong, so a host page shows words and not a broken image."""
    if parameter is not None:
        if parameter not in BADGE_PARAMETERS:
            raise ValueError("an error badge names only our own parameters")
        message = phrase(lang, BAD_PARAMETER, parameter=parameter)
    elif not_found:
        message = phrase(lang, NOT_FOUND)
    else:
        message = phrase(lang, UNAVAILABLE)
    return layout_badge(
        font,
        label=phrase(lang, ERROR_LABEL),
        message=message,
        color=PALETTE[ERROR_COLOR],
        style=style,
        lang=lang,
        rtl=LANGUAGES[lang].direction == "rtl",
    )
