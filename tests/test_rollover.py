"""The next day's answers, drawn ahead before midnight: replayed from midnight on, never before,
never after an edit, and the same bytes the app gives then."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine

from tests.concurrency import hammer
from tests.timelines import ONGOING, rewrite
from voipdown.clock import pinned_clock
from voipdown.counting import count_at
from voipdown.timeline import load_timeline

PATHS = [
    "/badge/shutdown.svg?lang=ar",
    "/badge/shutdown.png?style=plastic&color=blue",
    "/api/v1/counters/shutdown?lang=en",
    "/embed/shutdown.js",
    "/embed/shutdown/tallies.js",
    "/embed/shutdown/frame?lang=fr",
    # Not "/shutdown?lang=ar": its page shows a live tally, so it is never replayed (test_tallies.py).
    "/shutdown/feed.atom",
    "/shutdown/share.png?lang=en",
]
NOON = dt.datetime(2025, 6, 5, 11, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def setup(make_app, write_timeline):

    path = write_timeline(ONGOING)
    settings = {"VOIPDOWN_TIMELINE": str(path), "VOIPDOWN_RELOAD_INTERVAL": 0, "VOIPDOWN_DISCOVERY": "off"}
    counter = load_timeline(path).counters["shutdown"]
    midnight = count_at(counter, NOON).next_change
    return make_app(None, **settings), settings, path, midnight


def flask_calls(app, monkeypatch) -> list:
    calls: list = []
    original = app.full_dispatch_request
    monkeypatch.setattr(app, "full_dispatch_request", lambda: calls.append(1) or original())
    return calls


def fresh_answers(make_app, settings, instant) -> dict:
    """What an app that kept nothing answers at `instant`."""

    client = make_app(None, **settings).test_client()
    with time_machine.travel(instant, tick=False):
        return {path: client.get(path).get_data() for path in PATHS}


def test_drawn_ahead_answers_are_served_from_midnight_without_drawing(make_app, setup, monkeypatch):
    app, settings, _, midnight = setup
    client = app.test_client()
    with time_machine.travel(NOON, tick=False):
        today = {path: client.get(path).get_data() for path in PATHS}
    with time_machine.travel(midnight - dt.timedelta(seconds=10), tick=False):
        app.extensions["voipdown_replay"].rollover.draw_due()
        assert app.extensions["voipdown_replay"].drawn_ahead == len(PATHS)
        calls = flask_calls(app, monkeypatch)
        for path in PATHS:
            assert client.get(path).get_data() == today[path], path  # not a second early
    wanted = fresh_answers(make_app, settings, midnight + dt.timedelta(seconds=1))
    with time_machine.travel(midnight + dt.timedelta(seconds=1), tick=False):
        for path in PATHS:
            response = client.get(path)
            assert response.status_code == 200
            assert response.get_data() == wanted[path], path
            if "feed" not in path:  # (the feed says the count only on milestone days)
                assert response.get_data() != today[path], path
        assert calls == []  # every answer was drawn before midnight
        # The drawn-ahead answers are today's kept ones now: 304s and lifetimes as usual.
        etag = client.get(PATHS[2]).headers["ETag"]
        assert client.get(PATHS[2], headers={"If-None-Match": etag}).status_code == 304
        lifetime = client.get(PATHS[0]).headers["Cache-Control"]
        assert "max-age=3600" in lifetime


def test_an_edit_after_drawing_ahead_wins(setup):
    app, settings, path, midnight = setup
    client = app.test_client()
    with time_machine.travel(NOON, tick=False):
        for address in PATHS:
            client.get(address)
    with time_machine.travel(midnight - dt.timedelta(seconds=10), tick=False):
        app.extensions["voipdown_replay"].rollover.draw_due()
        rewrite(path, ONGOING.replace('en = "Example shutdown"', 'en = "Edited at 23:59"'))
    with time_machine.travel(midnight + dt.timedelta(seconds=1), tick=False):
        assert client.get("/api/v1/counters/shutdown?lang=en").get_json()["title"] == "Edited at 23:59"


def test_the_pinned_clock_is_this_threads_alone():
    from voipdown.clock import now

    seen = {}
    pinned = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)

    def other():
        seen["other"] = now()

    with pinned_clock(pinned):
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        seen["here"] = now()
    assert seen["here"] == pinned and seen["other"] != pinned
    assert now() != pinned


def test_across_midnight_from_many_threads_no_answer_from_the_wrong_day(setup):
    """Requests from many threads while the clock crosses midnight, the rollover drawing
    meanwhile: an answer asked after midnight never says yesterday's count, nor one answered
    before midnight tomorrow's."""
    app, _, _, midnight = setup
    with time_machine.travel(NOON, tick=False):
        client = app.test_client()
        for path in PATHS:
            client.get(path)
        before = client.get("/api/v1/counters/shutdown?lang=en").get_json()["days"]
    from voipdown.clock import now

    with time_machine.travel(midnight - dt.timedelta(seconds=0.4), tick=True):
        stop = midnight + dt.timedelta(seconds=0.4)

        def ask(n: int) -> list:
            client = app.test_client()
            seen = []
            while now() < stop:
                if n == 0:
                    app.extensions["voipdown_replay"].rollover.draw_due()
                sent = now()
                days = client.get("/api/v1/counters/shutdown?lang=en").get_json()["days"]
                seen.append((sent, days, now()))
            return seen

        answers = [answer for thread in hammer(ask, threads=8) for answer in thread]
    assert any(sent >= midnight for sent, _, _ in answers) and any(done < midnight for _, _, done in answers)
    for sent, days, done in answers:
        if sent >= midnight:
            assert days == before + 1
        if done < midnight:
            assert days == before


def test_shields_endpoint_counts_its_seconds_down_when_asked_again(setup):
    """Its body holds at most an hour, then the seconds to midnight: it is answered afresh,
    never replayed stale."""
    app, _, _, midnight = setup
    client = app.test_client()

    def cache_seconds(at: dt.datetime) -> int:
        with time_machine.travel(at, tick=False):
            return client.get("/api/v1/counters/shutdown/shields.json").get_json()["cacheSeconds"]

    assert cache_seconds(NOON) == cache_seconds(midnight - dt.timedelta(seconds=3600)) == 3600
    assert cache_seconds(midnight - dt.timedelta(seconds=2000)) == 2000
    assert cache_seconds(midnight - dt.timedelta(seconds=1000)) == 1000


def test_the_thread_starts_with_the_first_kept_answer_and_wakes_before_midnight(setup):
    """Its schedule: asleep (at most a minute) until LEAD_SECONDS before the soonest midnight of a
    kept answer, then every second until midnight, so that answers kept meanwhile are drawn too."""
    from voipdown.web.rollover import IDLE_SECONDS, LEAD_SECONDS

    app, _, _, midnight = setup
    rollover = app.extensions["voipdown_replay"].rollover
    assert not rollover.running  # nothing kept yet: no thread
    with time_machine.travel(NOON, tick=False):
        app.test_client().get(PATHS[0])
        assert rollover.running
        assert rollover.draw_due() == IDLE_SECONDS
    with time_machine.travel(midnight - dt.timedelta(seconds=LEAD_SECONDS + 20), tick=False):
        assert rollover.draw_due() == pytest.approx(20)
        assert app.extensions["voipdown_replay"].drawn_ahead == 0  # not yet
    with time_machine.travel(midnight - dt.timedelta(seconds=LEAD_SECONDS - 5), tick=False):
        assert rollover.draw_due() == 1.0
        assert app.extensions["voipdown_replay"].drawn_ahead == 1
