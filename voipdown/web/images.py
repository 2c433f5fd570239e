"""What the image blueprints (badges, charts) share: formats, the default scale, and how a
drawn badge becomes a response. Not a blueprint: blueprints never import each other."""

from __future__ import annotations

from flask import Response

from voipdown.render.png import render_png
from voipdown.render.svg import render_svg
from voipdown.web.freshness import cache_error
from voipdown.web.state import service

CONTENT_TYPES = {"svg": "image/svg+xml; charset=utf-8", "png": "image/png"}
DEFAULT_SCALE = "2"


def image(body: bytes, fmt: str, status: int) -> Response:
    response = Response(body, status=status, content_type=CONTENT_TYPES[fmt])
    return response if status == 200 else cache_error(response)


def draw_badge(layout, fmt: str, scale: int) -> bytes:
    font = service().font
    if fmt == "svg":
        return render_svg(layout, font).encode("utf-8")
    return render_png(layout, font, scale)
