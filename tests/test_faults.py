"""Faults: the timeline file broken in every way, the store locked, under requests: nothing fails."""

import os
import sqlite3
import threading
import time

import pytest

from tests.timelines import ONGOING, rewrite


@pytest.fixture
def app(make_app, ongoing_path, tmp_path):

    return make_app(ongoing_path, VOIPDOWN_STORE=str(tmp_path / "p.sqlite3"))


def write_bytes(path, data: bytes):
    path.write_bytes(data)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def all_good(client):
    for path in ("/badge/shutdown.svg", "/api/v1/counters/shutdown", "/embed/shutdown.js", "/shutdown"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)


def health(client):
    return client.get("/healthz").get_json()


@pytest.mark.parametrize(
    "break_it",
    [
        pytest.param(lambda path: path.unlink(), id="deleted"),
        pytest.param(lambda path: rewrite(path, ONGOING[: len(ONGOING) // 3]), id="truncated mid-write"),
        pytest.param(lambda path: rewrite(path, ONGOING.replace("]", "", 1)), id="invalid TOML"),
        pytest.param(lambda path: (path.unlink(), path.mkdir()), id="unreadable (a directory)"),
        pytest.param(lambda path: write_bytes(path, ONGOING.encode("utf-8") + b"\n# caf\xe9\n"), id="not UTF-8"),
        pytest.param(lambda path: rewrite(path, ""), id="emptied"),
    ],
)
def test_broken_timeline_keeps_the_last_good_one(app, ongoing_path, break_it):
    client = app.test_client()
    all_good(client)
    version = health(client)["timeline_version"]
    break_it(ongoing_path)
    all_good(client)
    state = health(client)
    assert state["timeline"] == "stale" and state["status"] == "degraded"
    assert state["timeline_version"] == version
    if ongoing_path.is_dir():
        ongoing_path.rmdir()
    rewrite(ongoing_path, ONGOING)
    assert health(client)["timeline"] == "ok"


def test_timeline_replaced_while_being_read(app, ongoing_path):
    """A writer rewrites the file non-atomically, over and over, while readers ask."""
    client_errors = []
    stop = threading.Event()

    def writer():
        texts = [ONGOING, ONGOING.replace("Example shutdown", "Renamed shutdown")]
        n = 0
        while not stop.is_set():
            with open(ongoing_path, "w", encoding="utf-8") as handle:
                text = texts[n % 2]
                handle.write(text[: len(text) // 2])
                handle.flush()
                time.sleep(0.001)
                handle.write(text[len(text) // 2 :])
            n += 1

    def reader():
        client = app.test_client()
        for _ in range(150):
            for path in ("/badge/shutdown.svg?lang=en", "/api/v1/counters/shutdown?lang=en", "/shutdown?lang=en"):
                response = client.get(path)
                if response.status_code != 200:
                    client_errors.append((path, response.status_code))
                elif path.startswith("/api"):
                    title = response.get_json()["title"]
                    if title not in ("Example shutdown", "Renamed shutdown"):
                        client_errors.append((path, title))

    writing = threading.Thread(target=writer)
    readers = [threading.Thread(target=reader) for _ in range(4)]
    writing.start()
    for thread in readers:
        thread.start()
    for thread in readers:
        thread.join(timeout=60)
    stop.set()
    writing.join(timeout=10)
    assert client_errors == []


def test_locked_store_only_degrades(app, tmp_path):
    client = app.test_client()
    recorder = app.extensions["voipdown"].recorder
    client.get("/badge/shutdown.svg", headers={"Referer": "https://blog.example.ma/"})
    recorder.flush()  # creates the file
    blocker = sqlite3.connect(tmp_path / "p.sqlite3", timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        response = client.get("/badge/shutdown.png", headers={"Referer": "https://other.example.ma/"})
        assert response.status_code == 200 and time.monotonic() - started < 1  # the request does not wait
        recorder.flush()  # the background write waits for the lock, then gives up
        state = health(client)
        assert state["participants"] == "error" and state["status"] == "degraded"
    finally:
        blocker.rollback()
        blocker.close()
    recorder.flush()
    assert health(client)["participants"] == "ok"
    assert {s.host for s in recorder.store.sightings()} == {"blog.example.ma", "other.example.ma"}  # nothing lost
