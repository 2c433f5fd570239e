"""Noting which sites show our badges, frames and scripts (see voipdown/participants.py)."""

from __future__ import annotations

import logging

from flask import request

from voipdown.counting import now
from voipdown.participants import host_of
from voipdown.web.state import service

log = logging.getLogger(__name__)


def note_referring_site(response):
    """After a badge, frame or script response: remember the other site's host name only."""
    try:
        state = service()
        if state.recorder is not None and response.status_code < 400:
            host = host_of(request.headers.get("Origin")) or host_of(request.headers.get("Referer"))
            own = host_of(state.settings.public_url) or host_of(request.host_url)
            if host and host != own:
                state.recorder.record(host, now())
    except Exception:  # never let bookkeeping fail a request
        log.exception("could not note a referring site")
    return response
