"""Shaping a line of text into positioned glyphs, with HarfBuzz, run by run in visual order."""

from __future__ import annotations

from dataclasses import dataclass

import uharfbuzz as hb

from voipdown.render.bidi import visual_runs
from voipdown.render.font import Font


@dataclass(frozen=True)
class PlacedGlyph:
    glyph_id: int
    x: int
    """Pen position plus HarfBuzz's offset, in font units from the line's left edge."""
    y: int
    """HarfBuzz's vertical offset (marks), in font units, y up."""


@dataclass(frozen=True)
class ShapedLine:
    text: str
    glyphs: tuple[PlacedGlyph, ...]
    advance: int
    """The line's width, in font units."""


def shape_line(font: Font, text: str, rtl: bool) -> ShapedLine:
    """Shape `text`, a paragraph of base direction `rtl`, left to right as it will be displayed."""
    glyphs: list[PlacedGlyph] = []
    pen_x = 0
    for run in visual_runs(text, rtl):
        buffer = hb.Buffer()
        buffer.add_str(run.text)
        buffer.guess_segment_properties()  # script and language from the text
        buffer.direction = "rtl" if run.rtl else "ltr"
        hb.shape(font.hb_font, buffer, {"kern": True, "liga": True})
        # HarfBuzz returns the glyphs of a right-to-left run already in visual order.
        for info, position in zip(buffer.glyph_infos, buffer.glyph_positions, strict=True):
            glyphs.append(PlacedGlyph(info.codepoint, pen_x + position.x_offset, position.y_offset))
            pen_x += position.x_advance
    return ShapedLine(text=text, glyphs=tuple(glyphs), advance=pen_x)
