"""Latin runs inside right-to-left text, isolated so that each keeps its own order.

In an Arabic sentence, "#OpeUnlike" would otherwise show as "OpeUnlike#" and "Maroc
Telecom" as "Telecom Maroc": the hash mark and the space take the direction of the
Arabic around them. A run of Latin words (with a leading # or @, inner digits and
punctuation, and the spaces between its words) is wrapped in LEFT-TO-RIGHT ISOLATE ...
POP DIRECTIONAL ISOLATE in plain text (feeds, JSON, the embed, attributes) and in <bdi>
in pages. Left-to-right text needs nothing, and is returned unchanged.
"""

from __future__ import annotations

import re
from html import escape

from voipdown.languages import is_rtl

LRI, PDI = "\u2066", "\u2069"
_LETTER = r"A-Za-z\u00C0-\u024F"
_WORD = rf"[#@]?[0-9]*[{_LETTER}][{_LETTER}0-9'’._\-/:@]*"
LATIN_RUN = re.compile(rf"{_WORD}(?:[ &,+]+{_WORD})*")
_TRAILING = ".,:;-/'’"


def latin_runs(text: str) -> list[tuple[str, bool]]:
    """`text` cut into (part, is a Latin run); a run's trailing punctuation stays outside it."""
    parts: list[tuple[str, bool]] = []
    position = 0
    for match in LATIN_RUN.finditer(text):
        run = match.group(0).rstrip(_TRAILING + " ,&+")
        if not run:
            continue
        start, end = match.start(), match.start() + len(run)
        if start > position:
            parts.append((text[position:start], False))
        parts.append((run, True))
        position = end
    if position < len(text):
        parts.append((text[position:], False))
    return parts


def isolate(text: str, lang: str) -> str:
    """Plain text with each Latin run isolated, when `lang` is written right to left."""
    if not is_rtl(lang) or not text:
        return text
    return "".join(f"{LRI}{part}{PDI}" if latin else part for part, latin in latin_runs(text))


def isolate_html(text: str, lang: str) -> str:
    """Escaped HTML with each Latin run in <bdi dir="ltr">, when `lang` is written right to left."""
    if not is_rtl(lang):
        return escape(text, quote=False)
    return "".join(
        f'<bdi dir="ltr">{escape(part, quote=False)}</bdi>' if latin else escape(part, quote=False)
        for part, latin in latin_runs(text)
    )
