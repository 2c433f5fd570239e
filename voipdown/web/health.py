"""`/healthz`: always 200, saying what works and what does not."""

from __future__ import annotations

from flask import Blueprint, jsonify

from voipdown.doctor import unstable_feed_ids
from voipdown.tallies.collect.collector import collecting
from voipdown.tallies.collect.state import CollectState
from voipdown.tallies.store.protocol import StoreUnavailable
from voipdown.web.server_cache import cache_health
from voipdown.web.state import service
from voipdown.zones import database_version

blueprint = Blueprint("health", __name__)


NO_PUBLIC_URL = (
    "unset: answers that hold the request's own address (scripts, pages, feeds, JSON links) are private,"
    " kept by no shared cache; behind nginx or a CDN set VOIPDOWN_PUBLIC_URL"
)


def _collecting(state, timeline, store_answers: bool) -> dict:
    """How many tallies the service collects, and how many of them failed their last round
    (their figures may be behind: the tally's JSON says why)."""
    tallies = collecting(timeline)
    failing = 0
    if store_answers and tallies:
        try:
            states = state.tallies.store.collectors([tally.key for tally in tallies])
            failing = sum(CollectState.loads(found).state == "failing" for found in states)
        except StoreUnavailable:
            pass
    return {"tallies": len(tallies), "failing": failing, "here": "on" if state.settings.collect else "off"}


@blueprint.get("/healthz")
def healthz():
    state = service()
    timelines = state.timelines
    snapshot = timelines.snapshot()
    recorder = state.recorder
    store_error = recorder.error if recorder is not None else None
    cache_error = cache_health().error
    body = {
        "status": "degraded" if snapshot.problems or state.font is None or store_error or cache_error else "ok",
        "version": state.version,
        "timeline": "stale" if snapshot.problems else "ok",
        "timeline_version": snapshot.timeline.version,
        "tzdata": database_version(),
        "font": state.font.name if state.font else "missing",
    }
    if state.font is None:
        body["font_error"] = state.font_problem
    body["participants"] = "off" if recorder is None else ("error" if store_error else "ok")
    if recorder is not None and recorder.dropped:
        body["participants_dropped"] = recorder.dropped  # new sites beyond the pending or hourly cap
    try:
        state.tallies.store.check()
        tally_error = None
    except StoreUnavailable as error:
        tally_error = str(error)
    body["tallies"] = "error" if tally_error else "ok"
    if tally_error:
        body["tallies_error"] = tally_error
        body["status"] = "degraded"
    body["collect"] = _collecting(state, snapshot.timeline, tally_error is None)
    body["public_url"] = state.settings.public_url or NO_PUBLIC_URL
    body["cache"] = "error" if cache_error else ("redis" if state.settings.redis_url else "memory")
    if cache_error:
        body["cache_error"] = cache_error
    if store_error:
        body["participants_error"] = store_error
    unstable = unstable_feed_ids(state.settings, snapshot.timeline)
    body["feed_ids"] = "host-dependent" if unstable else "stable"
    if unstable:
        body["feed_ids_warning"] = (
            f"the feed ids of {', '.join(unstable)} follow the Host header: give each counter a url"
            " in the timeline, or set VOIPDOWN_PUBLIC_URL"
        )
    if snapshot.problems:
        # Named by file name only: the server's directories are nobody's business.
        body["timeline_errors"] = [
            str(problem).replace(str(timelines.path), timelines.path.name, 1) for problem in snapshot.problems
        ]
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response
