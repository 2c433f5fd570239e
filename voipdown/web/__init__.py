"""The web layer: an app factory and thin blueprints around the core.

Each view parses its request, asks the core, and sets headers; no counting, text or
validation logic lives here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, request
from markupsafe import Markup
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import PathConverter

from voipdown import __version__
from voipdown.isolation import isolate, isolate_html
from voipdown.participants import Recorder, open_store
from voipdown.render.font import Font, FontUnavailable, find_font, open_font
from voipdown.settings import Settings
from voipdown.tallies.collect.collector import Collector, Rounds, collecting, user_agent
from voipdown.tallies.offload import offload_for
from voipdown.tallies.reader import TallyReader
from voipdown.tallies.store import open_tally_store
from voipdown.tallies.store.protocol import StoreUnavailable, TallyStore
from voipdown.timeline_source import TimelineSource
from voipdown.web import api, badges, charts, embed, errors, health, openapi, site, tallies
from voipdown.web.bodies import close_if_unread
from voipdown.web.compression import compress
from voipdown.web.discovery import SiteDiscovery
from voipdown.web.negotiation import vary
from voipdown.web.path_forms import PathForms, link
from voipdown.web.replay import Replay
from voipdown.web.response_kinds import kind_of, origin_of, secure
from voipdown.web.server_cache import CacheHealth, cache
from voipdown.web.state import ServiceState, current_timeline


class AnythingConverter(PathConverter):
    """A path that may hold any character, a newline included: every /badge/ address
    reaches the badge view, which answers an image even for nonsense."""

    regex = "(?s:.+?)"
    part_isolating = False  # it spans "/" (werkzeug guesses True from a regex without one)


def _reader(store) -> TallyReader:
    """The worker's reader of `store`, its long windows thinned in a helper process (SQLite)."""
    return TallyReader(store, offload=offload_for(store))


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the service. `overrides` takes the same names as the environment
    (``{"VOIPDOWN_TIMELINE": "..."}``) and wins over it."""
    settings = Settings.load(os.environ, overrides)
    settings.speak()
    app = Flask(__name__, static_folder=None)
    app.url_map.converters["anything"] = AnythingConverter
    app.config.update(_cache_config(settings))
    app.extensions["voipdown_cache_health"] = CacheHealth()
    app.json.ensure_ascii = False  # Arabic and Tifinagh stay readable in JSON
    app.json.sort_keys = False
    # Latin runs in right-to-left text keep their order (voipdown/isolation.py): <bdi> in
    # page text, Unicode isolates in plain text such as <title> and attributes.
    app.jinja_env.filters["bdi"] = lambda text, lang: Markup(isolate_html(str(text), lang))
    app.jinja_env.filters["isolate"] = isolate
    app.jinja_env.globals["link"] = link  # our own addresses, in their path forms, relative

    @app.context_processor
    def the_site() -> dict:
        """Who the site is, for every page: its name and footer, from the timeline served."""
        site = current_timeline().site
        return {"site_name": site.name_in, "site_footer": site.footer_in, "site_links": site.links}

    font, font_problem = _open_font(settings)
    state = ServiceState(
        settings=settings,
        timelines=TimelineSource(settings.timeline, interval=settings.reload_interval),
        version=__version__,
        font=font,
        font_problem=font_problem,
        recorder=Recorder(open_store(settings)) if settings.discovery else None,
        tallies=_reader(_opened(open_tally_store(settings))),
    )
    app.extensions["voipdown"] = state
    cache.init_app(app)
    if settings.collect:
        app.extensions["voipdown_collector"] = _collector(state)

    @app.after_request
    def headers_of_the_kind(response):
        """The security headers of the route's kind, the body compressed as the client accepts,
        and Vary on what chose the answer."""
        origin = origin_of(settings.public_url or request.host_url)  # the builder's CSP: its links too
        response = vary(
            compress(secure(response, kind_of(request.endpoint, response.mimetype), origin, request.method))
        )
        return close_if_unread(response)

    # Inside the proxy fix, so that a replayed response is keyed by the real host and scheme.
    replay = app.extensions["voipdown_replay"] = Replay(app.wsgi_app, state)
    app.wsgi_app = PathForms(SiteDiscovery(replay, state), app)
    if settings.trust_proxy:
        # Opt-in: only behind a proxy that sets X-Forwarded-* may they be believed.
        n = settings.trust_proxy
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n)
    errors.register(app, image_error=badges.error_image)
    app.register_blueprint(openapi.blueprint)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(tallies.blueprint)
    app.register_blueprint(badges.blueprint)
    app.register_blueprint(charts.blueprint)
    app.register_blueprint(embed.blueprint)
    app.register_blueprint(site.blueprint)
    app.register_blueprint(health.blueprint)
    return app


def _collector(state: ServiceState) -> Collector:
    """This worker's schedule of collecting tallies, on the timeline it serves; its writes are
    its reader's notice, as a push's are."""

    rounds = Rounds(state.tallies.store, user_agent(state.settings.public_url), on_write=state.tallies.wrote)
    return Collector(rounds, lambda: collecting(state.timelines.snapshot().timeline)).start()


def _opened(store: TallyStore) -> TallyStore:
    """The tally store, opened now if it can be (its file's identity known from the start);
    if not, the service starts all the same and says so (pushes get 503, /healthz degraded)."""
    try:
        store.open()
    except StoreUnavailable as error:
        logging.getLogger(__name__).error("the tally store cannot be opened: %s", error)
    return store


def _open_font(settings: Settings) -> tuple[Font | None, str | None]:
    """The badge font, or why there is none: the service runs without it, degraded."""
    try:
        return open_font(find_font(settings.font)), None
    except FontUnavailable as error:
        logging.getLogger(__name__).error("badges will have no words: %s", error)
        return None, str(error)


def _cache_config(settings: Settings) -> dict:
    """In-process by default; Redis, shared by every worker and host, with VOIPDOWN_REDIS_URL."""
    if not settings.redis_url:
        return {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300, "CACHE_THRESHOLD": 10_000}
    import redis

    # Short timeouts: a slow Redis must not slow requests down (they are served uncached).
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=0.25, socket_connect_timeout=0.25)
    return {
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_HOST": client,
        "CACHE_KEY_PREFIX": "voipdown:cache:",
        "CACHE_DEFAULT_TIMEOUT": 300,
    }
