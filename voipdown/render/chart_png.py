"""A tally's chart as PNG, drawn from the same layout as the SVG.

The line and dots are drawn on a mask four times finer than the output and reduced
(so they are smooth, as a browser draws the SVG's path); texts are filled glyph by glyph
by FreeType, as in the PNG badges.
"""

from __future__ import annotations

import math

from PIL import Image, ImageDraw

from voipdown.render.chart_layout import BACKGROUND, EVENT_COLOR, GRID_COLOR, ChartLayout, Label
from voipdown.render.font import Font
from voipdown.render.png import MAX_SCALE, draw_line, encode_png, layer, rgb_of

ROUND_JOINS_UP_TO = 100
FINE = 4
"""Device pixels of the line's mask per output pixel, each way."""


def _line_mask(layout: ChartLayout, scale: int) -> tuple[Image.Image, tuple[int, int]]:
    """The line's and dots' coverage over the plot (and the margin a dot needs), and where
    that area's top left corner is, in device pixels."""
    fine = max(1, math.ceil(FINE / scale))  # mask pixels per device pixel
    reach = max(layout.size.dot, layout.size.stroke) + 1
    left, top, right, bottom = layout.plot
    origin = (max(0, math.floor((left - reach) * scale)), max(0, math.floor((top - reach) * scale)))
    corner = (
        min(layout.width * scale, math.ceil((right + reach) * scale)),
        min(layout.height * scale, math.ceil((bottom + reach) * scale)),
    )
    mask = Image.new("L", ((corner[0] - origin[0]) * fine, (corner[1] - origin[1]) * fine), 0)
    draw = ImageDraw.Draw(mask)
    k = scale * fine

    def at(x: float, y: float) -> tuple[float, float]:
        return x * k - origin[0] * fine, y * k - origin[1] * fine

    stroke = max(1, round(layout.size.stroke * k)) + 1  # Pillow draws a sloped wide line a mask pixel thin
    if len(layout.line) > 1:
        # Round joins matter where a few samples make sharp corners; with many, the segments are
        # short and nearly aligned, and Pillow's round joins (drawn one by one in Python) cost more
        # than the whole rest of the chart.
        joint = "curve" if len(layout.line) <= ROUND_JOINS_UP_TO else None
        draw.line([at(x, y) for x, y in layout.line], fill=255, width=stroke, joint=joint)
    for x, y in [*layout.dots, *layout.line[:1], *layout.line[-1:]]:  # dots, and round caps at the ends
        radius = (layout.size.dot if (x, y) in layout.dots else layout.size.stroke / 2) * k
        cx, cy = at(x, y)
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=255)
    return mask.reduce(fine), origin  # each device pixel: the mean of its fine ones


def _draw_rules(canvas: Image.Image, layout: ChartLayout, scale: int) -> None:
    """The grid and the events' dashed lines and dots, straight onto the canvas: lines one
    device pixel wide on whole pixels need no anti-aliasing."""
    left, top, right, bottom = (value * scale for value in layout.plot)
    draw = ImageDraw.Draw(canvas)
    for y in layout.grid:
        row = round(y * scale)
        draw.line([(left, row), (right, row)], fill=GRID_COLOR, width=scale)
    for mark in layout.events:
        column = round(mark.x * scale)
        for y in range(math.floor(top), math.ceil(bottom), 6 * scale):
            draw.line([(column, y), (column, min(y + 3 * scale, bottom))], fill=EVENT_COLOR, width=scale)
        draw.ellipse((column - 3 * scale, top - 3 * scale, column + 3 * scale, top + 3 * scale), fill=EVENT_COLOR)


def render_chart_png(layout: ChartLayout, font: Font, scale: int = 2) -> bytes:
    """The chart as a PNG of (width x scale) by (height x scale) pixels."""
    if not 1 <= scale <= MAX_SCALE:
        raise ValueError(f"scale must be 1 to {MAX_SCALE}")
    size = (layout.width * scale, layout.height * scale)
    if layout.size.labelled:  # opaque: each layer is painted through its mask, in place
        canvas = Image.new("RGB", size, BACKGROUND)

        def paint(color: str, mask: Image.Image, origin: tuple[int, int] = (0, 0)) -> None:
            area = mask.getbbox()  # only where the mask covers: labels are small
            if area is not None:
                box = (area[0] + origin[0], area[1] + origin[1], area[2] + origin[0], area[3] + origin[1])
                canvas.paste(rgb_of(color), box, mask.crop(area))

        _draw_rules(canvas, layout, scale)
    else:  # a sparkline on whatever the host page's background is
        canvas = Image.new("RGBA", size, (0, 0, 0, 0))

        def paint(color: str, mask: Image.Image, origin: tuple[int, int] = (0, 0)) -> None:
            canvas.alpha_composite(layer(mask.size, color, mask), origin)

    if layout.line:
        paint(layout.color, *_line_mask(layout, scale))
    for label in layout.labels:
        paint(label.color, *_label_mask(label, font, scale))
    if canvas.mode == "RGB":
        return encode_png(_palette(canvas))
    return encode_png(canvas)


def _label_mask(label: Label, font: Font, scale: int) -> tuple[Image.Image, tuple[int, int]]:
    """One label's coverage in a mask of its own size, and where it goes (device pixels)."""
    px = label.px * scale
    width = label.line.advance * px / font.units_per_em
    left, top = math.floor(label.x * scale) - 2, math.floor(label.baseline * scale - 1.2 * px)
    mask = Image.new("L", (math.ceil(width) + 5, math.ceil(1.6 * px) + 2), 0)
    draw_line(mask, font, label.line, label.x * scale - left, label.baseline * scale - top, px)
    return mask, (left, top)


PALETTE_COLORS = 64


def _palette(canvas: Image.Image) -> Image.Image:
    """The chart in 64 colours (its few hues and their anti-aliased edges): a third of the
    bytes of full colour, and faster to encode. The background, the commonest colour, is
    set back to its exact value (the quantizer averages it with the edges it touches)."""
    indexed = canvas.quantize(PALETTE_COLORS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    _, background = max(indexed.getcolors(PALETTE_COLORS))
    palette = indexed.getpalette()
    palette[3 * background : 3 * background + 3] = rgb_of(BACKGROUND)
    indexed.putpalette(palette)
    return indexed
