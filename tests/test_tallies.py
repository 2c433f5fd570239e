"""Tallies: the series, the summary (change, rates, staleness), the store and the tokens."""

import datetime as dt
import os
import threading
from email.utils import format_datetime

import pytest

from tests.servers import RedisServer
from tests.timelines import ONGOING
from voipdown.clock import pinned_clock
from voipdown.tallies.model import Point, StoredSample, from_ms, shown, to_ms
from voipdown.tallies.reader import VERSION_TTL, TallyReader
from voipdown.tallies.series import RATE_WINDOWS, downsample, merged, summarize
from voipdown.tallies.store.protocol import (
    Conflict,
    Lease,
    StoredSummary,
    StoredTally,
    StoreUnavailable,
    TallyStore,
    Version,
)
from voipdown.tallies.store.redis import RedisTallyStore
from voipdown.tallies.store.sqlite import SqliteTallyStore
from voipdown.tallies.tokens import new_token, token_matches, token_sha256
from voipdown.timeline import parse_timeline
from voipdown.web.tally_answers import SETTLED

UTC = dt.timezone.utc
PUBLIC = "https://counter.example"
"""A service behind a shared cache knows its address: its answers with links are public."""
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
    return timeline.counters["shutdown"].tallies["petition"]


def ms(minutes: float) -> int:
    return to_ms(T0 + dt.timedelta(minutes=minutes))


def samples(*pairs) -> list[StoredSample]:
    return [StoredSample(at_ms, value) for at_ms, value in pairs]


WINDOWS = [seconds * 1000 for seconds in RATE_WINDOWS.values()]


def test_one_series_of_historical_and_pushed_samples():
    tally = petition()
    points = merged(tally, samples((ms(0), 500), (ms(1), 560)))
    assert [(shown(p.at), p.value, p.precision) for p in points] == [
        ("2024-03-02", 100, "day"),
        ("2026-11-23T12:00:00.000Z", 500, "instant"),
        ("2026-11-23T12:01:00.000Z", 560, "instant"),
    ]
    # A date is the start of that day in the counter's zone (Casablanca: UTC+1 then), for ordering only.
    assert points[0].instant == dt.datetime(2024, 3, 1, 23, tzinfo=UTC)
    assert tally.timezone == "Africa/Casablanca" and tally.key == ("shutdown", "petition")


def test_change_rates_and_staleness_from_the_summary_query(tmp_path):
    tally = petition()
    store = SqliteTallyStore(tmp_path / "t.sqlite3")
    # Many samples between the ones a summary needs: the figures come from the query's rows alone.
    store.add(*tally.key, samples((ms(0), 500), (ms(2), 620), *((ms(3 + n / 100), 700) for n in range(2_000))))
    store.add(*tally.key, samples((ms(30), 1_000), (ms(31.5), 1_090)))
    stored = store.summary(*tally.key, WINDOWS)
    summary = summarize(tally, stored, now=T0 + dt.timedelta(minutes=32))
    assert summary.latest.value == 1_090 and summary.change == 990 and summary.samples == 2_005
    assert summary.earliest.at == dt.date(2024, 3, 2)  # the timeline's
    assert summary.rate_per_minute == 60.0  # from 1,000 at 30:00 to 1,090 at 31:30
    assert summary.rate_per_hour == round((1_090 - 500) * 3600 / (31.5 * 60), 1)  # the hour's earliest: 12:00
    assert not summary.stale
    assert summarize(tally, stored, now=T0 + dt.timedelta(minutes=35)).stale  # > 3 intervals
    nothing = StoredSummary(0, None, None, (None, None))
    alone = summarize(tally, nothing, now=T0)
    assert alone.rate_per_minute is None and alone.rate_per_hour is None and alone.change == 0
    falling = StoredSummary(2, StoredSample(ms(0), 500), StoredSample(ms(1), 440), (StoredSample(ms(0), 500),) * 2)
    assert summarize(tally, falling, now=T0).rate_per_minute == -60.0


