"""Edits to the timeline file are picked up without a restart; a broken edit changes nothing served."""

import logging

from tests.timelines import ONGOING, rewrite
from voipdown.timeline_source import TimelineSource


def test_valid_edit_is_served(client, ongoing_path):
    assert client.get("/api/v1/counters/shutdown?lang=en").get_json()["title"] == "Example shutdown"
    rewrite(ongoing_path, ONGOING.replace('en = "Example shutdown"', 'en = "Renamed"'))
    assert client.get("/api/v1/counters/shutdown?lang=en").get_json()["title"] == "Renamed"
    assert client.get("/healthz").get_json()["timeline"] == "ok"


def test_invalid_edit_keeps_last_good_and_says_so(client, ongoing_path, caplog):
    version = client.get("/healthz").get_json()["timeline_version"]
    with caplog.at_level(logging.ERROR, logger="voipdown"):
        rewrite(ongoing_path, ONGOING.replace("start = 2024-03-01", "start = 2024-13-01"))
        response = client.get("/api/v1/counters/shutdown?lang=en")
    assert response.status_code == 200 and response.get_json()["title"] == "Example shutdown"
    health = client.get("/healthz")
    assert health.status_code == 200
    body = health.get_json()
    assert body["status"] == "degraded" and body["timeline"] == "stale"
    assert body["timeline_version"] == version
    assert any("timeline.toml" in error and "invalid TOML" in error for error in body["timeline_errors"])
    assert str(ongoing_path.parent) not in " ".join(body["timeline_errors"])  # no server paths
    assert "still serving" in caplog.text

    rewrite(ongoing_path, ONGOING.replace('en = "Example shutdown"', 'en = "Fixed"'))
    assert client.get("/api/v1/counters/shutdown?lang=en").get_json()["title"] == "Fixed"
    assert client.get("/healthz").get_json()["status"] == "ok"


def test_deleted_file_keeps_last_good(client, ongoing_path):
    ongoing_path.unlink()
    assert client.get("/api/v1/counters/shutdown").status_code == 200
    assert client.get("/healthz").get_json()["timeline"] == "stale"
    ongoing_path.write_text(ONGOING, encoding="utf-8")
    assert client.get("/healthz").get_json()["timeline"] == "ok"


def test_semantic_error_is_stale_too(client, ongoing_path):
    rewrite(ongoing_path, ONGOING.replace('timezone = "Europe/Paris"', 'timezone = "Europe/Atlantis"'))
    body = client.get("/healthz").get_json()
    assert body["timeline"] == "stale"
    assert any("counters.lifted.timezone" in error for error in body["timeline_errors"])
    assert client.get("/api/v1/counters/lifted").status_code == 200


def test_file_is_checked_at_most_once_per_interval(ongoing_path):
    ticks = [0.0]
    source = TimelineSource(ongoing_path, interval=10, clock=lambda: ticks[0])
    first = source.current()
    rewrite(ongoing_path, ONGOING.replace('en = "Example shutdown"', 'en = "Later"'))
    ticks[0] = 9.9
    assert source.current() is first
    ticks[0] = 10.0
    assert source.current().counters["shutdown"].title["en"] == "Later"
