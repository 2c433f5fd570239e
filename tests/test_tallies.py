"""Tallies: the series, the summary (change, rates, staleness), the store and the tokens."""

import datetime as dt
import threading

import pytest

from tests.timelines import ONGOING
from voipdown.tallies import from_ms, series, shown, summarize, to_ms
from voipdown.tally_store import Conflict, SqliteTallyStore
from voipdown.tally_tokens import new_token, token_matches, token_sha256
from voipdown.timeline import parse_timeline

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
PETITION = """
[counters.shutdown.tallies.petition]
title = { fr = "Pétition" }
unit = "signatures"
start = 2024-03-01
interval = 60
token_sha256 = "%s"

[[counters.shutdown.tallies.petition.samples]]
at = 2024-03-02
value = 100
source = { name = "Newsletter" }
"""


def petition(token="t0ken"):
    timeline = parse_timeline((ONGOING + PETITION % token_sha256(token)).encode())
    counter = timeline.counters["shutdown"]
    return counter, counter.tallies["petition"]


def ms(minutes: float) -> int:
    return to_ms(T0 + dt.timedelta(minutes=minutes))


def test_one_series_of_historical_and_pushed_samples():
    counter, tally = petition()
    points = series(counter, tally, [(ms(0), 500), (ms(1), 560)])
    assert [(shown(p.at), p.value, p.precision) for p in points] == [
        ("2024-03-02", 100, "day"),
        ("2026-11-23T12:00:00.000Z", 500, "instant"),
        ("2026-11-23T12:01:00.000Z", 560, "instant"),
    ]
    # A date is the start of that day in the counter's zone (Casablanca: UTC+1 then), for ordering only.
    assert points[0].instant == dt.datetime(2024, 3, 1, 23, tzinfo=UTC)


def test_change_rates_and_staleness():
    counter, tally = petition()
    points = series(counter, tally, [(ms(0), 500), (ms(2), 620), (ms(30), 1_000), (ms(31.5), 1_090)])
    summary = summarize(counter, tally, points, now=T0 + dt.timedelta(minutes=32))
    assert summary.latest.value == 1_090 and summary.change == 990 and summary.samples == 5
    assert summary.rate_per_minute == 60.0  # from 1,000 at 30:00 to 1,090 at 31:30
    assert summary.rate_per_hour == round((1_090 - 500) * 3600 / (31.5 * 60), 1)  # the hour's earliest: 12:00
    assert not summary.stale
    assert summarize(counter, tally, points, now=T0 + dt.timedelta(minutes=35)).stale  # > 3 intervals
    alone = summarize(counter, tally, series(counter, tally, []), now=T0)
    assert alone.rate_per_minute is None and alone.rate_per_hour is None and alone.change == 0
    falling = summarize(counter, tally, series(counter, tally, [(ms(0), 500), (ms(1), 440)]), now=T0)
    assert falling.rate_per_minute == -60.0


def test_a_closed_tally_is_never_stale():
    counter, tally = petition()
    closed = parse_timeline((ONGOING + (PETITION % "x").replace('token_sha256 = "x"\n', "")).encode())
    tally = closed.counters["shutdown"].tallies["petition"]
    assert tally.closed and not summarize(counter, tally, [], now=T0).stale


def test_the_store_keeps_a_request_whole_or_not_at_all(tmp_path):
    store = SqliteTallyStore(tmp_path / "t.sqlite3")
    assert store.add("c", "t", [(1, 10), (2, 20)]).accepted == 2
    again = store.add("c", "t", [(2, 20), (3, 30), (3, 30)])
    assert (again.accepted, again.duplicates) == (1, 2)
    with pytest.raises(Conflict) as caught:
        store.add("c", "t", [(4, 40), (1, 11)])  # the second conflicts: the first is not kept either
    assert caught.value.index == 1
    assert store.samples("c", "t") == [(1, 10), (2, 20), (3, 30)]
    version = store.version("c", "t")
    assert store.remove("c", "t", 2) and not store.remove("c", "t", 2)
    assert store.version("c", "t") == version + 1 and store.samples("c", "t") == [(1, 10), (3, 30)]
    assert store.tallies() == [("c", "t", 2, 3)]