def test_a_closed_tally_is_never_stale():
    closed = parse_timeline((ONGOING + (PETITION % "x").replace('token_sha256 = "x"\n', "")).encode())
    tally = closed.counters["shutdown"].tallies["petition"]
    assert tally.closed and not summarize(tally, StoredSummary(0, None, None, (None, None)), now=T0).stale


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path):
    """Each tally store, the same promises: SQLite (one host), Redis (several)."""
    if request.param == "sqlite":
        yield SqliteTallyStore(tmp_path / "t.sqlite3")
        return
    server = RedisServer().start()
    try:
        yield RedisTallyStore(server.url)
    finally:
        server.stop()


def test_the_store_keeps_a_request_whole_or_not_at_all(store: TallyStore):
    assert store.add("c", "t", samples((1, 10), (2, 20))).accepted == 2
    again = store.add("c", "t", samples((2, 20), (3, 30), (3, 30)))
    assert (again.accepted, again.duplicates) == (1, 2)
    with pytest.raises(Conflict) as caught:
        store.add("c", "t", samples((4, 40), (1, 11)))  # the second conflicts: the first is not kept either
    assert caught.value.index == 1
    assert store.window("c", "t", None, None, 100) == samples((1, 10), (2, 20), (3, 30))
    version = store.version("c", "t")
    assert version.samples == 3
    with pinned_clock(dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)):
        assert store.remove("c", "t", 2) and not store.remove("c", "t", 2)
    assert store.version("c", "t") == Version(version.number + 1, 1893553445000, 2)  # the last write, to the ms
    assert store.window("c", "t", None, None, 100) == samples((1, 10), (3, 30))
    assert store.tallies() == [StoredTally("c", "t", 2, 3)]
    assert store.version("other", "t") == Version(0, 0, 0) and store.window("other", "t", None, None, 9) == []


def test_every_store_query_answers_what_it_documents(store: TallyStore):
    store.add("c", "t", samples(*((5_000 + n, n) for n in range(1_000))))
    store.add("c", "t", samples((1, 10)))
    summary = store.summary("c", "t", [10, 100])
    # The earliest, the latest, and the earliest of each window ending at the latest: nothing else.
    assert summary == StoredSummary(
        1_001, StoredSample(1, 10), StoredSample(5_999, 999), tuple(samples((5_989, 989), (5_899, 899)))
    )
    # Windows end at the timeline's latest sample when it is later than the store's.
    assert store.summary("c", "t", [10], reference_ms=6_005).window_earliest == (StoredSample(5_995, 995),)
    assert store.window("c", "t", 5_010, 5_013, 100) == samples((5_010, 10), (5_011, 11), (5_012, 12), (5_013, 13))
    assert store.window("c", "t", 5_010, None, 2) == samples((5_010, 10), (5_011, 11))  # the limit, from the start
    assert store.newest("c", "t", 0, 2) == samples((5_999, 999), (5_998, 998))
    assert store.newest("c", "t", 999, 5) == samples((5_000, 0), (1, 10))
    assert store.count("c", "t", 5_001) == 3 and store.count("c", "t", 0) == 0
    empty = store.summary("other", "t", [10, 100])
    assert empty == StoredSummary(0, None, None, (None, None))


def test_one_lease_per_interval_and_the_collecting_state_kept_with_the_sample(store: TallyStore):
    """The lease of an interval has one taker; a later one is anyone's, an earlier one no
    one's. The collecting state is written with the sample (one write: the version moves
    once), or alone after a failure (the version moves too, so that readers see it)."""
    far = 2**62

    def claim(*leases: tuple[str, int], holder: str = "a") -> list[bool]:
        return store.claim([Lease("c" if key == "t" else key, "t", interval, far) for key, interval in leases], holder)

    assert claim(("t", 10)) == [True] and claim(("t", 10), holder="b") == [False]
    assert claim(("t", 9), holder="b") == [False]  # an earlier one: no one's any more
    assert claim(("t", 11), ("other", 10), holder="b") == [True, True]  # in one write
    assert claim(("t", 11), ("other", 10)) == [False, False]  # none free: no write at all
    assert store.collectors([("c", "t")])[0] is None
    store.add("c", "t", samples((1, 10)), collector='{"state": 1}')
    assert store.collectors([("c", "t")])[0] == '{"state": 1}' and store.version("c", "t").number == 1
    store.set_collector("c", "t", '{"state": 2}')
    assert store.collectors([("c", "t")])[0] == '{"state": 2}'
    assert store.version("c", "t") == Version(2, store.version("c", "t").changed_ms, 1)
    with pytest.raises(Conflict):
        store.add("c", "t", samples((1, 11)), collector='{"state": 3}')
    assert store.collectors([("c", "t")])[0] == '{"state": 2}'  # whole or not at all: the state too


