"""Collecting on the real server: `voipdown serve` with two workers on one SQLite store, and
two servers sharing one Redis. The source counts what it is asked: once per interval, over
at least five intervals; a value shown within the interval plus 2 s; a holder killed with
SIGKILL replaced within one interval; a failing source backed off, then fresh values."""

import json
import os
import signal
import sqlite3
import threading
import time

from redis import Redis

from tests.servers import RedisServer, get, serving
from tests.sources import Source, e_petition, send
from tests.timelines import collecting

EVERY = 10
INTERVALS = 5


class Petition:
    """A source whose count grows by one at each request (each is a new value), that can fail."""

    def __init__(self):
        self.count = 1000
        self.failing = False
        self.lock = threading.Lock()

    def __call__(self, handler):
        if self.failing:
            send(handler, 500, b"{}")
            return
        with self.lock:
            self.count += 1
            value = self.count
        send(handler, 200, json.dumps(e_petition(value)).encode())


def timeline_file(tmp_path, source: Source) -> str:
    finder = 'pointer = "/data/attributes/signature_count"'
    text = collecting(f'url = "{source.url}/petition.json"\n{finder}\nevery = {EVERY}\ntimeout = 3')
    path = tmp_path / "timeline.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def tally_json(base: str) -> dict:
    status, _, body = get(f"{base}/api/v1/counters/dz-coupure/tallies/petition", timeout=5)
    assert status == 200
    return json.loads(body)


def intervals_of(times: list[float]) -> list[int]:
    return [int(moment // EVERY) for moment in times]


def wait_until(check, timeout: float, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every)
    return None


def assert_once_per_interval(source: Source, since: float) -> None:
    """From the first interval after `since`, wait INTERVALS intervals: one request in each."""
    first = (int(since // EVERY) + 1) * EVERY
    time.sleep(max(0.0, first + INTERVALS * EVERY + 1 - time.time()))
    asked = [moment for moment in source.times_of("/petition.json") if first <= moment < first + INTERVALS * EVERY]
    assert intervals_of(asked) == [int(first // EVERY) + n for n in range(INTERVALS)], asked


def test_two_workers_collect_once_per_interval_survive_a_killed_holder_and_back_off(tmp_path):
    petition = Petition()
    with Source() as source:
        source.routes["/petition.json"] = petition
        store = str(tmp_path / "t.sqlite3")
        env = {"VOIPDOWN_TIMELINE": timeline_file(tmp_path, source), "VOIPDOWN_TALLY_STORE": store}
        with serving(env, workers=2) as (base, _):
            started = time.time()
            assert_once_per_interval(source, started)

            # A value is in the JSON within the interval plus 2 s of its fetch (here: within 2 s).
            before = len(source.times_of("/petition.json"))
            assert wait_until(lambda: len(source.times_of("/petition.json")) > before, EVERY + 2)
            fetched_at = source.times_of("/petition.json")[-1]
            value = petition.count
            shown = wait_until(lambda: tally_json(base)["value"] == value, 2.5)
            assert shown, (value, tally_json(base)["value"], time.time() - fetched_at)
            described = tally_json(base)["collect"]
            assert described["state"] == "ok" and described["source"] == "127.0.0.1" and described["every"] == EVERY

            # The holder killed: another worker takes the next interval.
            with sqlite3.connect(tmp_path / "t.sqlite3") as db:
                (holder,) = db.execute("SELECT holder FROM collectors").fetchone()
            os.kill(int(holder.split(":")[1]), signal.SIGKILL)
            killed = time.time()
            assert wait_until(lambda: source.times_of("/petition.json")[-1] > killed, EVERY + 2), "not replaced"

            # Failing: visible in the JSON, asked again after one interval, then after two;
            # recovered, fresh values at once.
            petition.failing = True
            since = time.time()

            def asked_since():
                return [moment for moment in source.times_of("/petition.json") if moment > since]

            assert wait_until(lambda: len(asked_since()) >= 2, 3 * EVERY + 3), asked_since()
            petition.failing = False
            described = tally_json(base)["collect"]
            assert described["state"] == "failing" and described["last_error"]["kind"] == "http_status"
            assert wait_until(lambda: len(asked_since()) >= 3, 3 * EVERY + 3), asked_since()
            first, second, third = asked_since()[:3]
            assert second - first >= 0.85 * EVERY and third - second >= 1.75 * EVERY, (first, second, third)
            recovered = wait_until(lambda: tally_json(base)["collect"]["state"] == "ok", 3)
            assert recovered and tally_json(base)["value"] == petition.count


def test_two_servers_sharing_redis_collect_once_per_interval_and_survive_a_killed_holder(tmp_path):
    petition = Petition()
    redis = RedisServer().start()
    try:
        with Source() as source:
            source.routes["/petition.json"] = petition
            env = {"VOIPDOWN_TIMELINE": timeline_file(tmp_path, source), "VOIPDOWN_REDIS_URL": redis.url}
            with serving(env, workers=2) as (first, _), serving(env, workers=2) as (second, _):
                assert_once_per_interval(source, time.time())
                value = petition.count
                assert wait_until(lambda: tally_json(first)["value"] == value == tally_json(second)["value"], 3)

                # The holder (a worker of either server) killed: another takes the next interval.
                lease = Redis.from_url(redis.url).hget("voipdown:tally:dz-coupure:petition:lease", "holder")
                os.kill(int(lease.decode().split(":")[1]), signal.SIGKILL)
                killed = time.time()
                assert wait_until(lambda: source.times_of("/petition.json")[-1] > killed, EVERY + 2), "not replaced"
    finally:
        redis.stop()
