"""The site's icon: our own, drawn here (no file, no third party) — a white "blocked"
sign on the campaign's red, readable at 16 px."""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageDraw

from voipdown.palette import STATUS_COLORS
from voipdown.render.styles import TEXT_COLOR

SIZES = (16, 32, 48)
DRAWN_AT = 256  # drawn large, then scaled down: smooth edges without a font


@lru_cache(maxsize=1)
def favicon_ico() -> bytes:
    """favicon.ico with 16, 32 and 48 px images."""
    size = DRAWN_AT
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 5, fill=STATUS_COLORS["ongoing"].on_light)
    margin, ring = size * 0.2, size * 0.09
    draw.ellipse((margin, margin, size - margin, size - margin), outline=TEXT_COLOR, width=round(ring))
    offset = size * 0.32  # the bar, from top left to bottom right inside the ring
    draw.line((offset, offset, size - offset, size - offset), fill=TEXT_COLOR, width=round(ring))
    output = io.BytesIO()
    image.save(output, format="ICO", sizes=[(n, n) for n in SIZES])
    return output.getvalue()