def test_a_burst_of_workers_claiming_at_once_gives_each_lease_one_taker(store: TallyStore):
    """Eight workers (each its own connection to the store) claim the same twenty leases at
    the same instant, interval after interval: every lease is won exactly once."""
    import threading

    store.open()
    workers = [type(store)(store.path) for _ in range(8)]  # the path names a Redis server too
    barrier = threading.Barrier(len(workers))
    won: list[list[bool]] = [[] for _ in workers]

    def claim(n: int) -> None:
        for interval in range(5):
            leases = [Lease("c", f"t{k}", interval, 2**62) for k in range(20)]
            barrier.wait()
            won[n].extend(workers[n].claim(leases, f"worker-{n}"))

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [sum(column) for column in zip(*won, strict=True)] == [1] * 100


def test_a_store_made_before_counts_were_kept_counts_them_once(tmp_path):
    """A file from before the `samples` column: opened, it gains the column, filled."""
    import sqlite3

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as old:
        old.execute(
            "CREATE TABLE samples (counter TEXT NOT NULL, tally TEXT NOT NULL, at_ms INTEGER NOT NULL,"
            " value INTEGER NOT NULL, PRIMARY KEY (counter, tally, at_ms)) WITHOUT ROWID"
        )
        old.execute(
            "CREATE TABLE versions (counter TEXT NOT NULL, tally TEXT NOT NULL, version INTEGER NOT NULL,"
            " PRIMARY KEY (counter, tally))"
        )
        old.executemany("INSERT INTO samples VALUES ('c', 't', ?, ?)", [(n, n) for n in range(7)])
        old.execute("INSERT INTO versions VALUES ('c', 't', 3)")
    store = SqliteTallyStore(path)
    assert store.version("c", "t") == Version(3, 0, 7)
    store.add("c", "t", samples((100, 1)))
    assert store.version("c", "t").samples == 8


