"""Tallies: the series, the summary (change, rates, staleness), the store and the tokens."""

import datetime as dt
import threading
import time
from email.utils import format_datetime

import pytest

from tests.timelines import ONGOING
from voipdown.clock import pinned_clock
from voipdown.tallies import from_ms, series, shown, summarize, to_ms
from voipdown.tally_store import Conflict, SqliteTallyStore
from voipdown.tally_tokens import new_token, token_matches, token_sha256
from voipdown.timeline import parse_timeline
from voipdown.web.tallies import VERSION_TTL

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


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path):
    """Each tally store, the same promises: SQLite (one host), Redis (several)."""
    if request.param == "sqlite":
        yield SqliteTallyStore(tmp_path / "t.sqlite3")
        return
    from bench.local import RedisServer
    from voipdown.tally_store import RedisTallyStore

    server = RedisServer().start()
    try:
        yield RedisTallyStore(server.url)
    finally:
        server.stop()


def test_the_store_keeps_a_request_whole_or_not_at_all(store):
    assert store.add("c", "t", [(1, 10), (2, 20)]).accepted == 2
    again = store.add("c", "t", [(2, 20), (3, 30), (3, 30)])
    assert (again.accepted, again.duplicates) == (1, 2)
    with pytest.raises(Conflict) as caught:
        store.add("c", "t", [(4, 40), (1, 11)])  # the second conflicts: the first is not kept either
    assert caught.value.index == 1
    assert store.samples("c", "t") == [(1, 10), (2, 20), (3, 30)]
    version, _ = store.version("c", "t")
    with pinned_clock(dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)):
        assert store.remove("c", "t", 2) and not store.remove("c", "t", 2)
    assert store.version("c", "t") == (version + 1, 1893553445000)  # the last write, to the millisecond
    assert store.samples("c", "t") == [(1, 10), (3, 30)]
    assert store.tallies() == [("c", "t", 2, 3)]
    assert store.summary_samples("c", "t", [1]) == (2, [(1, 10), (3, 30)])  # the earliest, and the window's
    store.add("c", "t", [(5_000 + n, n) for n in range(1_000)])  # a batch of a thousand
    count, rows = store.summary_samples("c", "t", [10, 100])
    # The earliest, the earliest of each window ending at the latest, and the latest: nothing else.
    assert (count, rows) == (1_002, [(1, 10), (5_899, 899), (5_989, 989), (5_999, 999)])
    assert store.version("other", "t") == (0, 0) and store.samples("other", "t") == []


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
    assert len(stores[0].samples("c", "t")) == 400 and stores[1].version("c", "t")[0] == 400


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


