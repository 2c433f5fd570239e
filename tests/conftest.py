import os
import tempfile
from pathlib import Path

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, LiveServer
from tests.timelines import EVERY_STATUS, ONGOING

# Whatever the tests discover is written under a scratch directory, never the user's own.
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="voipdown-tests-")


@pytest.fixture
def write_timeline(tmp_path):
    """Write a timeline text to a file and return its path."""

    def write(text: str, name: str = "timeline.toml"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def ongoing_path(write_timeline):
    return write_timeline(ONGOING)


@pytest.fixture(scope="session")
def make_app(tmp_path_factory):
    """Build apps: `make_app(timeline, **settings)`, where `timeline` is a timeline's text, a
    path, or None for the bundled one, and `settings` take the environment's names
    (VOIPDOWN_PUBLIC_URL="..."). The timeline's path is in `app.config["TIMELINE_PATH"]`."""
    from voipdown import create_app

    folder = tmp_path_factory.mktemp("timelines")
    made = []

    def make(timeline: str | Path | None = ONGOING, **settings):
        overrides = {"VOIPDOWN_RELOAD_INTERVAL": 0, "VOIPDOWN_COLLECT": "off", **settings}
        path = timeline
        if isinstance(timeline, str):
            path = folder / f"timeline-{len(made)}.toml"
            path.write_text(timeline, encoding="utf-8")
        if path is not None:
            overrides["VOIPDOWN_TIMELINE"] = str(path)
        application = create_app(overrides)
        application.testing = True
        application.config["TIMELINE_PATH"] = path
        made.append(application)
        return application

    return make


@pytest.fixture
def app(make_app, ongoing_path):
    return make_app(ongoing_path)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def browser():
    """One real Chromium for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def every_status_app(make_app):
    return make_app(EVERY_STATUS, VOIPDOWN_RELOAD_INTERVAL=1)


@pytest.fixture(scope="session")
def public_live_server(make_app):
    """EVERY_STATUS on a real loopback server that knows its public address
    (VOIPDOWN_PUBLIC_URL), as a service behind a shared cache must: its answers are public."""
    from tests.servers import free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = make_app(EVERY_STATUS, VOIPDOWN_RELOAD_INTERVAL=1, VOIPDOWN_PUBLIC_URL=url)
    with LiveServer(app, port) as server:
        app.config["LIVE_URL"] = server.url
        yield server


@pytest.fixture(scope="session")
def live_server(every_status_app):
    with LiveServer(every_status_app) as server:
        every_status_app.config["LIVE_URL"] = server.url
        yield server