def test_the_store_from_many_threads_and_two_handles(tmp_path):
    """Eight threads, two handles (as two workers would), on a file none has opened yet:
    switching it to WAL at once must not fail a push."""
    stores = [SqliteTallyStore(tmp_path / "t.sqlite3"), SqliteTallyStore(tmp_path / "t.sqlite3")]

    def push(n: int) -> None:
        for k in range(50):
            stores[n % 2].add("c", "t", samples((n * 1000 + k, k)))

    threads = [threading.Thread(target=push, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(stores[0].window("c", "t", None, None, 10_000)) == 400 and stores[1].version("c", "t") == Version(
        400, stores[1].version("c", "t").changed_ms, 400
    )


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


def later(seconds: float) -> dt.datetime:
    """An instant `seconds` from now: where a test travels the service's clock instead of sleeping."""
    return dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds)


def store_of(app) -> TallyStore:
    return app.extensions["voipdown"].tallies.store


def test_a_stored_sample_shows_within_half_a_second(make_app, tmp_path):
    app = make_app(ONGOING, VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3"), VOIPDOWN_PUBLIC_URL=PUBLIC)
    client = app.test_client()
    path = "/api/v1/counters/shutdown/tallies/calls?lang=en"
    first = client.get(path)
    assert (
        first.get_json()["value"] == 12
        and first.headers["Cache-Control"] == "public, max-age=60, s-maxage=60, stale-while-revalidate=60"
    )
    written = later(5).replace(microsecond=0)  # after the timeline's edit, the Last-Modified until then
    with pinned_clock(written):
        store_of(app).add("shutdown", "calls", samples((to_ms(T0), 40), (to_ms(T0 + dt.timedelta(minutes=1)), 46)))
        second = client.get(path)
    body = second.get_json()  # the version read again after VERSION_TTL (the reader's own test): the push shows
    assert (body["value"], body["rate_per_minute"], body["message"]) == (46, 6.0, "46 people")
    assert "Last-Modified" not in second.headers  # a change this recent has no date yet (the next test)
    assert second.headers["ETag"] != first.headers["ETag"]
    with pinned_clock(written + SETTLED):
        settled = client.get(path)
    assert settled.headers["Last-Modified"] == format_datetime(written, usegmt=True)  # the store's last write
    with pinned_clock(written):
        again = client.get(path, headers={"If-None-Match": second.headers["ETag"]})
    assert again.status_code == 304 and not again.data


def test_two_pushes_in_one_second_never_look_unchanged_to_if_modified_since(make_app, tmp_path):
    """HTTP dates count seconds: the second push of a second must not be answered 304 to a
    client that revalidates by date alone (after the first, or after what it saw before)."""
    app = make_app(ONGOING, VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3"))
    client = app.test_client()
    path = "/api/v1/counters/shutdown/tallies/calls?lang=en"
    second = later(10).replace(microsecond=100_000)
    with pinned_clock(second):
        store_of(app).add("shutdown", "calls", samples((ms(0), 40)))
        app.extensions["voipdown"].tallies.wrote(petition_of(app))  # as the pushing worker
        first = client.get(path)
    dated = first.headers.get("Last-Modified") or format_datetime(second.replace(microsecond=0), usegmt=True)
    with pinned_clock(second + dt.timedelta(milliseconds=600)):  # the same second
        store_of(app).add("shutdown", "calls", samples((ms(1), 41)))
        app.extensions["voipdown"].tallies.wrote(petition_of(app))
        again = client.get(path, headers={"If-Modified-Since": dated})
    assert again.status_code == 200 and again.get_json()["value"] == 41
    with pinned_clock(second + dt.timedelta(seconds=5)):  # settled: dated, and a 304 by date is right again
        settled = client.get(path)
        assert client.get(path, headers={"If-Modified-Since": settled.headers["Last-Modified"]}).status_code == 304


def petition_of(app):
    return app.extensions["voipdown"].timelines.snapshot().timeline.counters["shutdown"].tallies["calls"]


def test_the_reader_trusts_a_version_for_its_ttl_only_and_never_after_its_own_write(tmp_path):
    moments = iter([0.0, 0.1, 0.49, 0.5, 0.6, 0.6, 5.0])
    store = SqliteTallyStore(tmp_path / "t.sqlite3")
    tally = petition()
    reader = TallyReader(store, clock=lambda: next(moments))
    assert reader.seen(tally).version == 0  # 0.0: read
    store.add(*tally.key, samples((ms(0), 1)))  # another worker's push
    assert reader.seen(tally).version == 0  # 0.1: trusted
    assert reader.seen(tally).version == 0  # 0.49: still
    assert reader.seen(tally).version == 1  # 0.5: read again
    store.add(*tally.key, samples((ms(1), 2)))
    reader.wrote(tally)  # this worker's own push: the next read goes to the store
    stamp = reader.write_stamp
    assert reader.seen(tally).version == 2 and reader.write_stamp == stamp  # 0.6
    assert reader.seen(tally).version == 2  # 0.6: trusted again


def test_while_the_store_is_down_answers_say_so_and_live_a_moment(make_app):
    redis = RedisServer().start()
    try:
        app = make_app(ONGOING, VOIPDOWN_REDIS_URL=redis.url, VOIPDOWN_PUBLIC_URL=PUBLIC)
        client = app.test_client()
        store_of(app).add("shutdown", "calls", samples((ms(0), 40), (ms(1), 46)))
        path = "/api/v1/counters/shutdown/tallies/calls?lang=en"
        assert client.get(path).get_json()["value"] == 46
        client.get("/shutdown/tallies/calls?lang=en")
    finally:
        redis.stop()
    with pinned_clock(later(1)):
        answer = client.get(path)
        badge = client.get("/badge/shutdown/calls.svg?lang=en")
        page = client.get("/shutdown/tallies/calls?lang=en")
    down = answer.get_json()
    assert down["value"] == 46 and "unavailable" in down["store"]  # the last values this worker saw
    for response in (answer, badge, page):
        assert response.headers["Cache-Control"] == "public, max-age=5, s-maxage=5, stale-while-revalidate=5"
    assert b"46 people" in badge.data
    assert "The samples cannot be read just now" in page.get_data(as_text=True)


def test_downsampling_keeps_real_samples_and_the_shape():
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
    store_of(app).add("shutdown", "calls", samples(*((ms(n), 20 + n) for n in range(30))))
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
    assert csv.mimetype == "text/csv" and lines[:3] == [
        "at,value",
        "2024-03-01T23:00:00.000Z,12",  # the day 2024-03-02 begins at 00:00 in Casablanca, UTC+1
        "2026-11-23T12:00:00.000Z,20",
    ]
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
    store_of(app).add("shutdown", "calls", samples((ms(0), 1_234)))
    with pinned_clock(later(VERSION_TTL)):
        again = client.get("/badge/shutdown/calls.svg?lang=en")  # never replayed longer: the push shows
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
        assert f'src="chart/voip-ma/{name}.zgh.svg"' in section
        assert f'href="voip-ma/tallies/{name}.zgh.html"' in section
    assert "+27" in section and "ⴰⵙⵏⴼⵍ ⵙⴳ" in section  # the change since the first sample, in Tamazight
    assert '<p class="caveat" lang="fr" dir="auto">' in section  # no Tamazight note yet: the French, marked
    assert "Médias 24" in section and "ⴰⵎⵣⵔⵓⵢ" in section  # its sources; closed: history only
    english = client.get("/voip-ma?lang=en").get_data(as_text=True)
    assert "Pages can buy likes" in english and "27,000 likes lost" in english


def test_a_tally_page_pages_its_samples_newest_first(make_app, tmp_path):
    app = make_app(ONGOING, VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3"), VOIPDOWN_PUBLIC_URL=PUBLIC)
    store_of(app).add("shutdown", "calls", samples(*((ms(n), 100 + n) for n in range(120))))
    client = app.test_client()
    first = client.get("/shutdown/tallies/calls?lang=en")
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and "Samples, page 1 of 3" in html
    assert first.headers["Cache-Control"] == "public, max-age=60, s-maxage=60, stale-while-revalidate=60"
    assert html.count("<tr><td>") == 50 and html.index(">219<") < html.index(">218<")  # newest first
    assert 'href="calls.en.2.html" rel="next"' in html
    last = client.get("/shutdown/tallies/calls?lang=en&page=3").get_data(as_text=True)
    assert last.count("<tr><td>") == 21 and "Campaign newsletter" in last and 'rel="prev"' in last
    assert 'src="../../chart/shutdown/calls.en.large.svg"' in html
    second = client.get("/shutdown/tallies/calls.en.2.html").get_data(as_text=True)  # the path form
    assert second == client.get("/shutdown/tallies/calls?lang=en&page=2").get_data(as_text=True)
    assert 'href="calls.en.html" rel="prev"' in second and 'href="calls.en.3.html" rel="next"' in second
    for bad in ("4", "0", "x", "1.5"):
        refused = client.get(f"/shutdown/tallies/calls?page={bad}")
        assert refused.status_code == 400 and refused.mimetype == "text/html", bad
    assert client.get("/shutdown/tallies/nothing").status_code == 404
    moved = client.get("/old-shutdown/tallies/calls?page=2")
    assert moved.status_code == 301 and moved.headers["Location"] == "/shutdown/tallies/calls?page=2"


def test_a_page_with_an_open_tally_lives_no_longer_than_its_interval(make_app):
    client = make_app(ONGOING, VOIPDOWN_PUBLIC_URL=PUBLIC).test_client()
    page = client.get("/shutdown")
    assert page.headers["Cache-Control"].startswith("public, max-age=")
    seconds = int(page.headers["Cache-Control"].split("max-age=")[1].split(",")[0])
    assert seconds <= 60 and "stale-while-revalidate=60" in page.headers["Cache-Control"]
    replay = client.application.extensions["voipdown_replay"]
    assert not replay.keeps("/shutdown")  # never replayed
    client.get("/lifted")
    assert replay.keeps("/lifted")  # a page without a live tally is


def test_tally_answers_are_replayed_for_half_a_second_and_forgotten_at_a_push(make_app, tmp_path):
    from tests.timelines import CALLS_TOKEN

    app = make_app(ONGOING, VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3"))
    client = app.test_client()
    paths = ["/api/v1/counters/shutdown/tallies/calls?lang=en", "/badge/shutdown/calls.svg?lang=en"]
    first = [client.get(path) for path in paths]
    replay = app.extensions["voipdown_replay"]
    assert all(replay.keeps(path.split("?")[0]) for path in paths)
    # Another worker's push (straight into the store): this worker replays what it had, as it
    # would have drawn it (it reads the version that seldom), with the same headers...
    store_of(app).add("shutdown", "calls", samples((ms(0), 40)))
    again = client.get(paths[0])
    assert again.get_json()["value"] == 12 and again.headers["Cache-Control"] == first[0].headers["Cache-Control"]
    assert client.get(paths[0], headers={"If-None-Match": first[0].headers["ETag"]}).status_code == 304
    with pinned_clock(later(VERSION_TTL)):  # ...for half a second at most
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


def test_a_long_csv_is_streamed_whole_in_chunks_with_its_own_validator(make_app, tmp_path):
    from voipdown.tallies.reader import STREAM_CHUNK

    app = make_app(ONGOING, VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3"))
    count = 2 * STREAM_CHUNK + 7
    store_of(app).add("shutdown", "calls", samples(*((ms(n / 60), n) for n in range(count))))  # one a second
    client = app.test_client()
    path = "/api/v1/counters/shutdown/tallies/calls/samples.csv"
    response = client.get(path)
    assert "Content-Length" not in response.headers and response.headers["ETag"]  # streamed: no length known
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "at,value" and lines[1] == "2024-03-01T23:00:00.000Z,12" and len(lines) == 1 + 1 + count
    assert lines[-1] == f"{shown(from_ms(ms((count - 1) / 60)))},{count - 1}"
    assert [int(line.split(",")[1]) for line in lines[2:]] == list(range(count))  # in order, none twice
    assert client.get(path, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    window = client.get(path, query_string={"since": shown(from_ms(ms(10 / 60))), "until": shown(from_ms(ms(12 / 60)))})
    assert "Content-Length" in window.headers and window.get_data(as_text=True) == "at,value\n" + "".join(
        f"{shown(from_ms(ms(n / 60)))},{n}\n" for n in (10, 11, 12)
    )


@pytest.mark.parametrize("size", [1, 3, 50])
def test_every_page_is_the_whole_series_newest_first_cut_in_pages(store, size):
    """Stored samples on both sides of the timeline's own (2024-03-02), one at its very instant
    (hidden by it): each page the reader asks the store for is that slice of the whole series."""
    tally = petition()
    timeline_instant = to_ms(tally.instant_of(tally.samples[0].at))
    before = [(timeline_instant - 3_600_000 * n, n) for n in range(1, 5)]
    after = [(timeline_instant + 60_000 * n, 1_000 + n) for n in range(1, 120)]
    store.add(*tally.key, samples(*before, *after, (timeline_instant, 7)))
    whole = merged(tally, store.window(*tally.key, None, None, 10_000))[::-1]
    assert len(whole) == 4 + 119 + 1
    reader = TallyReader(store)
    pages = -(-len(whole) // size)
    for number in range(1, pages + 1):
        reading = reader.page(tally, number, size)
        assert list(reading.points) == whole[(number - 1) * size : number * size], number
    assert reader.page(tally, pages + 1, size).points == ()
    assert reading.count == reader.summary(tally, T0).summary.samples == len(whole)  # the hidden one not counted


def test_a_timeline_edit_shows_in_every_tally_answer_without_a_push(make_app, tmp_path):
    """The reader remembers its readings per store version; the timeline's own samples are part
    of them, so an edit of those (a corrected historical figure) must show at once too."""
    from tests.timelines import rewrite

    app = make_app(ONGOING, VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3"))
    store_of(app).add("shutdown", "calls", samples((ms(0), 40)))
    client = app.test_client()
    paths = {
        "json": "/api/v1/counters/shutdown/tallies/calls?lang=en",
        "samples": "/api/v1/counters/shutdown/tallies/calls/samples",
        "page": "/shutdown/tallies/calls?lang=en",
    }
    before = {name: client.get(path) for name, path in paths.items()}
    assert before["json"].get_json()["samples"] == 2 and b"Campaign newsletter" in before["page"].data
    rewrite(app.config["TIMELINE_PATH"], ONGOING.replace("value = 12\n", "value = 15\n"))
    with pinned_clock(later(1)):  # past the half second a tally answer is replayed
        after = {name: client.get(path) for name, path in paths.items()}
    assert after["json"].get_json()["change"] == 40 - 15
    assert [s["value"] for s in after["samples"].get_json()["samples"]][:1] == [15]
    assert b">15<" in after["page"].data and b">12<" not in after["page"].data


def test_while_one_long_read_runs_the_others_get_503_busy_and_counts_answer(make_app, tmp_path, monkeypatch):
    """A worker reads samples at a cost that grows with the tally in one thread at most: a CSV
    being sent (here: asked, not yet read) leaves every other such read a 503 with
    Retry-After in its own format, a window of samples, a CSV, a page of the table, a chart
    drawn afresh, while counts, badges and summaries answer; once it ends, they answer too."""
    from voipdown.tallies.reader import STREAM_CHUNK
    from voipdown.web import state

    monkeypatch.setitem(state.SHARES, "expensive", state.ShareSize(slots=1, queue=1, wait=0.05))
    app = make_app(ONGOING, VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3"))
    store_of(app).add("shutdown", "calls", samples(*((ms(n / 60), n) for n in range(2 * STREAM_CHUNK))))
    client = app.test_client()
    base = "/api/v1/counters/shutdown/tallies/calls"
    long_reads = [
        base + "/samples?points=10",
        base + "/samples.csv?since=2024-03-02T00:00:00Z",
        "/shutdown/tallies/calls?lang=fr&page=2",
        "/chart/shutdown/calls.svg?size=large",
        "/chart/shutdown/calls.png",
    ]
    sending = client.get(base + "/samples.csv")  # streamed: its slot is held until it is closed
    assert sending.status_code == 200 and sending.is_streamed
    try:
        for path in long_reads:
            busy = client.get(path)
            assert busy.status_code == 503, path
            assert busy.headers["Retry-After"] == "5" and busy.headers["Cache-Control"] == "no-store", path
        assert client.get(long_reads[0]).get_json()["error"]["code"] == "busy"
        assert client.get(long_reads[3]).mimetype == "image/svg+xml"
        for path in ("/badge/shutdown.svg", "/api/v1/counters/shutdown", base, "/badge/shutdown/calls.svg"):
            assert client.get(path).status_code == 200, path
    finally:
        sending.close()
    for path in long_reads:
        with client.get(path) as answer:  # a streamed answer holds its slot until it is closed
            assert answer.status_code == 200, path


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 5, 9, 50, 500])
def test_a_thinned_window_is_the_downsampled_window_read_as_columns(store, limit):
    """The samples route reads a window as two columns and makes points of the kept ones only:
    the same points, in the same order, as downsampling the whole window, the timeline's
    sample (and the stored one it hides) included, for every limit and window."""
    import random

    tally = petition()
    timeline_instant = to_ms(tally.instant_of(tally.samples[0].at))
    rng = random.Random(limit)
    stored = {timeline_instant + 60_000 * n: rng.randrange(0, 50) for n in range(-300, 300, 1)}  # ties in value
    store.add(*tally.key, samples(*stored.items()))
    reader = TallyReader(store)
    everything = merged(tally, store.window(*tally.key, None, None, 10_000))
    edges = [None, *(p.instant for p in rng.sample(everything, 6))]
    for since, until in [(None, None), *((rng.choice(edges), rng.choice(edges)) for _ in range(8))]:
        window = reader.window(tally, since, until)
        thinned = reader.thinned(tally, since, until, limit)
        assert list(thinned.points) == downsample(window.points, limit), (since, until)
        assert thinned.window_count == len(window.points) and thinned.count == window.count


def test_a_long_window_thinned_in_the_helper_process_is_the_same_as_here(tmp_path):
    """The helper (voipdown/tallies/offload.py) reads a long window through a read-only
    connection in another interpreter and thins it there: the same points as thinning it in
    the serving process, the timeline's sample and the stored one it hides included."""
    from voipdown.tallies.offload import Offload
    from voipdown.tallies.reader import LONG_READ_FROM

    tally = petition()
    store = SqliteTallyStore(tmp_path / "t.sqlite3")
    timeline_instant = to_ms(tally.instant_of(tally.samples[0].at))
    count = LONG_READ_FROM + 1_000
    store.add(*tally.key, samples(*((timeline_instant + 1_000 * (n - count // 2), n % 97) for n in range(count))))
    offload = Offload(store.path)
    try:
        far, here = TallyReader(store, offload=offload), TallyReader(store)
        for since, until, limit in [(None, None, 500), (None, None, 3), (from_ms(timeline_instant - 9_000), None, 40)]:
            there = far.thinned(tally, since, until, limit)
            assert there.points == here.thinned(tally, since, until, limit).points
            assert there.window_count == here.thinned(tally, since, until, limit).window_count
        assert any(point.source is not None for point in far.thinned(tally, None, None, 2_000).points)
        import multiprocessing
        import signal

        for helper in multiprocessing.active_children():  # killed: the read is made here, then a new helper
            os.kill(helper.pid, signal.SIGKILL)
            helper.join()
        for limit in (11, 12):
            assert far.thinned(tally, None, None, limit).points == here.thinned(tally, None, None, limit).points
        assert multiprocessing.active_children()
    finally:
        offload.close()


def test_the_helper_reads_only_and_never_makes_a_store_file(tmp_path):
    from voipdown.tallies.store.sqlite import read_only_columns

    missing = tmp_path / "gone.sqlite3"
    with pytest.raises(StoreUnavailable):
        read_only_columns(str(missing), "c", "t", None, None)
    assert not missing.exists()


def test_a_cold_helper_asked_by_many_threads_at_once_starts_once_and_answers_each(tmp_path):
    """The first long reads of a worker, from many threads at once: one helper process, and
    every answer the one the worker would have thinned itself."""
    import multiprocessing

    from tests.concurrency import hammer
    from voipdown.tallies.offload import Offload
    from voipdown.tallies.reader import LONG_READ_FROM

    tally = petition()
    store = SqliteTallyStore(tmp_path / "t.sqlite3")
    start = to_ms(tally.instant_of(tally.samples[0].at))
    store.add(*tally.key, samples(*((start + 1_000 * n, n % 89) for n in range(LONG_READ_FROM + 500))))
    offload = Offload(store.path)
    try:
        far, here = TallyReader(store, offload=offload), TallyReader(store)
        # Counted by pid: a helper of an earlier test's app may end meanwhile.
        before = {child.pid for child in multiprocessing.active_children()}

        def ask(n: int):
            return far.thinned(tally, from_ms(start + 7 * n), None, 30 + n).points

        answers = hammer(ask)
        assert all(
            points == here.thinned(tally, from_ms(start + 7 * n), None, 30 + n).points
            for n, points in enumerate(answers)
        )
        assert len({child.pid for child in multiprocessing.active_children()} - before) == 1
    finally:
        offload.close()


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux's idle scheduling class")
def test_the_helper_runs_only_on_a_core_nothing_else_wants(tmp_path):
    """A window's reading in the helper must never delay a serving thread: the helper is in
    Linux's idle scheduling class (at niceness 10 a window still cost the badges' slowest
    answers milliseconds, docs/benchmarks.md)."""
    import multiprocessing

    from voipdown.tallies.offload import Offload
    from voipdown.tallies.reader import LONG_READ_FROM

    tally = petition()
    store = SqliteTallyStore(tmp_path / "t.sqlite3")
    start = to_ms(tally.instant_of(tally.samples[0].at))
    store.add(*tally.key, samples(*((start + 1_000 * n, n % 89) for n in range(LONG_READ_FROM + 10))))
    before = {child.pid for child in multiprocessing.active_children()}
    offload = Offload(store.path)
    try:
        assert TallyReader(store, offload=offload).thinned(tally, None, None, 50).points
        (helper,) = {child.pid for child in multiprocessing.active_children()} - before
        assert os.sched_getscheduler(helper) == os.SCHED_IDLE
        assert os.sched_getscheduler(0) != os.SCHED_IDLE  # the caller keeps its class
    finally:
        offload.close()
