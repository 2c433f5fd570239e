"""Replayed responses: the same bytes as Flask's, until midnight or an edit, per host and language."""

import datetime as dt

import pytest
import time_machine

from tests.helpers import flask_calls
from tests.timelines import EVERY_STATUS, rewrite


@pytest.fixture
def app(make_app, write_timeline):

    path = write_timeline(EVERY_STATUS)
    application = make_app(path, VOIPDOWN_RELOAD_INTERVAL=0)
    application.config["TIMELINE_PATH"] = path
    return application


@pytest.mark.parametrize(
    "path",
    [
        "/badge/ongoing.svg?lang=ar",
        "/badge/ongoing.png?scale=3",
        "/api/v1/counters/ongoing",
        "/embed/ongoing.js",
        "/ongoing?lang=zgh",
        "/ongoing/feed.atom",
    ],
)
def test_replay_gives_the_same_response_without_flask(app, monkeypatch, path):
    client = app.test_client()
    calls = flask_calls(app, monkeypatch)
    first = client.get(path)
    second = client.get(path + ("&" if "?" in path else "?") + "utm_source=x&_=1")
    assert len(calls) == 1  # the second was replayed
    assert second.status_code == 200 and second.data == first.data
    for header in ("Content-Type", "ETag", "Last-Modified", "Vary", "Cache-Control"):
        assert second.headers.get(header) == first.headers.get(header), header
    assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]}).status_code == 304
    head = client.head(path)
    assert head.status_code == 200 and head.data == b""


def test_max_age_counts_down_and_midnight_ends_the_replay(app, monkeypatch):
    client = app.test_client()
    calls = flask_calls(app, monkeypatch)
    with time_machine.travel(dt.datetime(2024, 3, 9, 22, 30, tzinfo=dt.timezone.utc), tick=False) as traveller:
        assert "max-age=1800" in client.get("/badge/ongoing.svg").headers["Cache-Control"]
        traveller.move_to(dt.datetime(2024, 3, 9, 22, 50, tzinfo=dt.timezone.utc))
        assert "max-age=600" in client.get("/badge/ongoing.svg").headers["Cache-Control"]
        assert len(calls) == 1
        before = client.get("/api/v1/counters/ongoing").get_json()["days"]
        traveller.move_to(dt.datetime(2024, 3, 9, 23, 0, 1, tzinfo=dt.timezone.utc))  # Casablanca's midnight
        assert client.get("/api/v1/counters/ongoing").get_json()["days"] == before + 1


def test_an_edit_ends_the_replay(app):
    client = app.test_client()
    assert b"VoIP block" in client.get("/ongoing?lang=en").data
    rewrite(app.config["TIMELINE_PATH"], EVERY_STATUS.replace("VoIP block in Morocco", "VoIP ban in Morocco"))
    assert b"VoIP ban in Morocco" in client.get("/ongoing?lang=en").data


def test_hosts_and_languages_are_kept_apart(app):
    client = app.test_client()
    one = client.get("/embed/ongoing.js", headers={"Host": "one.example"}).data
    other = client.get("/embed/ongoing.js", headers={"Host": "evil.example"}).data
    assert b"one.example" in one and b"evil.example" not in one
    assert b"evil.example" in other
    assert b"one.example" in client.get("/embed/ongoing.js", headers={"Host": "one.example"}).data
    arabic = client.get("/badge/ended.svg", headers={"Accept-Language": "ar"}).data
    assert client.get("/badge/ended.svg", headers={"Accept-Language": "fr"}).data != arabic


def test_replayed_requests_still_note_the_referring_site(app, tmp_path):
    client = app.test_client()
    recorder = app.extensions["voipdown"].recorder
    for _ in range(3):
        client.get("/badge/ended.svg?lang=fr", headers={"Referer": "https://blog.example.ma/post"})
    recorder.flush()
    assert [(s.host, s.count) for s in recorder.store.sightings()] == [("blog.example.ma", 3)]


def test_the_store_is_bounded(app, monkeypatch):
    from voipdown.web import replay

    monkeypatch.setattr(replay, "MAX_ENTRIES", 10)
    client = app.test_client()
    for n in range(40):
        client.get("/badge/ended.svg", headers={"Accept-Language": f"x-junk-{n}"})
    assert len(app.extensions["voipdown_replay"]) == 10


@pytest.mark.parametrize(
    "path, unread, read",
    [
        ("/badge/ongoing.svg", "theme", "style=plastic"),  # ours, but the badge's route does not read it
        ("/badge/ongoing.svg", "position", "lang=fr"),
        ("/embed/ongoing.js", "theme", "lang=ar"),  # a tag's option, read by the script in the page
        ("/api/v1/counters/ongoing", "size", "lang=ar"),
    ],
)
def test_parameters_a_route_does_not_read_make_no_new_entry(app, monkeypatch, path, unread, read):
    """Each value of a parameter the route ignores is the same answer: replayed, not kept again
    (else anyone could push the hot answers out of the store with `?theme=<random>`)."""
    client = app.test_client()
    calls = flask_calls(app, monkeypatch)
    first = client.get(path)
    for n in range(20):
        answer = client.get(f"{path}?{unread}=junk-{n}")
        assert answer.status_code == 200 and answer.data == first.data
    assert len(calls) == 1
    assert len(app.extensions["voipdown_replay"]) == 1
    if read is not None:
        client.get(f"{path}?{read}")  # one the route reads: its own entry
        assert len(app.extensions["voipdown_replay"]) == 2
