"""Noting which sites show our badges, frames and scripts (see voipdown/participants.py)."""

from __future__ import annotations

import logging

from voipdown.clock import now
from voipdown.participants import host_of

log = logging.getLogger(__name__)
NOTED_PATHS = ("/badge/", "/embed/")


def site_noter(state):
    """A function of a WSGI environ that remembers the referring site's host name only,
    for badge, frame and script requests. It never raises: bookkeeping may not fail a request."""
    own = host_of(state.settings.public_url)

    def note(environ) -> None:
        try:
            if state.recorder is None or not environ.get("PATH_INFO", "").startswith(NOTED_PATHS):
                return
            host = host_of(environ.get("HTTP_ORIGIN")) or host_of(environ.get("HTTP_REFERER"))
            if host and host != (own or host_of(f"http://{environ.get('HTTP_HOST', '')}/")):
                state.recorder.record(host, now())
        except Exception:
            log.exception("could not note a referring site")

    return note
