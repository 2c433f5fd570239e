"""Pushing samples to a tally: the checks in their order, the answers, nothing echoed."""

import datetime as dt
import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request
from zoneinfo import ZoneInfo

import pytest

from tests.helpers import push_head, server_env
from tests.servers import serving
from tests.timelines import CALLS_TOKEN, ONGOING
from voipdown.clock import now
from voipdown.tallies.model import to_ms
from voipdown.tallies.reader import VERSION_TTL
from voipdown.tallies.store.protocol import TallyStore
from voipdown.tallies.store.redis import RedisTallyStore
from voipdown.tallies.store.sqlite import SqliteTallyStore

PATH = "/api/v1/counters/shutdown/tallies/calls/samples"
AUTH = {"Authorization": f"Bearer {CALLS_TOKEN}"}


@pytest.fixture
def app(make_app, tmp_path):
    return make_app(ONGOING, VOIPDOWN_TALLY_STORE=str(tmp_path / "tallies.sqlite3"))


def at(minutes_ago: float = 0) -> str:
    instant = now() - dt.timedelta(minutes=minutes_ago)
    return instant.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_a_push_is_stored_and_shown(app):
    client = app.test_client()
    two, one = at(2), at(1)
    response = client.post(PATH, json={"at": two, "value": 100}, headers=AUTH)
    assert response.status_code == 201 and response.get_json()["accepted"] == 1
    assert "Access-Control-Allow-Origin" not in response.headers and response.headers["Cache-Control"] == "no-store"
    batch = {"samples": [{"at": one, "value": 130}, {"at": two, "value": 100}]}
    body = client.post(PATH, json=batch, headers=AUTH).get_json()
    assert (body["accepted"], body["duplicates"], body["tally"]["value"]) == (1, 1, 130)
    assert body["tally"]["rate_per_minute"] == pytest.approx(30.0, abs=0.2)
    only_duplicates = client.post(PATH, json={"at": one, "value": 130}, headers=AUTH)
    assert only_duplicates.status_code == 200 and only_duplicates.get_json()["duplicates"] == 1
    plain = client.post(PATH, json={"value": 140}, headers=AUTH)  # at: the service's now
    assert plain.status_code == 201 and plain.get_json()["tally"]["value"] == 140
    shown = client.get("/api/v1/counters/shutdown/tallies/calls").get_json()
    assert shown["value"] == 140 and shown["samples"] == 4  # the timeline's sample and three pushed


