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
from voipdown.render.styles import SHADOW_COLOR, SHADOW_OPACITY, TEXT_COLOR


def _number(value: float, decimals: int = 2) -> str:
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


def render_svg(layout: BadgeLayout, font: Font) -> str:
    """The badge as a standalone SVG document (no script, no external reference)."""
    style = layout.style
    width, height = layout.width, layout.height
    units = font.units_per_em / OUTLINE_UNITS_PER_EM  # font units per outline unit
    scale = _number(layout.px_per_unit * units, 7)  # px per outline unit: exact, errors would add up

    defs: list[str] = []
    ids: dict[int, str] = {}
    text_groups: list[str] = []
    for box in layout.boxes:
        uses = []
        for glyph in box.line.glyphs:
            if not font.outline_path(glyph.glyph_id):
                continue  # spaces
            if glyph.glyph_id not in ids:
                ids[glyph.glyph_id] = _glyph_id(len(ids))
                defs.append(f'<path id="{ids[glyph.glyph_id]}" d="{font.outline_path(glyph.glyph_id)}"/>')
            x = round(glyph.x / units)
            y = round(glyph.y / units)
            y_attr = f' y="{y}"' if y else ""
            uses.append(f'<use xlink:href="#{ids[glyph.glyph_id]}" x="{x}"{y_attr}/>')
        text_groups.append(
            f'<g transform="matrix({scale} 0 0 -{scale} {_number(box.text_x)} {_number(style.baseline)})">'
            + "".join(uses)
            + "</g>"
        )

    gradient = ""
    overlay = ""
    if style.gradient:
        stops = "".join(
            f'<stop offset="{_number(offset)}" stop-color="{color}" stop-opacity="{_number(opacity)}"/>'
            for offset, color, opacity in style.gradient
        )
        gradient = f'<linearGradient id="s" x2="0" y2="100%">{stops}</linearGradient>'
        overlay = f'<rect width="{width}" height="{height}" fill="url(#s)"/>'
    rects = "".join(
        f'<rect x="{box.x}" width="{box.width}" height="{height}" fill="{box.fill}"/>' for box in layout.boxes
    )
    if style.radius:
        clip = f'<clipPath id="r"><rect width="{width}" height="{height}" rx="{_number(style.radius)}"/></clipPath>'
        background = f'<g clip-path="url(#r)">{rects}{overlay}</g>'
    else:
        clip = ""
        background = rects + overlay
    shadow = (
        f'<use xlink:href="#t" y="1" fill="{SHADOW_COLOR}" fill-opacity="{_number(SHADOW_OPACITY)}"/>'
        if style.shadow
        else ""
    )
    sentence = layout.sentence
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        f' width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        f' role="img" aria-label={quoteattr(sentence)} xml:lang={quoteattr(layout.lang)}>'
        f"<title>{escape(sentence)}</title>"
        f'<defs>{gradient}{clip}{"".join(defs)}<g id="t">{"".join(text_groups)}</g></defs>'
        f'{background}{shadow}<use xlink:href="#t" fill="{TEXT_COLOR}"/>'
        "</svg>"
    )
