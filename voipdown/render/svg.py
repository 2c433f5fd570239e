"""Badges as SVG: glyph outlines as paths, so the badge looks the same whatever fonts the viewer has.

Text drawn with `<text>` depends on the viewer's fonts, and `textLength` (shields.io,
badgen) pulls Arabic letters apart. Paths from our own shaping do neither. Each glyph's
outline is written once and reused with `<use>`; the sentence stays readable to
assistive technology in `aria-label` and `<title>`.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from voipdown.render.font import OUTLINE_UNITS_PER_EM, Font
from voipdown.render.layout import BadgeLayout
from voipdown.render.shaping import ShapedLine
from voipdown.render.styles import SHADOW_COLOR, SHADOW_OPACITY, TEXT_COLOR


def short_number(value: float, decimals: int = 2) -> str:
    """Shortest faithful form: `decimals` at most, no trailing zeros, no leading zero."""
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        return "0"
    return text.replace("0.", ".", 1) if text.startswith(("0.", "-0.")) else text


def _glyph_id(index: int) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = letters[rest] + name
    return "g" + name


class Glyphs:
    """Each glyph's outline written once (in `<defs>`) and placed with `<use>`: a text of
    any script costs its distinct glyphs once, whatever its length."""

    def __init__(self, font: Font):
        self.font = font
        self.ids: dict[int, str] = {}
        self.paths: list[str] = []

    def line(self, line: ShapedLine, x: float, baseline: float, px_per_unit: float) -> str:
        """A shaped line as a group, its left edge at `x` and its baseline at `baseline` (px)."""
        font = self.font
        units = font.units_per_em / OUTLINE_UNITS_PER_EM  # font units per outline unit
        scale = short_number(px_per_unit * units, 7)  # px per outline unit: exact, errors would add up
        uses = []
        for glyph in line.glyphs:
            if not font.outline_path(glyph.glyph_id):
                continue  # spaces
            if glyph.glyph_id not in self.ids:
                self.ids[glyph.glyph_id] = _glyph_id(len(self.ids))
                self.paths.append(f'<path id="{self.ids[glyph.glyph_id]}" d="{font.outline_path(glyph.glyph_id)}"/>')
            y = round(glyph.y / units)
            y_attr = f' y="{y}"' if y else ""
            uses.append(f'<use xlink:href="#{self.ids[glyph.glyph_id]}" x="{round(glyph.x / units)}"{y_attr}/>')
        return (
            f'<g transform="matrix({scale} 0 0 -{scale} {short_number(x)} {short_number(baseline)})">'
            + "".join(uses)
            + "</g>"
        )

    def defs(self) -> str:
        return "".join(self.paths)


def render_svg(layout: BadgeLayout, font: Font) -> str:
    """The badge as a standalone SVG document (no script, no external reference)."""
    style = layout.style
    width, height = layout.width, layout.height
    glyphs = Glyphs(font)
    text_groups = [glyphs.line(box.line, box.text_x, style.baseline, layout.px_per_unit) for box in layout.boxes]

    gradient = ""
    overlay = ""
    if style.gradient:
        stops = "".join(
            f'<stop offset="{short_number(offset)}" stop-color="{color}" stop-opacity="{short_number(opacity)}"/>'
            for offset, color, opacity in style.gradient
        )
        gradient = f'<linearGradient id="s" x2="0" y2="100%">{stops}</linearGradient>'
        overlay = f'<rect width="{width}" height="{height}" fill="url(#s)"/>'
    rects = "".join(
        f'<rect x="{box.x}" width="{box.width}" height="{height}" fill="{box.fill}"/>' for box in layout.boxes
    )
    if style.radius:
        clip = (
            f'<clipPath id="r"><rect width="{width}" height="{height}" rx="{short_number(style.radius)}"/></clipPath>'
        )
        background = f'<g clip-path="url(#r)">{rects}{overlay}</g>'
    else:
        clip = ""
        background = rects + overlay
    shadow = (
        f'<use xlink:href="#t" y="1" fill="{SHADOW_COLOR}" fill-opacity="{short_number(SHADOW_OPACITY)}"/>'
        if style.shadow
        else ""
    )
    return svg_document(
        width,
        height,
        layout.sentence,
        layout.lang,
        f'<defs>{gradient}{clip}{glyphs.defs()}<g id="t">{"".join(text_groups)}</g></defs>'
        f'{background}{shadow}<use xlink:href="#t" fill="{TEXT_COLOR}"/>',
    )


def svg_document(width: int, height: int, sentence: str, lang: str, content: str) -> str:
    """A standalone image: its size, its text alternative (`aria-label` and `<title>`, for
    every reader) and its language around `content`."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        f' width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        f' role="img" aria-label={quoteattr(sentence)} xml:lang={quoteattr(lang)}>'
        f"<title>{escape(sentence)}</title>{content}</svg>"
    )
