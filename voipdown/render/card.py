"""The share image (1200 x 630, for Open Graph and Twitter cards): the counter in large
type, drawn with the same shaping and rasterizer as the badges, so Arabic is joined
and Tifinagh has its glyphs here too."""

from __future__ import annotations

from PIL import Image

from voipdown.palette import StatusColors
from voipdown.render.font import Font
from voipdown.render.png import draw_line, encode_png, layer
from voipdown.render.shaping import shape_line
from voipdown.render.styles import TEXT_COLOR

WIDTH, HEIGHT = 1200, 630
MARGIN = 60


def render_share_card(
    font: Font, title: str, message: str, status: str, signature: str, colors: StatusColors, rtl: bool
) -> bytes:
    """Title, the count's message (largest), the status sentence and the site's name (`signature`),
    each centred and shrunk if needed to fit the width, on the status's colour."""
    canvas = Image.new("RGBA", (WIDTH, HEIGHT), colors.card)
    rows = [
        (title, 56, 190, colors.card_soft),
        (message, 104, 350, TEXT_COLOR),
        (status, 34, 450, colors.card_soft),
        (signature, 30, 570, colors.card_soft),
    ]
    for text, size, baseline, color in rows:
        line = shape_line(font, text, rtl)
        width = line.advance * size / font.units_per_em
        if width > WIDTH - 2 * MARGIN:
            size *= (WIDTH - 2 * MARGIN) / width
            width = WIDTH - 2 * MARGIN
        mask = Image.new("L", (WIDTH, HEIGHT), 0)
        draw_line(mask, font, line, (WIDTH - width) / 2, baseline, size)
        canvas.alpha_composite(layer((WIDTH, HEIGHT), color, mask))
    return encode_png(canvas.convert("RGB"))
