"""The colours the service speaks in: a bounded palette, and one colour per status for
every output (badge, page, frame, embed card, share image).

No free colour: a bounded palette keeps every badge readable (white text at a contrast
of at least 4.5:1) and keeps the number of distinct badges, and so the cost of
rendering them all from cold, bounded. Content decides which colour (voipdown/badge_content.py,
summary.py); the drawing layer paints what it is given.
"""

from __future__ import annotations

from dataclasses import dataclass

# Every colour keeps white text at a contrast ratio of at least 4.5:1 (a test checks it).
PALETTE: dict[str, str] = {
    "red": "#b91c1c",
    "orange": "#b45309",
    "green": "#15803d",
    "teal": "#0f766e",
    "blue": "#1d4ed8",
    "purple": "#7e22ce",
    "grey": "#4b5563",
    "black": "#111827",
}
ERROR_COLOR = "grey"
TALLY_COLOR = "blue"
"""A tally's badge, unless asked otherwise: apart from the counter's status colours."""

LIGHT_BACKGROUND = "#ffffff"
DARK_BACKGROUND = "#111827"
"""The backgrounds of the page, the frame and the embed's corner card, in each theme."""


@dataclass(frozen=True)
class StatusColors:
    """How one status looks in every output: the same hue everywhere, a shade per background."""

    badge: str
    """A PALETTE name: the badge's message side, white text on it."""
    on_light: str
    """The count written on LIGHT_BACKGROUND (page headline, frame, corner card)."""
    on_dark: str
    """The count written on DARK_BACKGROUND (frame and corner card in the dark theme)."""
    card: str
    """The share image's background, white text on it."""
    card_soft: str
    """The share image's secondary text."""


STATUS_COLORS: dict[str, StatusColors] = {
    "ongoing": StatusColors("red", "#b91c1c", "#fca5a5", "#7f1d1d", "#fee2e2"),
    "ended": StatusColors("green", "#15803d", "#86efac", "#14532d", "#dcfce7"),
    "upcoming": StatusColors("blue", "#1d4ed8", "#93c5fd", "#1e3a8a", "#dbeafe"),
}
"""Ongoing red, ended green, upcoming blue: the test suite checks the contrast of every text."""


def status_css() -> str:
    """CSS custom properties `--accent` for each status class, in the light, dark and auto
    themes: the frame, the page and the embed's card share them."""
    rules = []
    for status, colors in STATUS_COLORS.items():
        rules.append(f".{status}{{--accent:{colors.on_light}}}")
        rules.append(f".dark.{status},.dark .{status}{{--accent:{colors.on_dark}}}")
        rules.append(
            f"@media (prefers-color-scheme:dark){{.auto.{status},.auto .{status}{{--accent:{colors.on_dark}}}}}"
        )
    return "\n".join(rules) + "\n"
