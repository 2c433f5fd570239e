"""Badges as PNG, rasterized from the same outlines and geometry as the SVG.

FreeType fills the glyph outlines, unhinted and anti-aliased, at the positions the
layout gave, as a browser fills the SVG's paths; fontTools' FreeTypePen fills the
rounded background; Pillow composites the layers and encodes the file.
"""

from __future__ import annotations

import ctypes
import io
import math
from functools import lru_cache

import freetype
from fontTools.pens.freetypePen import FreeTypePen
from PIL import Image, ImageChops

from voipdown.render.font import Font
from voipdown.render.layout import BadgeLayout
from voipdown.render.shaping import ShapedLine
from voipdown.render.styles import SHADOW_COLOR, SHADOW_OPACITY, TEXT_COLOR

MAX_SCALE = 4
_IDENTITY = freetype.Matrix(0x10000, 0, 0, 0x10000)
_LOAD_FLAGS = freetype.FT_LOAD_NO_HINTING | freetype.FT_LOAD_NO_BITMAP | freetype.FT_LOAD_RENDER


def rgb_of(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    if len(color) == 3:
        color = "".join(char * 2 for char in color)
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


def _rounded_rect(pen, width: float, height: float, radius: float) -> None:
    """A rectangle with circular corners, y up, as quadratic arcs (close to SVG's `rx`)."""
    r = min(radius, width / 2, height / 2)
    k = 0.5522847498  # cubic approximation of a quarter circle
    pen.moveTo((r, 0))
    pen.lineTo((width - r, 0))
    pen.curveTo((width - r + k * r, 0), (width, r - k * r), (width, r))
    pen.lineTo((width, height - r))
    pen.curveTo((width, height - r + k * r), (width - r + k * r, height), (width - r, height))
    pen.lineTo((r, height))
    pen.curveTo((r - k * r, height), (0, height - r + k * r), (0, height - r))
    pen.lineTo((0, r))
    pen.curveTo((0, r - k * r), (r - k * r, 0), (r, 0))
    pen.closePath()


def layer(size: tuple[int, int], color: str, mask: Image.Image, opacity: float = 1.0) -> Image.Image:
    layer = Image.new("RGBA", size, rgb_of(color) + (0,))
    if opacity != 1.0:
        mask = mask.point(lambda value: round(value * opacity))
    layer.putalpha(mask)
    return layer


@lru_cache(maxsize=64)
def _gradient_column(stops: tuple, height: int) -> Image.Image:
    """One column of a vertical gradient between `stops`, sampled at pixel centres, as SVG does."""
    column = Image.new("RGBA", (1, height))
    for row in range(height):
        t = (row + 0.5) / height
        before = max((stop for stop in stops if stop[0] <= t), key=lambda stop: stop[0], default=stops[0])
        after = min((stop for stop in stops if stop[0] >= t), key=lambda stop: stop[0], default=stops[-1])
        span = after[0] - before[0]
        mix = (t - before[0]) / span if span else 0.0
        rgb_before, rgb_after = rgb_of(before[1]), rgb_of(after[1])
        rgb = tuple(round(a + (b - a) * mix) for a, b in zip(rgb_before, rgb_after, strict=True))
        alpha = round(255 * (before[2] + (after[2] - before[2]) * mix))
        column.putpixel((0, row), rgb + (alpha,))
    return column


def _gradient(size: tuple[int, int], stops, clip: Image.Image) -> Image.Image:
    """The style's gloss over the whole badge, clipped to its rounded corners."""
    layer = _gradient_column(stops, size[1]).resize(size, Image.Resampling.NEAREST)
    layer.putalpha(ImageChops.multiply(layer.getchannel("A"), clip))
    return layer


def draw_line(mask: Image.Image, font: Font, line: ShapedLine, x: float, baseline: float, size: float) -> None:
    """Fill the glyphs of `line` into `mask`, its left edge at `x` and its baseline at
    `baseline` (device pixels from the top left), at `size` pixels per em.

    Each glyph is rendered by FreeType, unhinted, at its exact fractional position, and
    laid over the others as a browser composites separate glyph paths (alpha "over":
    1 - (1 - a)(1 - b), which is Pillow's `screen`).
    """
    with font.freetype_face() as face:  # this draw's own face: it holds the size and transform
        face.set_char_size(round(size * 64))
        k = size / font.units_per_em
        for glyph in line.glyphs:
            gx = x + glyph.x * k
            gy = baseline - glyph.y * k  # the glyph's origin, in rows from the top
            column, row = math.floor(gx), math.floor(gy)
            face.set_transform(_IDENTITY, freetype.FT_Vector(round((gx - column) * 64), -round((gy - row) * 64)))
            face.load_glyph(glyph.glyph_id, _LOAD_FLAGS)
            bitmap = face.glyph.bitmap
            if not bitmap.width or not bitmap.rows:
                continue  # spaces
            data = ctypes.string_at(bitmap._FT_Bitmap.buffer, bitmap.rows * bitmap.pitch)
            image = Image.frombuffer("L", (bitmap.width, bitmap.rows), data, "raw", "L", bitmap.pitch, 1)
            left, top = column + face.glyph.bitmap_left, row - face.glyph.bitmap_top
            area = (left, top, left + bitmap.width, top + bitmap.rows)
            mask.paste(ImageChops.screen(mask.crop(area), image), area[:2])


def _text_mask(layout: BadgeLayout, font: Font, scale: int) -> Image.Image:
    """The coverage of every text of the badge, in device pixels."""
    mask = Image.new("L", (layout.width * scale, layout.height * scale), 0)
    for box in layout.boxes:
        draw_line(
            mask, font, box.line, box.text_x * scale, layout.style.baseline * scale, layout.style.font_size * scale
        )
    return mask


def encode_png(image: Image.Image) -> bytes:
    output = io.BytesIO()
    image.save(output, format="PNG", compress_level=3)  # measured: faster and smaller than 6 here
    return output.getvalue()


def render_png(layout: BadgeLayout, font: Font, scale: int = 2) -> bytes:
    """The badge as a PNG of (width x scale) by (height x scale) pixels."""
    if not 1 <= scale <= MAX_SCALE:
        raise ValueError(f"scale must be 1 to {MAX_SCALE}")
    style = layout.style
    size = (layout.width * scale, layout.height * scale)

    clip_pen = FreeTypePen(None)
    _rounded_rect(clip_pen, size[0], size[1], style.radius * scale)
    clip = clip_pen.image(width=size[0], height=size[1]).getchannel("A") if style.radius else Image.new("L", size, 255)

    canvas = Image.new("RGBA", size, (0, 0, 0, 0))
    for box in layout.boxes:
        mask = Image.new("L", size, 0)
        area = (box.x * scale, 0, (box.x + box.width) * scale, size[1])
        mask.paste(clip.crop(area), area[:2])
        canvas.alpha_composite(layer(size, box.fill, mask))
    if style.gradient:
        canvas.alpha_composite(_gradient(size, style.gradient, clip))
    text = _text_mask(layout, font, scale)
    if style.shadow:
        shadow = Image.new("L", size, 0)
        shadow.paste(text, (0, scale))  # 1 px lower, as the SVG's <use y="1">
        canvas.alpha_composite(layer(size, SHADOW_COLOR, shadow, SHADOW_OPACITY))
    canvas.alpha_composite(layer(size, TEXT_COLOR, text))

    return encode_png(canvas)