def test_a_stored_sample_shows_within_half_a_second_and_the_store_going_away_is_said(make_app, tmp_path):
    app = make_app(ONGOING, VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3"))
    client = app.test_client()
    path = "/api/v1/counters/shutdown/tallies/calls?lang=en"
    first = client.get(path)
    assert (
        first.get_json()["value"] == 12
        and first.headers["Cache-Control"] == "public, max-age=60, s-maxage=60, stale-while-revalidate=60"
    )
    store = app.extensions["voipdown"].tally_store
    time.sleep(1)  # a write a second after the timeline's edit, which is the Last-Modified until then
    written = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    with pinned_clock(written):
        store.add("shutdown", "calls", [(to_ms(T0), 40), (to_ms(T0 + dt.timedelta(minutes=1)), 46)])
    time.sleep(VERSION_TTL)  # the longest a worker trusts the version it read
    second = client.get(path)
    body = second.get_json()  # never replayed: the push shows as soon as the version is read again
    assert (body["value"], body["rate_per_minute"], body["message"]) == (46, 6.0, "46 people")
    assert second.headers["Last-Modified"] == format_datetime(written, usegmt=True)  # the store's last write
    assert second.headers["ETag"] != first.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": second.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    (tmp_path / "t.sqlite3").unlink()
    (tmp_path / "t.sqlite3").mkdir()  # the store cannot be opened any more
    store._local.connection = None
    time.sleep(VERSION_TTL)
    answer = client.get(path)
    down = answer.get_json()
    assert down["value"] == 46 and "unavailable" in down["store"]  # the last values this worker saw
    assert "max-age=5," in answer.headers["Cache-Control"]  # and kept only a moment
    badge = client.get("/badge/shutdown/calls.svg?lang=en")
    assert b"46 people" in badge.data and "max-age=5," in badge.headers["Cache-Control"]


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
    time.sleep(VERSION_TTL)
    again = client.get("/badge/shutdown/calls.svg?lang=en")  # never replayed: the push shows
    assert ElementTree.fromstring(again.data).get("aria-label") == "Calls reported: 1,234 people"
    png = client.get("/badge/shutdown/calls.png?lang=ar&scale=1")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    missing = client.get("/badge/shutdown/nothing.svg")
    assert missing.status_code == 404 and missing.mimetype == "image/svg+xml"
    moved = client.get("/badge/old-shutdown/calls.svg?lang=en&x=<b>")
    assert moved.status_code == 301 and moved.headers["Location"] == "/badge/shutdown/calls.svg?lang=en"


def test_the_campaign_page_shows_its_tallies_with_their_caveats(make_app):
    client = make_app(None).test_client()
    page = client.get("/voip-ma?lang=zgh").get_data(as_text=True)
    section = page[page.index('id="tallies"') :]
    for name in ("maroc-telecom", "meditel", "inwi"):
        assert f'src="/chart/voip-ma/{name}.svg?lang=zgh"' in section
        assert f'href="/voip-ma/tallies/{name}?lang=zgh"' in section
    assert "+27" in section and "ⴰⵙⵏⴼⵍ ⵙⴳ" in section  # the change since the first sample, in Tamazight
    assert '<p class="caveat" lang="fr" dir="auto">' in section  # no Tamazight note yet: the French, marked
    assert "Médias 24" in section and "ⴰⵎⵣⵔⵓⵢ" in section  # its sources; closed: history only
    english = client.get("/voip-ma?lang=en").get_data(as_text=True)
    assert "Pages can buy likes" in english and "27,000 likes lost" in english


def test_a_tally_page_pages_its_samples_newest_first(make_app, tmp_path):
    app = make_app(ONGOING, VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3"))
    app.extensions["voipdown"].tally_store.add("shutdown", "calls", [(ms(n), 100 + n) for n in range(120)])
    client = app.test_client()
    first = client.get("/shutdown/tallies/calls?lang=en")
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and "Samples, page 1 of 3" in html
    assert first.headers["Cache-Control"] == "public, max-age=60, s-maxage=60, stale-while-revalidate=60"
    assert html.count("<tr><td>") == 50 and html.index(">219<") < html.index(">218<")  # newest first
    assert 'href="/shutdown/tallies/calls?lang=en&amp;page=2" rel="next"' in html
    last = client.get("/shutdown/tallies/calls?lang=en&page=3").get_data(as_text=True)
    assert last.count("<tr><td>") == 21 and "Campaign newsletter" in last and 'rel="prev"' in last
    assert 'src="/chart/shutdown/calls.svg?lang=en&amp;size=large"' in html
    for bad in ("4", "0", "x", "1.5"):
        refused = client.get(f"/shutdown/tallies/calls?page={bad}")
        assert refused.status_code == 400 and refused.mimetype == "text/html", bad
    assert client.get("/shutdown/tallies/nothing").status_code == 404
    moved = client.get("/old-shutdown/tallies/calls?page=2")
    assert moved.status_code == 301 and moved.headers["Location"] == "/shutdown/tallies/calls?page=2"


def test_a_page_with_an_open_tally_lives_no_longer_than_its_interval(make_app):
    client = make_app(ONGOING).test_client()
    page = client.get("/shutdown")
    assert page.headers["Cache-Control"].startswith("public, max-age=")
    seconds = int(page.headers["Cache-Control"].split("max-age=")[1].split(",")[0])
    assert seconds <= 60 and "stale-while-revalidate=60" in page.headers["Cache-Control"]
    replay = client.application.extensions["voipdown_replay"]
    assert not any(key.startswith("/shutdown?") for key in replay._entries)  # never replayed
    client.get("/lifted")
    assert any(key.startswith("/lifted?") for key in replay._entries)  # a page without a live tally is


def test_tally_answers_are_replayed_for_half_a_second_and_forgotten_at_a_push(make_app, tmp_path):
    from tests.timelines import CALLS_TOKEN

    app = make_app(ONGOING, VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3"))
    client = app.test_client()
    paths = ["/api/v1/counters/shutdown/tallies/calls?lang=en", "/badge/shutdown/calls.svg?lang=en"]
    first = [client.get(path) for path in paths]
    replay = app.extensions["voipdown_replay"]
    assert all(any(key.startswith(path.split("?")[0] + "?") for key in replay._entries) for path in paths)
    # Another worker's push (straight into the store): this worker replays what it had, as it
    # would have drawn it (it reads the version that seldom), with the same headers...
    app.extensions["voipdown"].tally_store.add("shutdown", "calls", [(ms(0), 40)])
    again = client.get(paths[0])
    assert again.get_json()["value"] == 12 and again.headers["Cache-Control"] == first[0].headers["Cache-Control"]
    assert client.get(paths[0], headers={"If-None-Match": first[0].headers["ETag"]}).status_code == 304
    time.sleep(VERSION_TTL)  # ...for half a second at most
    assert client.get(paths[0]).get_json()["value"] == 40
    # A push this worker takes shows at once: its replayed tally answers are forgotten.
    client.get(paths[1])
    pushed = client.post(
        "/api/v1/counters/shutdown/tallies/calls/samples",
        json={"value": 55},
        headers={"Authorization": f"Bearer {CALLS_TOKEN}"},
    )
    assert pushed.status_code == 201
    assert client.get(paths[0]).get_json()["value"] == 55
    assert b"55 people" in client.get(paths[1]).data
