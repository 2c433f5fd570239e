"""`/chart/<slug>/<tally>.svg` and `.png`: a tally's samples as a picture to hot-link.

By default a sparkline for a footer or a README; `?size=large` a chart with its title,
dates in the language and the counter's events marked. A chart is drawn once per store
version of its tally (and language, size, scale, timeline), not replayed longer: a push
changes it at any moment, so it is answered as every tally answer is (web/tallies.py's
tally_answers.tally_answer). Errors are images, as for badges.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response

from voipdown.chart_content import tally_chart
from voipdown.render.chart_layout import DEFAULT_SIZE
from voipdown.render.chart_png import render_chart_png
from voipdown.render.chart_svg import render_chart_svg
from voipdown.tallies.reader import TallyReading
from voipdown.web.errors import Refusal
from voipdown.web.images import CONTENT_TYPES, DEFAULT_SCALE
from voipdown.web.resolver import resolve
from voipdown.web.server_cache import DAY_SECONDS, cached
from voipdown.web.slots import long_read
from voipdown.web.state import service
from voipdown.web.tally_answers import reader, tally_answer

log = logging.getLogger(__name__)
blueprint = Blueprint("charts", __name__)


@blueprint.get("/chart/<slug>/<file>")
def chart(slug: str, file: str):
    name, dot, fmt = file.rpartition(".")
    if not dot or fmt not in CONTENT_TYPES:
        slug = ""  # an unknown format names no counter: a 404, drawn as an image
    asked = resolve("charts.chart", slug, fmt=fmt, address=lambda slug: {"slug": slug, "file": file})
    tally = asked.counter.tallies.get(name)
    if tally is None:
        raise Refusal(404, "unknown_tally", "No such tally.", asked.values.get("lang"), asked.values)
    font = service().font
    if font is None:
        raise Refusal(503, "no_font", "No font to draw the chart with.", asked.lang, asked.values)
    size = asked.value("size", DEFAULT_SIZE)
    scale = int(asked.value("scale", DEFAULT_SCALE))
    state = reader().state(tally)

    def draw(points) -> bytes:
        layout = tally_chart(font, asked.counter, tally, points, asked.lang, size)
        try:
            return (
                render_chart_svg(layout, font).encode("utf-8")
                if fmt == "svg"
                else render_chart_png(layout, font, scale)
            )
        except Exception:
            log.exception("chart %s/%s failed", asked.counter.slug, file)
            raise Refusal(500, "internal_error", "The chart could not be drawn.", asked.lang, asked.values) from None

    def drawn_afresh() -> tuple[TallyReading, bytes]:
        """Every sample read and drawn: in one of the worker's few slots for such reads."""
        with long_read(state.count, asked.lang)():
            whole = reader().window(tally, None, None)
            return whole, draw(whole.points)

    if not state.store_answered:  # drawn from what this worker last saw, not kept
        reading, body = drawn_afresh()
    else:  # the samples are read only to draw: a chart kept for this version costs no read
        reading = state
        key = (
            f"chart:{fmt}:{asked.counter.slug}:{tally.name}:{asked.lang}:{size}:{scale if fmt == 'png' else ''}"
            f":{state.version}:{asked.timeline.version}"
        )
        body = cached(key, lambda: drawn_afresh()[1], DAY_SECONDS)
    return tally_answer(Response(body, content_type=CONTENT_TYPES[fmt]), [reading], tally)
