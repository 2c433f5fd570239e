import pytest

from tests.timelines import ONGOING


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


@pytest.fixture
def app(ongoing_path):
    from voipdown import create_app

    application = create_app({"VOIPDOWN_TIMELINE": str(ongoing_path), "VOIPDOWN_RELOAD_INTERVAL": 0})
    application.testing = True
    return application


@pytest.fixture
def client(app):
    return app.test_client()
