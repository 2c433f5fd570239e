"""Badge styles: a small, named, documented set, and the colours of what every badge draws
alike (its label side, its text, the text's shadow). The colours a badge is asked for are
the core's palette (voipdown/palette.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Style:
    name: str
    height: int
    font_size: float
    baseline: float
    """Distance from the top edge to the text baseline, in px."""
    radius: float
    padding: float
    """Space left and right of each text, in px."""
    gradient: tuple[tuple[float, str, float], ...] = ()
    """(offset, colour, opacity) stops of a vertical gloss over the whole badge."""
    shadow: bool = False
    """A 30% dark copy of the text 1 px lower, as shields.io draws it."""
    uppercase: bool = False


STYLES: dict[str, Style] = {
    style.name: style
    for style in (
        Style("flat", 20, 11, 14, 3, 6, gradient=((0, "#bbb", 0.1), (1, "#000", 0.1)), shadow=True),
        Style("flat-square", 20, 11, 14, 0, 6),
        Style(
            "plastic",
            18,
            11,
            13,
            4,
            6,
            gradient=((0, "#fff", 0.7), (0.1, "#aaa", 0.1), (0.9, "#000", 0.3), (1, "#000", 0.5)),
            shadow=True,
        ),
        Style("for-the-badge", 28, 10, 18, 0, 10, uppercase=True),
    )
}
DEFAULT_STYLE = "flat"

LABEL_COLOR = "#555"
TEXT_COLOR = "#fff"
SHADOW_COLOR = "#010101"
SHADOW_OPACITY = 0.3
