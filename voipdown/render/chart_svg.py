"""A tally's chart as SVG: the layout's line, dots, grid, events and labels, nothing else.

Texts are glyph outlines, as in the badges (the same in every viewer, Arabic joined);
the line is one path of relative moves rounded to a tenth of a pixel, which is what
keeps a day of per-minute samples small on the wire.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from voipdown.render.chart_layout import BACKGROUND, EVENT_COLOR, GRID_COLOR, ChartLayout
from voipdown.render.font import Font
from voipdown.render.svg import Glyphs, short_number, svg_document


def line_path(points) -> str:
    """`M` to the first point, then `l` by the rounded difference to each next one; a point
    that lands on the previous one (after rounding) is left out."""
    if not points:
        return ""
    tenths = [(round(x * 10), round(y * 10)) for x, y in points]
    parts = [f"M{short_number(tenths[0][0] / 10, 1)} {short_number(tenths[0][1] / 10, 1)}"]
    previous = tenths[0]
    for point in tenths[1:]:
        dx, dy = point[0] - previous[0], point[1] - previous[1]
        if dx or dy:
            parts.append(f"l{short_number(dx / 10, 1)} {short_number(dy / 10, 1)}")
            previous = point
    if len(parts) == 1:
        parts.append("l0 0")  # one point: a zero-length segment, drawn as a round cap
    return "".join(parts).replace(" -", "-")


def render_chart_svg(layout: ChartLayout, font: Font) -> str:
    """The chart as a standalone SVG document (no script, no external reference)."""
    width, height = layout.width, layout.height
    left, top, right, bottom = layout.plot
    size = layout.size
    body: list[str] = []
    if size.labelled:
        body.append(f'<rect width="{width}" height="{height}" fill="{BACKGROUND}"/>')
        if layout.grid:
            rules = "".join(
                f"M{short_number(left, 1)} {short_number(y, 1)}H{short_number(right, 1)}" for y in layout.grid
            )
            body.append(f'<path d="{rules}" stroke="{GRID_COLOR}"/>')
        for mark in layout.events:
            body.append(
                f'<g><title>{escape(mark.title)}</title><path d="M{short_number(mark.x, 1)} {short_number(top, 1)}'
                f'V{short_number(bottom, 1)}" stroke="{EVENT_COLOR}" stroke-dasharray="3 3"/>'
                f'<circle cx="{short_number(mark.x, 1)}" cy="{short_number(top, 1)}" r="3" fill="{EVENT_COLOR}"/></g>'
            )
    if layout.line:
        body.append(
            f'<path d="{line_path(layout.line)}" fill="none" stroke="{layout.color}"'
            f' stroke-width="{short_number(size.stroke)}" stroke-linejoin="round" stroke-linecap="round"/>'
        )
        dots = "".join(
            f'<circle cx="{short_number(x, 1)}" cy="{short_number(y, 1)}" r="{short_number(size.dot)}"/>'
            for x, y in layout.dots
        )
        body.append(f'<g fill="{layout.color}">{dots}</g>')
    glyphs = Glyphs(font)
    texts = "".join(
        f'<g fill="{label.color}">'
        + glyphs.line(label.line, label.x, label.baseline, label.px / layout.units_per_em)
        + "</g>"
        for label in layout.labels
    )
    defs = f"<defs>{glyphs.defs()}</defs>" if layout.labels else ""
    return svg_document(width, height, layout.sentence, layout.lang, f"{defs}{''.join(body)}{texts}")
