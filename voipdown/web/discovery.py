"""Noting which sites show our badges, frames and scripts (see voipdown/participants.py).

A WSGI layer around everything else, so that an answer counts the same whether Flask drew
it or the replay layer (voipdown/web/replay.py) replayed it.
"""

from __future__ import annotations

import logging

from voipdown.clock import now
from voipdown.participants import host_of

log = logging.getLogger(__name__)
NOTED_PATHS = ("/badge/", "/embed/")


class SiteDiscovery:
    """Remembers the referring site's host name only, for badge, frame and script requests
    answered without an error. Bookkeeping never fails a request."""

    def __init__(self, app, state):
        self.app = app
        self.state = state
        self.own = host_of(state.settings.public_url)

    def __call__(self, environ, start_response):
        if self.state.recorder is None or not environ.get("PATH_INFO", "").startswith(NOTED_PATHS):
            return self.app(environ, start_response)

        def noting(status, headers, exc_info=None):
            if status[:1] in ("2", "3"):
                self.note(environ)
            return start_response(status, headers, exc_info)

        return self.app(environ, noting)

    def note(self, environ) -> None:
        try:
            host = host_of(environ.get("HTTP_ORIGIN")) or host_of(environ.get("HTTP_REFERER"))
            if host and host != (self.own or host_of(f"http://{environ.get('HTTP_HOST', '')}/")):
                self.state.recorder.record(host, now())
        except Exception:
            log.exception("could not note a referring site")