def test_the_store_from_many_threads_and_two_handles(tmp_path):
    """Eight threads, two handles (as two workers would), on a file none has opened yet:
    switching it to WAL at once must not fail a push."""
    stores = [SqliteTallyStore(tmp_path / "t.sqlite3"), SqliteTallyStore(tmp_path / "t.sqlite3")]

    def push(n: int) -> None:
        for k in range(50):
            stores[n % 2].add("c", "t", [(n * 1000 + k, k)])

    threads = [threading.Thread(target=push, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(stores[0].samples("c", "t")) == 400 and stores[1].version("c", "t") == 400


def test_tokens_are_random_hashed_and_compared_whole():
    token = new_token()
    assert len(token) >= 43 and token != new_token()
    assert token_matches(token, token_sha256(token))
    assert not token_matches(token[:-1], token_sha256(token)) and not token_matches("", token_sha256(token))
    assert not token_matches(token, None)
    assert from_ms(to_ms(T0)) == T0


def test_the_bundled_opeunlike_tally_as_json(make_app):
    client = make_app(None, VOIPDOWN_DISCOVERY="off").test_client()
    response = client.get("/api/v1/counters/voip-ma/tallies/maroc-telecom?lang=fr")
    body = response.get_json()
    assert body["value"] == 27_000 and body["at"] == "2016-02-29" and body["at_precision"] == "day"
    assert body["change"] == 27_000 and body["samples"] == 2 and body["start"] == "2016-02-26"
    assert body["rate_per_minute"] is None and body["rate_per_hour"] is None  # days apart: no rate is made up
    assert body["closed"] and not body["stale"] and body["unit"] == "likes-lost"
    assert body["message"] == "27\u202f000 « j’aime » retirés" and body["label"] == "Page Facebook de Maroc Telecom"
    assert "max-age=3600" in response.headers["Cache-Control"]  # closed: as long as a count
    assert client.get(response.request.url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    every = client.get("/api/v1/counters/voip-ma/tallies?lang=ar").get_json()["tallies"]
    assert [tally["slug"] for tally in every] == ["maroc-telecom", "meditel", "inwi"]
    assert [tally["value"] for tally in every] == [27_000, 18_000, 20_000]


def test_unknown_tallies_and_old_slugs(make_app):
    client = make_app(ONGOING).test_client()
    missing = client.get("/api/v1/counters/shutdown/tallies/nothing")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "unknown_tally"
    moved = client.get("/api/v1/counters/old-shutdown/tallies/calls?lang=en&x=<b>")
    assert moved.status_code == 301 and moved.headers["Location"] == "/api/v1/counters/shutdown/tallies/calls?lang=en"


def test_a_stored_sample_shows_at_once_and_the_store_going_away_is_said(make_app, tmp_path):
    app = make_app(ONGOING, VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3"))
    client = app.test_client()
    path = "/api/v1/counters/shutdown/tallies/calls?lang=en"
    first = client.get(path)
    assert first.get_json()["value"] == 12 and "max-age=60" in first.headers["Cache-Control"]
    store = app.extensions["voipdown"].tally_store
    store.add("shutdown", "calls", [(to_ms(T0), 40), (to_ms(T0 + dt.timedelta(minutes=1)), 46)])
    body = client.get(path).get_json()  # never replayed: the push shows on the next request
    assert (body["value"], body["rate_per_minute"], body["message"]) == (46, 6.0, "46 people")
    (tmp_path / "t.sqlite3").unlink()
    (tmp_path / "t.sqlite3").mkdir()  # the store cannot be opened any more
    store._local.connection = None
    down = client.get(path).get_json()
    assert down["value"] == 46 and "unavailable" in down["store"]  # the last values this worker saw


def test_downsampling_keeps_real_samples_and_the_shape():
    from voipdown.tallies import Point, downsample

    points = [Point(T0 + dt.timedelta(minutes=n), T0 + dt.timedelta(minutes=n), (n * 37) % 101) for n in range(1_000)]
    kept = downsample(points, 100)
    assert len(kept) <= 100 and kept[0] is points[0] and kept[-1] is points[-1]
    assert all(point in points for point in kept)  # no invented value
    assert [p.instant for p in kept] == sorted(p.instant for p in kept)
    assert max(p.value for p in kept) == max(p.value for p in points[1:-1])
    assert min(p.value for p in kept) == min(p.value for p in points[1:-1])
    assert downsample(points[:5], 100) == points[:5]


def test_samples_as_json_and_csv_and_for_shields(make_app, tmp_path):
    app = make_app(ONGOING, VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3"))
    app.extensions["voipdown"].tally_store.add("shutdown", "calls", [(ms(n), 20 + n) for n in range(30)])
    client = app.test_client()
    base = "/api/v1/counters/shutdown/tallies/calls"
    every = client.get(base + "/samples").get_json()
    assert every["downsampled"] is False and len(every["samples"]) == 31
    assert every["samples"][0] == {"at": "2024-03-02", "value": 12, "source": {"name": "Campaign newsletter"}}
    few = client.get(base + "/samples?points=10").get_json()
    assert few["downsampled"] is True and len(few["samples"]) <= 10 and few["samples"][-1]["value"] == 49
    since = client.get(
        base + "/samples", query_string={"since": "2026-11-23T12:10:00Z", "until": "2026-11-23T13:10:00+01:00"}
    )
    assert [s["value"] for s in since.get_json()["samples"]] == [30]  # 12:10 UTC, both ends inclusive
    for bad in ("points=0", "points=2001", "points=x", "since=yesterday", "until=2026-11-23"):
        response = client.get(f"{base}/samples?{bad}")
        assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_parameter", bad
    csv = client.get(base + "/samples.csv")
    lines = csv.get_data(as_text=True).splitlines()
    assert csv.mimetype == "text/csv" and lines[:3] == ["at,value", "2024-03-02,12", "2026-11-23T12:00:00.000Z,20"]
    shields = client.get(base + "/shields.json?lang=fr").get_json()
    assert shields == {"schemaVersion": 1, "label": "Appels signalés", "message": "49 personnes", "color": "#1d4ed8"}


def test_tally_badges(make_app, tmp_path):
    from xml.etree import ElementTree

    app = make_app(ONGOING, VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3"))
    client = app.test_client()
    svg = client.get("/badge/shutdown/calls.svg?lang=fr")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert ElementTree.fromstring(svg.data).get("aria-label") == "Appels signalés: 12 personnes"
    assert "max-age=60" in svg.headers["Cache-Control"] and "#1d4ed8" in svg.get_data(as_text=True)
    app.extensions["voipdown"].tally_store.add("shutdown", "calls", [(ms(0), 1_234)])
    again = client.get("/badge/shutdown/calls.svg?lang=en")  # never replayed: the push shows
    assert ElementTree.fromstring(again.data).get("aria-label") == "Calls reported: 1,234 people"
    png = client.get("/badge/shutdown/calls.png?lang=ar&scale=1")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    missing = client.get("/badge/shutdown/nothing.svg")
    assert missing.status_code == 404 and missing.mimetype == "image/svg+xml"
    moved = client.get("/badge/old-shutdown/calls.svg?lang=en&x=<b>")
    assert moved.status_code == 301 and moved.headers["Location"] == "/badge/shutdown/calls.svg?lang=en"
