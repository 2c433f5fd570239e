"""The web layer: an app factory and thin blueprints around the core.

Each view parses its request, asks the core, and sets headers; no counting, text or
validation logic lives here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from voipdown import __version__
from voipdown.settings import Settings
from voipdown.timeline_source import TimelineSource
from voipdown.web import api, errors, health
from voipdown.web.caching import cache
from voipdown.web.state import ServiceState


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the service. `overrides` takes the same names as the environment
    (``{"VOIPDOWN_TIMELINE": "..."}``) and wins over it."""
    settings = Settings.load(os.environ, overrides)
    app = Flask(__name__, static_folder=None)
    app.config.update(
        CACHE_TYPE="SimpleCache",
        CACHE_DEFAULT_TIMEOUT=300,
        CACHE_THRESHOLD=10_000,
    )
    app.json.ensure_ascii = False  # Arabic and Tifinagh stay readable in JSON
    app.json.sort_keys = False
    app.extensions["voipdown"] = ServiceState(
        settings=settings,
        timelines=TimelineSource(settings.timeline, interval=settings.reload_interval),
        version=__version__,
    )
    cache.init_app(app)
    if settings.trust_proxy:
        # Opt-in: only behind a proxy that sets X-Forwarded-* may they be believed.
        n = settings.trust_proxy
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n)
    errors.register(app)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(health.blueprint)
    return app
