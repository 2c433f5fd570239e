"""A badge with no words, for when no font could be found: still an image, never a broken one."""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image

from voipdown.palette import ERROR_COLOR, PALETTE

WIDTH, HEIGHT = 90, 20


def wordless_svg() -> bytes:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="90" height="20" viewBox="0 0 90 20"'
        ' role="img" aria-label="badge unavailable"><title>badge unavailable</title>'
        f'<rect width="90" height="20" rx="3" fill="{PALETTE[ERROR_COLOR]}"/></svg>'
    ).encode()


@lru_cache(maxsize=4)
def wordless_png(scale: int) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (WIDTH * scale, HEIGHT * scale), PALETTE[ERROR_COLOR]).save(output, format="PNG")
    return output.getvalue()
