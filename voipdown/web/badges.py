"""`/badge/<slug>.svg` and `.png`: the count as an image to hot-link.

An image request that fails still gets an image: a bad value, an unknown counter or
an internal problem answers with its status (400, 404, 500) and a badge that says so
in words, so the host page shows a badge and not a broken image.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, render_template, request, url_for

from voipdown.badges import counter_badge, error_badge
from voipdown.counting import count_at, now
from voipdown.languages import SUPPORTED
from voipdown.render.png import MAX_SCALE, render_png
from voipdown.render.styles import DEFAULT_STYLE, PALETTE, STYLES
from voipdown.render.svg import render_svg
from voipdown.render.wordless import wordless_png, wordless_svg
from voipdown.web.caching import DAY_SECONDS, cached
from voipdown.web.errors import ApiError
from voipdown.web.http_cache import cache_error, count_response
from voipdown.web.negotiation import accepted_language, choice, requested_language
from voipdown.web.state import current_timeline, service

log = logging.getLogger(__name__)
blueprint = Blueprint("badges", __name__)

CONTENT_TYPES = {"svg": "image/svg+xml; charset=utf-8", "png": "image/png"}
DEFAULT_SCALE = 2
SCALES = tuple(str(n) for n in range(1, MAX_SCALE + 1))


def _image(body: bytes, fmt: str, status: int) -> Response:
    response = Response(body, status=status)
    response.headers["Content-Type"] = CONTENT_TYPES[fmt]
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.vary.add("Accept-Language")
    return response if status == 200 else cache_error(response)


def _draw(layout, fmt: str, scale: int) -> bytes:
    font = service().font
    if fmt == "svg":
        return render_svg(layout, font).encode("utf-8")
    return render_png(layout, font, scale)


def _error(fmt: str, status: int, lang: str, style: str, scale: int, **problem) -> Response:
    font = service().font
    if font is None:
        return _image(wordless_svg() if fmt == "svg" else wordless_png(scale), fmt, 503)
    key = f"badge-error:{fmt}:{status}:{problem.get('parameter')}:{lang}:{style}:{scale}"
    body = cached(key, lambda: _draw(error_badge(font, lang, style, **problem), fmt, scale), DAY_SECONDS)
    return _image(body, fmt, status)


@blueprint.get("/badge/<anything:name>")
def badge(name: str):
    slug, dot, fmt = name.rpartition(".")
    if not dot or fmt not in CONTENT_TYPES:
        fmt = "png" if fmt == "png" else "svg"
        slug = ""
    timeline = current_timeline()
    counter, is_alias = timeline.find(slug) if slug else (None, False)
    default_lang = (counter or timeline.default_counter).default_lang

    # Each parameter falls back to a safe value for the error badge if it is the bad one.
    lang, style, scale, color, problem = accepted_language(default_lang), DEFAULT_STYLE, DEFAULT_SCALE, None, None
    try:
        lang = requested_language(default_lang)
        style = choice("style", tuple(STYLES)) or DEFAULT_STYLE
        color = choice("color", tuple(PALETTE))
        if fmt == "png":
            scale = int(choice("scale", SCALES) or DEFAULT_SCALE)
    except ApiError as error:
        problem = error
    if problem is not None:
        return _error(fmt, 400, lang, style, scale, parameter=problem.parameter)
    if counter is None:
        return _error(fmt, 404, lang, style, scale, not_found=True)
    if is_alias:
        params = {
            key: value for key, value in (("lang", lang), ("style", style), ("color", color)) if request.args.get(key)
        }
        if fmt == "png" and request.args.get("scale"):
            params["scale"] = scale
        location = url_for("badges.badge", name=f"{counter.slug}.{fmt}", **params)
        return Response(status=301, mimetype="text/plain", headers={"Location": location})
    if service().font is None:
        return _error(fmt, 503, lang, style, scale)

    try:
        instant = now()
        count = count_at(counter, instant)
        key = f"badge:{fmt}:{counter.slug}:{lang}:{style}:{color}:{scale}:{count.as_of.isoformat()}:{timeline.version}"
        body = cached(
            key,
            lambda: _draw(counter_badge(service().font, counter, count, lang, style, color), fmt, scale),
            DAY_SECONDS,
        )
    except Exception:
        log.exception("badge %s failed", name)
        return _error(fmt, 500, lang, style, scale)
    return count_response(_image(body, fmt, 200), counter, count, instant)


@blueprint.get("/badges")
def gallery():
    """Every style in every language for the default counter: for choosing, and for reviewing."""
    state = service()
    if state.font is None:
        abort(503)
    counter = current_timeline().default_counter
    count = count_at(counter, now())
    sizes = {}
    for style in STYLES:
        for lang in SUPPORTED:
            layout = counter_badge(state.font, counter, count, lang, style, None)
            sizes[(style, lang)] = (layout.width, layout.height)
    response = Response(
        render_template(
            "gallery.html",
            slug=counter.slug,
            title=counter.title_in("en"),
            languages=SUPPORTED,
            styles=tuple(STYLES),
            colors=tuple(PALETTE),
            sizes=sizes,
        )
    )
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    return response
