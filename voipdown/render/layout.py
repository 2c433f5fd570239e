"""Badge geometry: two labelled boxes sized by the shaped width of their text.

`layout_badge` is the pure core, in the spirit of badgen's: label, message, sentence,
colour and style in; sizes and glyph positions out. The SVG and PNG writers only draw what it
decided, so both formats have the same geometry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from voipdown.render.font import Font
from voipdown.render.shaping import ShapedLine, shape_line
from voipdown.render.styles import LABEL_COLOR, STYLES, Style


@dataclass(frozen=True)
class Box:
    x: int
    width: int
    fill: str
    line: ShapedLine
    text_x: float
    """Left edge of the shaped text, in px from the badge's left edge."""


@dataclass(frozen=True)
class BadgeLayout:
    width: int
    height: int
    style: Style
    boxes: tuple[Box, ...]
    """Left to right as displayed: label then message, or message then label when right to left."""
    px_per_unit: float
    """Font units to px."""
    sentence: str
    """The whole badge as one sentence, for `aria-label` and `<title>`."""
    lang: str
    rtl: bool


def layout_badge(
    font: Font, label: str, message: str, sentence: str, color: str, style: str, lang: str, rtl: bool
) -> BadgeLayout:
    """Lay out a badge reading `label` then `message` (in the language's own direction);
    `sentence` is the whole badge in words, for its title."""
    chosen = STYLES[style]
    px_per_unit = chosen.font_size / font.units_per_em
    boxes = []
    x = 0
    texts = [(label, LABEL_COLOR), (message, color)]
    for text, fill in reversed(texts) if rtl else texts:
        shown = text.upper() if chosen.uppercase else text
        line = shape_line(font, shown, rtl)
        text_width = line.advance * px_per_unit
        width = math.ceil(text_width + 2 * chosen.padding)
        boxes.append(Box(x=x, width=width, fill=fill, line=line, text_x=x + (width - text_width) / 2))
        x += width
    return BadgeLayout(
        width=x,
        height=chosen.height,
        style=chosen,
        boxes=tuple(boxes),
        px_per_unit=px_per_unit,
        sentence=sentence,
        lang=lang,
        rtl=rtl,
    )
