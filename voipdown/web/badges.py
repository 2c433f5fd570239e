"""`/badge/<slug>.svg` and `.png`: the count as an image to hot-link.

An image request that fails still gets an image: a bad value, an unknown counter or
an internal problem answers with its status (400, 404, 500) and a badge that says so
in words, so the host page shows a badge and not a broken image.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, render_template, request

from voipdown.badge_content import counter_badge, error_badge, tally_badge
from voipdown.palette import PALETTE
from voipdown.render.styles import DEFAULT_STYLE, STYLES
from voipdown.render.wordless import wordless_png, wordless_svg
from voipdown.web.errors import Refusal
from voipdown.web.freshness import count_response
from voipdown.web.images import CONTENT_TYPES, DEFAULT_SCALE, draw_badge, image
from voipdown.web.negotiation import accepted_language
from voipdown.web.resolver import resolve, resolve_default
from voipdown.web.server_cache import DAY_SECONDS, cached
from voipdown.web.state import current_timeline, service
from voipdown.web.tally_answers import reader, tally_answer

log = logging.getLogger(__name__)
blueprint = Blueprint("badges", __name__)


def _name(name: str) -> tuple[str, str | None, str]:
    """The slug, tally (for `<slug>/<tally>.svg`) and format of a badge's file name; an
    unknown format names no counter."""
    stem, dot, fmt = name.rpartition(".")
    if not dot or fmt not in CONTENT_TYPES:
        return "", None, "png" if fmt == "png" else "svg"
    slug, slash, tally = stem.partition("/")
    return slug, (tally if slash else None), fmt


def error_image(refusal: Refusal) -> Response:
    """An error as a badge that says it in words (drawn in the asked style, language and
    scale where those were valid), or the share image's PNG equivalent."""
    # A badge's or a chart's format is its extension (SVG for an unknown one); the share image's PNG.
    fmt = "png" if request.endpoint == "site.share_image" or request.path.endswith(".png") else "svg"
    values = refusal.values
    lang = refusal.lang or accepted_language(current_timeline())
    style = values.get("style", DEFAULT_STYLE)
    scale = int(values.get("scale", DEFAULT_SCALE))
    font = service().font
    if font is None:
        return image(wordless_svg() if fmt == "svg" else wordless_png(scale), fmt, 503)
    if refusal.status == 400:
        problem = {"parameter": refusal.parameter}
    elif refusal.status == 404:
        problem = {"not_found": True}
    else:
        problem = {}
    key = f"badge-error:{fmt}:{refusal.status}:{refusal.parameter}:{lang}:{style}:{scale}"
    body = cached(key, lambda: draw_badge(error_badge(font, lang, style, **problem), fmt, scale), DAY_SECONDS)
    return image(body, fmt, refusal.status)


@blueprint.get("/badge/<anything:name>")
def badge(name: str):
    slug, tally_name, fmt = _name(name)
    path = f"{{slug}}/{tally_name}.{fmt}" if tally_name else f"{{slug}}.{fmt}"
    asked = resolve("badges.badge", slug, fmt=fmt, address=lambda slug: {"name": path.format(slug=slug)})
    if service().font is None:
        raise Refusal(503, "no_font", "No font to draw the badge with.", asked.lang, asked.values)
    style = asked.value("style", DEFAULT_STYLE)
    color = asked.value("color")
    scale = int(asked.value("scale", DEFAULT_SCALE))
    if tally_name is not None:
        return _tally_badge(asked, tally_name, fmt, style, color, scale)
    key = (
        f"badge:{fmt}:{asked.counter.slug}:{asked.lang}:{style}:{color}:{scale}:{asked.count.as_of.isoformat()}"
        f":{asked.timeline.version}"
    )
    try:
        body = cached(
            key,
            lambda: draw_badge(
                counter_badge(service().font, asked.counter, asked.count, asked.lang, style, color), fmt, scale
            ),
            DAY_SECONDS,
        )
    except Exception:
        log.exception("badge %s failed", name)
        raise Refusal(500, "internal_error", "The badge could not be drawn.", asked.lang, asked.values) from None
    return count_response(image(body, fmt, 200), asked)


def _tally_badge(asked, tally_name: str, fmt: str, style: str, color: str | None, scale: int) -> Response:
    """A tally's badge: drawn once per value, answered as every tally answer is."""
    tally = asked.counter.tallies.get(tally_name)
    if tally is None:
        raise Refusal(404, "unknown_tally", "No such tally.", asked.values.get("lang"), asked.values)
    reading = reader().summary(tally, asked.instant)
    value = reading.latest_value
    key = (
        f"tally-badge:{fmt}:{asked.counter.slug}:{tally.name}:{asked.lang}:{style}:{color}:{scale}:{value}"
        f":{asked.timeline.version}"
    )
    font = service().font
    body = cached(
        key,
        lambda: draw_badge(tally_badge(font, tally, value, asked.lang, style, color), fmt, scale),
        DAY_SECONDS,
    )
    return tally_answer(image(body, fmt, 200), [reading], tally)


@blueprint.get("/badges")
def gallery():
    """Every style in every language for the default counter: for choosing, and for reviewing."""
    asked = resolve_default("badges.gallery")
    state = service()
    if state.font is None:
        raise Refusal(503, "no_font", "No font to draw the badges with.", asked.lang)
    counter, count = asked.counter, asked.count
    sizes = {}
    for style in STYLES:
        for lang in asked.timeline.site.languages:
            layout = counter_badge(state.font, counter, count, lang, style, None)
            sizes[(style, lang)] = (layout.width, layout.height)
    html = render_template(
        "gallery.html",
        lang="en",  # a maintainer's tool, in the catalogs' source language
        dir="ltr",
        slug=counter.slug,
        title=counter.title_in("en"),
        languages=asked.timeline.site.languages,
        styles=tuple(STYLES),
        colors=tuple(PALETTE),
        sizes=sizes,
    )
    return count_response(Response(html), asked)  # the badges' sizes change with the count