def test_a_json_body_may_start_with_a_bom_as_a_csv_one_may(app):
    response = app.test_client().post(
        PATH, data=b'\xef\xbb\xbf{"value": 5}', headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 201 and response.get_json()["tally"]["value"] == 5


def test_a_compressed_body_is_refused_as_unsupported_not_as_broken(app):
    import gzip

    body = gzip.compress(b'{"value": 5}')
    headers = {**AUTH, "Content-Type": "application/json", "Content-Encoding": "gzip"}
    response = app.test_client().post(PATH, data=body, headers=headers)
    assert (response.status_code, response.get_json()["error"]["code"]) == (415, "unsupported_media_type")


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_an_error_to_a_write_is_never_kept_by_a_cache(app, method):
    client = app.test_client()
    for path in ("/api/v1/counters/nobody/tallies/calls/samples", "/api/v1/counters/shutdown/tallies/nothing/samples"):
        response = client.open(path, method=method, json={"value": 1}, headers=AUTH)
        assert response.status_code == 404 and response.headers["Cache-Control"] == "no-store", path
    refused = client.open(PATH, method=method, json={"value": 1})
    assert refused.status_code == 401 and refused.headers["Cache-Control"] == "no-store"
    assert "max-age=300" in client.get("/api/v1/counters/nobody/tallies/calls").headers["Cache-Control"]  # a read's


def test_csv_pushes(app):
    client = app.test_client()
    body = f"\ufeffat,value\r\n{at(3)},5\r\n{at(2)},9\r\n".encode()
    response = client.post(PATH, data=body, headers={**AUTH, "Content-Type": "text/csv; charset=utf-8"})
    assert response.status_code == 201 and response.get_json()["accepted"] == 2
    bad = client.post(PATH, data=b"when,value\n", headers={**AUTH, "Content-Type": "text/csv"})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_body"


@pytest.mark.parametrize(
    "headers, body, status, code, field",
    [
        ({}, {"value": 1}, 401, "unauthorized", None),
        ({"Authorization": "Bearer wrong"}, {"value": 1}, 401, "unauthorized", None),
        ({"Authorization": CALLS_TOKEN}, {"value": 1}, 401, "unauthorized", None),  # no scheme
        ({**AUTH, "Content-Type": "text/plain"}, "1", 415, "unsupported_media_type", None),
        (AUTH, {"value": True}, 400, "bad_sample", "value"),
        (AUTH, {"value": 1.5}, 400, "bad_sample", "value"),
        (AUTH, {"value": 123.0}, 400, "bad_sample", "value"),
        (AUTH, {"value": "12"}, 400, "bad_sample", "value"),
        (AUTH, {"value": 10**16}, 400, "bad_sample", "value"),
        (AUTH, {"value": 1, "note": "<b>x</b>"}, 400, "bad_sample", "sample"),
        (AUTH, {"at": "2026-11-23 14:00", "value": 1}, 400, "bad_sample", "at"),
        (AUTH, {"at": "2026-11-23T14:00:00", "value": 1}, 400, "bad_sample", "at"),  # no offset
        (AUTH, {"at": "2024-02-01T00:00:00Z", "value": 1}, 400, "bad_sample", "at"),  # before the start
        (AUTH, {"at": "2099-01-01T00:00:00Z", "value": 1}, 400, "bad_sample", "at"),  # ahead
        (AUTH, {"samples": [{"value": 1}] * 1001}, 413, "too_large", None),
        (AUTH, [1, 2], 400, "bad_body", None),
    ],
)
def test_refusals_in_order_and_never_echoed(app, headers, body, status, code, field):
    client = app.test_client()
    if isinstance(body, str):
        response = client.post(PATH, data=body, headers=headers)
    else:
        response = client.post(PATH, json=body, headers=headers)
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == code and "<b>" not in response.get_data(as_text=True)
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert error.get("field") == field and error.get("index") == (0 if field else None)


def test_unparsable_bodies(app):
    client = app.test_client()
    for data in (b"{", b"[" * 100_000, b'{"value": NaN}', b"\xff\xfe", b'{"value": 1}{"value": 2}'):
        response = client.post(PATH, data=data, headers={**AUTH, "Content-Type": "application/json"})
        assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_body", data[:10]
    big = client.post(PATH, data=b" " * (256 * 1024 + 1), headers={**AUTH, "Content-Type": "application/json"})
    assert big.status_code == 413


def test_the_order_unknown_then_token_then_type(app):
    client = app.test_client()
    unknown = client.post("/api/v1/counters/shutdown/tallies/nothing/samples", json={"value": 1})
    assert unknown.status_code == 404 and unknown.get_json()["error"]["code"] == "unknown_tally"
    no_token_bad_type = client.post(PATH, data="x", headers={"Content-Type": "text/plain"})
    assert no_token_bad_type.status_code == 401  # the token first: the body is never read without it
    closed = client.post("/api/v1/counters/voip-ma/tallies/inwi/samples", json={"value": 1}, headers=AUTH)
    assert closed.status_code == 404  # another counter: voip-ma is not in this timeline
    moved = client.post("/api/v1/counters/old-shutdown/tallies/calls/samples", json={"value": 1}, headers=AUTH)
    assert moved.status_code == 308 and moved.headers["Location"] == PATH


def test_a_closed_tally_refuses_every_push(make_app, tmp_path):
    client = make_app(None, VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3")).test_client()
    response = client.post("/api/v1/counters/voip-ma/tallies/inwi/samples", json={"value": 1}, headers=AUTH)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "pushes_disabled"


def test_conflicts_and_corrections(app):
    client = app.test_client()
    when = at(1)
    assert client.post(PATH, json={"at": when, "value": 7}, headers=AUTH).status_code == 201
    conflict = client.post(
        PATH, json={"samples": [{"at": at(0.5), "value": 8}, {"at": when, "value": 9}]}, headers=AUTH
    )
    assert conflict.status_code == 409 and conflict.get_json()["error"]["index"] == 1
    assert client.get("/api/v1/counters/shutdown/tallies/calls").get_json()["value"] == 7  # stored whole or not at all
    assert client.delete(PATH, query_string={"at": when}).status_code == 401
    assert client.delete(PATH, query_string={"at": when}, headers=AUTH).status_code == 204
    assert client.delete(PATH, query_string={"at": when}, headers=AUTH).status_code == 404
    assert client.delete(PATH, query_string={"at": "soon"}, headers=AUTH).status_code == 400
    assert client.post(PATH, json={"at": when, "value": 9}, headers=AUTH).status_code == 201


def test_store_down_is_a_503_and_nothing_is_said_stored(app, tmp_path):
    client = app.test_client()
    (tmp_path / "tallies.sqlite3").unlink()  # the file the service opened at its start, removed
    (tmp_path / "tallies.sqlite3").mkdir()  # and something else in its place
    response = client.post(PATH, json={"value": 3}, headers=AUTH)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.get_json()["error"]["code"] == "store_unavailable"


def test_health_says_when_the_tally_store_fails_and_the_counter_links_its_tallies(app, tmp_path):
    client = app.test_client()
    assert client.get("/healthz").get_json()["tallies"] == "ok"
    links = client.get("/api/v1/counters/shutdown?lang=en").get_json()["links"]
    assert links["tallies"].endswith("/api/v1/counters/shutdown/tallies.en.json")
    assert "tallies" not in client.get("/api/v1/counters/lifted").get_json()["links"]
    client.post(PATH, json={"value": 3}, headers=AUTH)  # the file exists, with its tables
    (tmp_path / "tallies.sqlite3").unlink()
    (tmp_path / "tallies.sqlite3").mkdir()
    health = client.get("/healthz").get_json()
    assert health["tallies"] == "error" and health["status"] == "degraded" and health["tallies_error"]


def every_sample(store: TallyStore) -> dict[int, int]:
    """Instant (ms) -> value of every sample of `calls` in `store`."""
    return {row.at_ms: row.value for row in store.window("shutdown", "calls", None, None, 10**9)}


def pushing(base: str, client: int, stop: threading.Event, acknowledged: list, refused: list) -> None:
    """One client pushing single samples until `stop`, each at an instant of its own (no 409
    between clients): the 201s go in `acknowledged` as (at, value), the refusals in `refused`
    as (status, Retry-After); it returns when the server is gone."""
    began, n = now(), 0
    while not stop.is_set():
        n += 1
        value = client * 1_000_000 + n
        when = (began - dt.timedelta(milliseconds=client * 100_000 + n)).isoformat(timespec="milliseconds")
        request = urllib.request.Request(
            base + PATH,
            data=json.dumps({"at": when, "value": value}).encode(),
            headers={**AUTH, "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                if response.status == 201:
                    acknowledged.append((when, value))
        except urllib.error.HTTPError as error:
            refused.append((error.code, error.headers.get("Retry-After")))
        except OSError:
            return  # the server is gone


def test_kill_9_during_pushes_loses_no_acknowledged_sample(tmp_path):
    """`voipdown serve` killed with SIGKILL (master and workers) while four clients push: every
    sample it answered 201 for is in the store after a restart."""
    env = server_env(tmp_path)
    acknowledged: list[tuple[str, int]] = []
    stop = threading.Event()

    with serving(env, workers=2) as (base, process):
        pushers = [threading.Thread(target=pushing, args=(base, client, stop, acknowledged, [])) for client in range(4)]
        for pusher in pushers:
            pusher.start()
        time.sleep(1.5)
        os.killpg(process.pid, signal.SIGKILL)
        stop.set()
        for pusher in pushers:
            pusher.join()
    assert len(acknowledged) > 50, len(acknowledged)
    kept = every_sample(SqliteTallyStore(tmp_path / "tallies.sqlite3"))
    missing = [
        (when, value) for when, value in acknowledged if kept.get(to_ms(dt.datetime.fromisoformat(when))) != value
    ]
    assert missing == []
    with serving(env, workers=1) as (base, _):  # and the restarted service answers from them
        with urllib.request.urlopen(base + "/api/v1/counters/shutdown/tallies/calls") as response:
            assert json.load(response)["samples"] == len(kept) + 1  # and the timeline's own sample


def test_redis_killed_during_pushes_answers_503_and_never_201_for_an_unstored_sample(tmp_path):
    """The service on Redis (VOIPDOWN_REDIS_URL; AOF fsynced at every write), Redis killed
    with SIGKILL while four clients push: the pushes it could not store are 503s with
    Retry-After (never a 201), and every sample answered 201 is there once Redis is back."""
    from tests.servers import RedisServer

    (tmp_path / "redis").mkdir()
    redis = RedisServer(aof_dir=tmp_path / "redis").start()
    env = {**server_env(tmp_path), "VOIPDOWN_REDIS_URL": redis.url}
    acknowledged: list[tuple[str, int]] = []
    refused: list[tuple[int, str | None]] = []
    stop = threading.Event()

    try:
        with serving(env, workers=2) as (base, _):
            pushers = [
                threading.Thread(target=pushing, args=(base, client, stop, acknowledged, refused))
                for client in range(4)
            ]
            for pusher in pushers:
                pusher.start()
            time.sleep(1.0)
            redis.stop()  # SIGKILL
            time.sleep(1.5)
            stop.set()
            for pusher in pushers:
                pusher.join()
            assert len(acknowledged) > 20, len(acknowledged)
            assert refused and all(status == 503 and retry == "5" for status, retry in refused), refused[:5]
            with urllib.request.urlopen(base + "/api/v1/counters/shutdown/tallies/calls") as response:
                assert "unavailable" in json.load(response)["store"]  # reads go on, and say so
        redis.start()  # the same port and directory: its append-only file read back
        kept = every_sample(RedisTallyStore(redis.url))
        missing = [
            (when, value) for when, value in acknowledged if kept.get(to_ms(dt.datetime.fromisoformat(when))) != value
        ]
        assert missing == []
    finally:
        redis.stop()


TALLY_ANSWERS = (
    "/api/v1/counters/shutdown/tallies/calls?lang=en",
    "/api/v1/counters/shutdown/tallies?lang=en",
    "/api/v1/counters/shutdown/tallies/calls/samples",
    "/api/v1/counters/shutdown/tallies/calls/samples.csv",
    "/api/v1/counters/shutdown/tallies/calls/shields.json?lang=en",
    "/badge/shutdown/calls.svg?lang=en",
    "/chart/shutdown/calls.svg?lang=en",
    "/chart/shutdown/calls.png?lang=en&size=large",
    "/shutdown/tallies/calls?lang=en",
    "/shutdown?lang=en",
)
"""Every answer that says something of a tally: the JSON, the samples, the CSV, shields, the
badge, the charts, the tally's page and the campaign page with its tally section."""


def lifetimes(control: str) -> dict[str, int]:
    """max-age, s-maxage and stale-while-revalidate of a Cache-Control header."""
    found = {}
    for part in control.split(","):
        name, _, value = part.strip().partition("=")
        if value.isdigit():
            found[name] = int(value)
    return found


def post(base: str, value: int):
    """A push of `value`: its status and headers (a case-insensitive message)."""
    request = urllib.request.Request(
        base + PATH,
        data=json.dumps({"value": value}).encode(),
        headers={**AUTH, "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


def test_with_the_redis_store_stopped_every_tally_answer_lives_five_seconds_and_says_so(tmp_path):
    """The real server (two workers) on Redis, Redis stopped after a push: every tally answer
    is kept at most 5 s by any cache, the JSON and the pages say the store did not answer, a
    push is a 503 with Retry-After; Redis back, answers are fresh again within a second."""
    from tests.servers import RedisServer, get

    (tmp_path / "redis").mkdir()
    redis = RedisServer(aof_dir=tmp_path / "redis").start()
    env = {**server_env(tmp_path), "VOIPDOWN_REDIS_URL": redis.url}
    try:
        with serving(env, workers=2) as (base, _):
            assert post(base, 1_234)[0] == 201
            for path in TALLY_ANSWERS:  # both workers have read the store (new connections each time)
                for _ in range(4):
                    assert get(base + path)[0] == 200, path
            redis.stop()
            time.sleep(VERSION_TTL)  # the longest a worker trusts the version it read
            for path in TALLY_ANSWERS:
                for _ in range(4):
                    status, headers, body = get(base + path)
                    assert status == 200, path
                    found = lifetimes(headers["cache-control"])
                    assert found["max-age"] <= 5 and found.get("s-maxage", 0) <= 5, (path, found)
                    assert found.get("stale-while-revalidate", 0) <= 5, (path, found)
                    if path.startswith("/api/v1/counters/shutdown/tallies/calls?"):
                        assert "unavailable" in json.loads(body)["store"]
                    if path.startswith("/shutdown"):
                        assert b"The samples cannot be read just now" in body, path
            status, headers = post(base, 1_300)
            assert status == 503 and headers.get("Retry-After") == "5"
            redis.start()  # the same port, its append-only file read back
            deadline = time.monotonic() + 1.0
            while True:
                fresh = []
                for path in TALLY_ANSWERS:
                    _, headers, body = get(base + path)
                    fresh.append(lifetimes(headers["cache-control"])["max-age"] > 5 and b"cannot be read" not in body)
                if all(fresh) or time.monotonic() > deadline:
                    break
            assert all(fresh), [path for path, ok in zip(TALLY_ANSWERS, fresh, strict=True) if not ok]
            body = json.loads(get(base + TALLY_ANSWERS[0])[2])
            assert body["value"] == 1_234 and "store" not in body
    finally:
        redis.stop()


def test_every_worker_serves_a_new_sample_within_half_a_second(tmp_path):
    """Two workers of the real server: half a second after a push is acknowledged (the
    longest a worker trusts the tally's version it read), every read, whichever worker
    answers it, gives the new value (reads are never replayed)."""
    env = server_env(tmp_path)
    with serving(env, workers=2) as (base, _):
        read = base + "/api/v1/counters/shutdown/tallies/calls"
        for value in (100, 250, 400):
            urllib.request.urlopen(read).read()  # warm whatever could hold the old value
            request = urllib.request.Request(
                base + PATH,
                data=json.dumps({"value": value}).encode(),
                headers={**AUTH, "Content-Type": "application/json"},
                method="POST",
            )
            with urllib.request.urlopen(request) as response:
                assert response.status == 201
            time.sleep(VERSION_TTL)
            seen = []
            for _ in range(40):  # a new connection each time: both workers answer
                with urllib.request.urlopen(read) as response:
                    seen.append(json.load(response)["value"])
            assert set(seen) == {value}, seen


def test_the_timeline_and_a_push_place_a_date_alike(app, make_app):
    """A date-only start is the start of that day in the counter's zone (Casablanca was UTC+1
    on 1 March 2024: 29 February 23:00 UTC), for the timeline's check and a push's alike."""
    just_after = "2024-02-29T23:30:00Z"
    assert app.test_client().post(PATH, json={"at": just_after, "value": 1}, headers=AUTH).status_code == 201
    sample = (
        "\n[[counters.shutdown.tallies.calls.samples]]\n"
        f'at = {just_after.replace("Z", "+00:00")}\nvalue = 1\nsource = {{ name = "x" }}\n'
    )
    tally = make_app(ONGOING + sample).extensions["voipdown"].timelines.snapshot().timeline
    assert [s.value for s in tally.counters["shutdown"].tallies["calls"].samples] == [1, 12]
    before = app.test_client().post(PATH, json={"at": "2024-02-29T22:30:00Z", "value": 1}, headers=AUTH)
    assert before.status_code == 400 and before.get_json()["error"]["field"] == "at"


def test_a_token_is_never_logged_nor_answered(app, caplog):
    caplog.set_level("DEBUG")
    client = app.test_client()
    wrong = "wrong-token-zq9x"
    answers = [
        client.post(PATH, json={"value": 5}, headers=AUTH),
        client.post(PATH, json={"value": 6}, headers={"Authorization": f"Bearer {wrong}"}),
        client.post(PATH, data="{", headers={**AUTH, "Content-Type": "application/json"}),
    ]
    assert [answer.status_code for answer in answers] == [201, 401, 400]
    for token in (CALLS_TOKEN, wrong):
        assert token not in caplog.text
        assert all(token.encode() not in answer.data and token not in str(answer.headers) for answer in answers)


@pytest.mark.parametrize(
    "body, content_type, index, field",
    [
        ('{"samples": [{"at": null, "value": 0}]}', "application/json", 0, "at"),  # found by Schemathesis
        ('{"at": null, "value": 0}', "application/json", 0, "at"),
        ('{"at": 1700000000, "value": 0}', "application/json", 0, "at"),
        ('{"samples": [{"value": 1}]}', "application/json", 0, "at"),  # a list's samples each need an instant
        ("at,value\n,5\n", "text/csv", 0, "at"),
    ],
)
def test_an_instant_is_a_string_and_only_a_single_value_may_leave_it_out(app, body, content_type, index, field):
    response = app.test_client().post(PATH, data=body, headers={**AUTH, "Content-Type": content_type})
    error = response.get_json()["error"]
    assert (response.status_code, error["code"], error["index"], error["field"]) == (400, "bad_sample", index, field)


def test_another_tallys_token_opens_nothing_but_its_own(make_app, tmp_path):
    from voipdown.tallies.tokens import token_sha256

    other = "a-token-of-another-tally-for-tests"
    timeline = ONGOING.replace(
        "[[counters.shutdown.tallies.calls.samples]]",
        f'[counters.shutdown.tallies.sites]\ntitle = {{ fr = "Sites" }}\nunit = "sites"\nstart = 2024-03-01\n'
        f'interval = 60\ntoken_sha256 = "{token_sha256(other)}"\n\n[[counters.shutdown.tallies.calls.samples]]',
    )
    app = make_app(timeline, VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3"))
    client = app.test_client()
    refused = client.post(PATH, json={"value": 1}, headers={"Authorization": f"Bearer {other}"})
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    own = client.post(
        PATH.replace("/calls/", "/sites/"), json={"value": 1}, headers={"Authorization": f"Bearer {other}"}
    )
    assert own.status_code == 201
    assert client.post(PATH.replace("/calls/", "/sites/"), json={"value": 2}, headers=AUTH).status_code == 401


def test_a_chunked_push_is_read_whole_by_the_real_server(tmp_path):
    """curl --data-binary @- sends a body without Content-Length (chunked): the server reads
    it all, and the 256 KiB limit holds for it too."""
    import http.client

    with serving(server_env(tmp_path), workers=1) as (base, _):
        host, port = base.removeprefix("http://").split(":")

        def chunked(body: bytes) -> tuple[int, dict]:
            connection = http.client.HTTPConnection(host, int(port), timeout=10)
            chunks = (body[i : i + 1000] for i in range(0, len(body), 1000))
            connection.request(
                "POST", PATH, body=chunks, headers={**AUTH, "Content-Type": "application/json"}, encode_chunked=True
            )
            response = connection.getresponse()
            answer = (response.status, json.loads(response.read()))
            connection.close()
            return answer

        status, body = chunked(json.dumps({"value": 5}).encode())
        assert status == 201 and body["tally"]["value"] == 5
        status, body = chunked(b'{"value": 6}' + b" " * (300 * 1024))
        assert status == 413 and body["error"]["code"] == "too_large"


def test_a_tally_does_not_depend_on_its_counters_status(make_app, tmp_path):
    """An ended counter (lifted in 2020) and one not started yet (2099) take pushes and show them."""
    from voipdown.tallies.tokens import token_sha256

    token = "a-token-for-the-ended-and-upcoming-counters"
    timeline = ONGOING
    for slug, lang in (("lifted", "en"), ("future", "ar")):
        timeline += (
            f'\n[counters.{slug}.tallies.signatures]\ntitle = {{ {lang} = "Signatures" }}\nunit = "signatures"\n'
            f'start = 2020-01-01\ninterval = 60\ntoken_sha256 = "{token_sha256(token)}"\n'
        )
    client = make_app(timeline, VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3")).test_client()
    for slug in ("lifted", "future"):
        path = f"/api/v1/counters/{slug}/tallies/signatures"
        pushed = client.post(path + "/samples", json={"value": 41}, headers={"Authorization": f"Bearer {token}"})
        assert pushed.status_code == 201, slug
        shown = client.get(path).get_json()
        assert (shown["value"], shown["stale"], shown["closed"]) == (41, False, False), slug


def test_after_an_early_refusal_the_next_request_on_the_connection_works(tmp_path):
    """A refusal sent before the body is read (401, 404, 415, 413) closes the connection and
    says so (`Connection: close`): the unread body is never taken for the next request, and
    a client (http.client here) opens a new connection for it."""
    import http.client

    with serving(server_env(tmp_path), workers=1) as (base, _):
        host, port = base.removeprefix("http://").split(":")
        body = json.dumps({"value": 1, "padding": "x" * 100_000}).encode()
        cases = [
            (PATH, {}, 401),
            ("/api/v1/counters/nobody/tallies/calls/samples", {}, 404),
            (PATH, {**AUTH, "Content-Type": "text/plain"}, 415),
            (PATH, AUTH, 413),
        ]
        for path, headers, status in cases:
            sent = body if status != 413 else body * 3
            connection = http.client.HTTPConnection(host, int(port), timeout=10)
            connection.request("POST", path, body=sent, headers={"Content-Type": "application/json", **headers})
            refused = connection.getresponse()
            refused.read()
            assert refused.status == status and refused.getheader("Connection") == "close", (path, status)
            connection.request("GET", "/healthz")
            assert connection.getresponse().status == 200, (path, status)
            connection.close()
        connection = http.client.HTTPConnection(host, int(port), timeout=10)  # a body read: the connection stays
        connection.request(
            "POST", PATH, body=json.dumps({"value": 2}).encode(), headers={**AUTH, "Content-Type": "application/json"}
        )
        accepted = connection.getresponse()
        accepted.read()
        assert accepted.status == 201 and accepted.getheader("Connection") != "close"
        connection.close()


@pytest.mark.parametrize("fault", ["file removed", "file replaced", "folder removed"])
def test_a_store_file_removed_or_replaced_takes_no_push_and_health_says_why(make_app, tmp_path, fault):
    """A cleanup job, an operator's mistake, a volume remounted: every push after it went to a
    deleted inode with a 201, and was lost at the next start. Now: 503, said in words, and no
    new empty file made by anyone (pushes, reads, /healthz)."""
    import shutil

    folder = tmp_path / "state"
    app = make_app(ONGOING, VOIPDOWN_TALLY_STORE=str(folder / "tallies.sqlite3"))
    client = app.test_client()
    assert client.post(PATH, json={"at": at(2), "value": 10}, headers=AUTH).status_code == 201
    store = folder / "tallies.sqlite3"
    if fault == "folder removed":
        shutil.rmtree(folder)
    else:
        store.unlink()
        for extra in ("-wal", "-shm"):
            (folder / f"tallies.sqlite3{extra}").unlink(missing_ok=True)
        if fault == "file replaced":
            import sqlite3

            sqlite3.connect(store).execute("CREATE TABLE other (x)").connection.close()
    for _ in range(5):
        pushed = client.post(PATH, json={"value": 11}, headers=AUTH)
        assert pushed.status_code == 503 and pushed.headers["Retry-After"] == "5", pushed.get_json()
    health = client.get("/healthz").get_json()
    assert health["status"] == "degraded" and health["tallies"] == "error"
    words = "was replaced by another file" if fault == "file replaced" else "was removed"
    assert f"the tally store file {store} {words}" in health["tallies_error"], health["tallies_error"]
    assert "until the service is restarted" in health["tallies_error"]
    from voipdown.clock import pinned_clock

    with pinned_clock(now() + dt.timedelta(seconds=1)):  # past the half second a worker trusts a version
        read = client.get("/api/v1/counters/shutdown/tallies/calls").get_json()
    assert "unavailable" in read["store"] and read["value"] == 10  # the last value this worker saw, said so
    assert store.exists() == (fault == "file replaced")  # nothing made a new file
    restarted = make_app(ONGOING, VOIPDOWN_TALLY_STORE=str(store))  # the operator's decision: a restart
    assert restarted.test_client().post(PATH, json={"value": 12}, headers=AUTH).status_code == 201


def test_a_failed_commit_says_why_in_an_operators_words():
    import sqlite3

    from voipdown.tallies.store.sqlite import _in_words

    assert _in_words(sqlite3.OperationalError("database or disk is full")) == "the disk holding the tally store is full"
    assert "read-only" in _in_words(sqlite3.OperationalError("attempt to write a readonly database"))


FULL_DISK_PROGRAM = """
import resource, signal, sys
sys.path.insert(0, {root!r})
from voipdown.tallies.model import StoredSample
from voipdown.tallies.store.protocol import StoreUnavailable
from voipdown.tallies.store.sqlite import SqliteTallyStore

store = SqliteTallyStore({path!r})
store.open()
store.add("c", "t", [StoredSample(1, 1)])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG), as on a full disk
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, hard))
try:
    for n in range(100):
        store.add("c", "t", [StoredSample(1_000 + n * 1_000 + k, k) for k in range(1_000)])
    print("stored everything")
except StoreUnavailable as error:
    print("refused:", error)
try:
    store.check()
    print("health: ok")
except StoreUnavailable as error:
    print("health:", error)
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # space again
store.add("c", "t", [StoredSample(10**9, 1)])
store.check()
print("after: ok", store.version("c", "t").samples)
"""


def test_a_write_the_disk_refuses_is_a_503_said_plainly_until_one_succeeds(tmp_path):
    """A write that cannot reach the disk (here a file-size limit, which fails like a full
    disk): refused whole, the reason in words (not SQLite's "cannot rollback"), the health
    degraded until a write succeeds again."""
    import subprocess
    import sys

    from tests.servers import ROOT

    program = FULL_DISK_PROGRAM.format(root=str(ROOT), path=str(tmp_path / "t.sqlite3"))
    output = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True)
    lines = output.stdout.splitlines()
    assert lines[0].startswith("refused: the disk holding the tally store"), lines
    assert lines[1].startswith("health: the last write failed: the disk holding the tally store"), lines
    assert lines[2].startswith("after: ok"), lines
    kept = int(lines[2].split()[-1])
    assert (kept - 2) % 1_000 == 0  # every batch whole or not at all: the first sample, whole batches, the last


def test_slow_pushers_hold_a_few_threads_and_reads_go_on(tmp_path):
    """Eight pushers with the token that send their body a byte a second (a bad mobile link)
    held every thread of both workers: counts and badges timed out for as long as they stayed.
    Now a push reads its body in one of its worker's share of write slots (2 working, a few
    waiting half a second), a push beyond them gets 503 with Retry-After, and reads keep
    their threads."""
    import socket

    from tests.servers import get

    with serving(server_env(tmp_path), workers=2) as (base, _):
        host, port = base.removeprefix("http://").split(":")
        body = json.dumps({"value": 5}).encode().ljust(60)
        head = push_head(host, PATH, CALLS_TOKEN, len(body))
        slow = []
        for _ in range(8):
            connection = socket.create_connection((host, int(port)), timeout=10)
            connection.sendall(head + body[:1])
            slow.append(connection)
        stop = threading.Event()

        def trickle():
            sent = 1
            while not stop.wait(1.0) and sent < len(body):
                for connection in slow:
                    try:
                        connection.sendall(body[sent : sent + 1])
                    except OSError:
                        pass
                sent += 1

        feeder = threading.Thread(target=trickle)
        feeder.start()
        try:
            time.sleep(1.0)  # every slow pusher has reached a worker
            timings = []
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                began = time.monotonic()
                status, _, _ = get(base + "/badge/shutdown.svg?lang=ar", timeout=5)
                timings.append(time.monotonic() - began)
                assert status == 200
            assert max(timings) < 1.0, sorted(timings)[-5:]
            busy = [b"503" in connection.recv(200) for connection in slow if _answered(connection)]
            assert busy and all(busy), busy  # those that found no slot were told at once
        finally:
            stop.set()
            feeder.join()
            for connection in slow:
                connection.close()


def _answered(connection) -> bool:
    """Whether an answer waits on `connection` already (without blocking)."""
    import select

    return bool(select.select([connection], [], [], 0)[0])


def test_a_locked_store_makes_pushes_wait_briefly_and_never_slows_reads(tmp_path):
    """Another process holding the store's write lock (a backup, the sqlite3 shell) while
    eight pushers push: a push waits at most the store's lock wait in a write slot, or half a
    second for a slot, then 503 with Retry-After; a badge answers at its usual pace meanwhile."""
    import sqlite3

    from tests.servers import get
    from voipdown.tallies.store.sqlite import LOCK_WAIT

    env = server_env(tmp_path)
    with serving(env, workers=2) as (base, _):
        assert post(base, 1)[0] == 201  # the file exists, with its tables
        holder = sqlite3.connect(env["VOIPDOWN_TALLY_STORE"], isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        answers: list[tuple[int, float]] = []

        def pusher(n: int) -> None:
            began = time.monotonic()
            status, headers = post(base, 100 + n)
            answers.append((status, time.monotonic() - began, headers.get("Retry-After")))

        pushers = [threading.Thread(target=pusher, args=(n,)) for n in range(8)]
        try:
            for thread in pushers:
                thread.start()
            time.sleep(0.3)
            timings = []
            for _ in range(30):
                began = time.monotonic()
                assert get(base + "/badge/shutdown.svg?lang=fr", timeout=5)[0] == 200
                timings.append(time.monotonic() - began)
            for thread in pushers:
                thread.join()
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert max(timings) < 1.0, sorted(timings)[-5:]
        assert len(answers) == 8 and all(status == 503 and retry == "5" for status, _, retry in answers), answers
        assert max(seconds for _, seconds, _ in answers) < LOCK_WAIT + 1.5, answers
        assert post(base, 200)[0] == 201  # the lock gone, pushes go through again


READ_ONLY_PROGRAM = """
import json, os, sys
sys.path.insert(0, {root!r})
from tests.timelines import CALLS_TOKEN, ONGOING
from voipdown.web import create_app

folder = {folder!r}
if sys.argv[1] == "first":
    with open(os.path.join(folder, "timeline.toml"), "w") as timeline:
        timeline.write(ONGOING)
settings = {{
    "VOIPDOWN_TIMELINE": os.path.join(folder, "timeline.toml"),
    "VOIPDOWN_TALLY_STORE": os.path.join(folder, "t.sqlite3"),
    "VOIPDOWN_DISCOVERY": "off",
}}
client = create_app(settings).test_client()
pushed = client.post(
    "/api/v1/counters/shutdown/tallies/calls/samples", json={{"value": 1}},
    headers={{"Authorization": "Bearer " + CALLS_TOKEN}},
)
health = client.get("/healthz").get_json()
error = (pushed.get_json() or {{}}).get("error", {{}})
print(json.dumps([pushed.status_code, error.get("message"), health["status"], health.get("tallies_error")]))
"""


def test_a_store_on_a_read_only_disk_takes_no_push_and_health_says_why(tmp_path):
    """The store's disk mounted read-only (a volume remounted after errors, a mistake): every
    push 503 and nothing said stored, /healthz degraded in words an operator understands. A
    real read-only mount, in a mount namespace of the test's own (root only)."""
    import shlex
    import shutil
    import subprocess
    import sys

    from tests.servers import ROOT

    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("a read-only mount needs root and unshare(1)")
    folder = tmp_path / "volume"
    folder.mkdir()
    program = READ_ONLY_PROGRAM.format(root=str(ROOT), folder=str(folder))
    python = f"{sys.executable} -c {shlex.quote(program)}"
    mount = f"mount -t tmpfs -o size=8m none {folder}"
    script = f"{mount} && {python} first && mount -o remount,ro {folder} && {python} again"
    output = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=120)
    assert output.returncode == 0, output.stderr[-2000:]
    first, again = (json.loads(line) for line in output.stdout.splitlines())
    assert first == [201, None, "ok", None]
    status, message, health, why = again
    assert status == 503 and "nothing was" in message, again
    assert health == "degraded" and "read-only" in why, again


# A second tally of the same counter, with no sample of its own, to push a CSV into.
WITH_A_COPY = ONGOING.replace(
    "[[counters.shutdown.participants]]",
    """[counters.shutdown.tallies.copy]
title = { fr = "Copie" }
unit = "people"
start = 2024-03-01
interval = 60
token_sha256 = "08377e57e2aa835a3724c4b24725398d67c2ee4eebd6214ac554020268a8040a"

[[counters.shutdown.participants]]""",
)


def test_samples_csv_is_taken_back_by_a_push_as_it_is_for_every_precision(make_app, tmp_path):
    import csv
    import io

    app = make_app(WITH_A_COPY, VOIPDOWN_TALLY_STORE=str(tmp_path / "tallies.sqlite3"))
    client = app.test_client()
    base = "/api/v1/counters/shutdown/tallies"
    pushed = {"samples": [{"at": at(3), "value": 20}, {"at": "2025-06-01T10:00:00.123456789+02:00", "value": 15}]}
    assert client.post(f"{base}/calls/samples", json=pushed, headers=AUTH).status_code == 201
    original = client.get(f"{base}/calls/samples.csv")
    rows = list(csv.DictReader(io.StringIO(original.get_data(as_text=True))))
    # The day-precision sample (2024-03-02, the timeline's), an instant to the nanosecond and one to the millisecond.
    assert [row["value"] for row in rows] == ["12", "15", "20"]
    json_samples = client.get(f"{base}/calls/samples").get_json()["samples"]
    assert json_samples[0]["at"] == "2024-03-02"
    for row in rows:  # each an instant with its offset, that any reader places where the service does
        instant = dt.datetime.fromisoformat(row["at"])
        assert instant.utcoffset() == dt.timedelta(0)
    assert dt.datetime.fromisoformat(rows[0]["at"]) == dt.datetime(2024, 3, 2, tzinfo=ZoneInfo("Africa/Casablanca"))

    copied = client.post(f"{base}/copy/samples", data=original.data, headers={**AUTH, "Content-Type": "text/csv"})
    assert copied.status_code == 201 and copied.get_json()["accepted"] == 3
    assert client.get(f"{base}/copy/samples.csv").data == original.data.replace(b"-calls", b"-copy")
    again = client.post(f"{base}/calls/samples", data=original.data, headers={**AUTH, "Content-Type": "text/csv"})
    # The two pushed are duplicates; the timeline's is stored, then hidden by the timeline's own at its instant.
    assert again.get_json()["duplicates"] == 2 and again.get_json()["tally"]["samples"] == 3
    assert client.get(f"{base}/calls/samples.csv").data == original.data


def test_a_push_answers_the_tally_in_the_language_asked_and_refuses_an_unknown_one(app):
    client = app.test_client()
    english = client.post(PATH + "?lang=en", json={"value": 7}, headers=AUTH)
    assert english.status_code == 201 and english.get_json()["tally"]["message"] == "7 people"
    unknown = client.post(PATH + "?lang=xx", json={"value": 8}, headers=AUTH)
    assert unknown.status_code == 400 and unknown.get_json()["error"]["parameter"] == "lang"
    assert client.get("/api/v1/counters/shutdown/tallies/calls").get_json()["value"] == 7  # nothing stored
