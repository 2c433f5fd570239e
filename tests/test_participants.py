"""Discovering participating sites: host names only, batched, in SQLite or Redis, never in the way."""

import datetime as dt

import pytest
from click.testing import CliRunner

from tests.servers import RedisServer, get, serving
from voipdown.cli import cli
from voipdown.participants import Limits, Recorder, RedisStore, Sighting, SqliteStore, host_of

T0 = dt.datetime(2026, 11, 1, 12, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    "header, host",
    [
        ("https://blog.example.ma/2016/01/post.html?utm=x#top", "blog.example.ma"),
        ("https://WWW.Lgeek.Info", "www.lgeek.info"),
        ("https://blog.example.test/", None),  # reserved test domain
        ("https://مثال.ma/page", "xn--mgbh0fb.ma"),
        ("https://192.168.1.20/x", None),
        ("http://[2001:db8::1]/", None),
        ("https://localhost:8000/", None),
        ("file:///home/user/page.html", None),
        ("javascript:alert(1)", None),
        ("https://<script>.ma/", None),
        ("https://a..b.ma/", None),
        ("null", None),
        ("", None),
        (None, None),
        ("https://" + "a" * 300 + ".ma/", None),
    ],
)
def test_host_of(header, host):
    assert host_of(header) == host


def test_sqlite_store_upserts_batches(tmp_path):
    store = SqliteStore(tmp_path / "sub" / "participants.sqlite3")
    recorder = Recorder(store)
    for minute in range(3):
        recorder.record("blog.example.ma", T0 + dt.timedelta(minutes=minute))
    recorder.record("news.example.ma", T0)
    recorder.flush()
    recorder.record("blog.example.ma", T0 + dt.timedelta(days=2))
    recorder.flush()
    found = {s.host: s for s in store.sightings()}
    assert found["blog.example.ma"].count == 4
    assert found["blog.example.ma"].first_seen == T0
    assert found["blog.example.ma"].last_seen == T0 + dt.timedelta(days=2)
    assert [s.host for s in store.sightings(since=T0 + dt.timedelta(days=1))] == ["blog.example.ma"]


@pytest.fixture
def discovering(make_app, ongoing_path, tmp_path):

    store = tmp_path / "participants.sqlite3"
    app = make_app(ongoing_path, VOIPDOWN_STORE=str(store), VOIPDOWN_PUBLIC_URL="https://count.example.org")
    return app, SqliteStore(store)


def test_badge_and_embed_requests_note_the_site_only(discovering):
    app, store = discovering
    client = app.test_client()
    client.get("/badge/shutdown.svg", headers={"Referer": "https://blog.example.ma/2024/03/secret-post.html?user=42"})
    client.get("/embed/shutdown.js", headers={"Referer": "https://blog.example.ma/"})
    client.get("/embed/shutdown/frame", headers={"Origin": "https://forum.example.dz"})
    client.get("/badge/shutdown.png", headers={"Referer": "https://count.example.org/shutdown"})  # ourselves
    client.get("/badge/shutdown.png")  # no referrer
    client.get("/api/v1/counters/shutdown", headers={"Referer": "https://api-user.example.ma/"})  # JSON: not noted
    app.extensions["voipdown"].recorder.flush()
    found = {s.host: s.count for s in store.sightings()}
    assert found == {"blog.example.ma": 2, "forum.example.dz": 1}
    raw = store.path.read_bytes()
    assert b"secret-post" not in raw and b"user=42" not in raw and b"127.0.0.1" not in raw


def test_discovered_sites_are_never_shown_publicly(discovering):
    app, _ = discovering
    client = app.test_client()
    client.get("/badge/shutdown.svg", headers={"Referer": "https://spam.example.ma/"})
    app.extensions["voipdown"].recorder.flush()
    for path in ("/shutdown", "/shutdown/feed.atom", "/api/v1/counters/shutdown", "/embed/shutdown.js", "/healthz"):
        assert b"spam.example.ma" not in client.get(path).data


def test_discovery_can_be_switched_off(make_app, ongoing_path, tmp_path):

    store = tmp_path / "off.sqlite3"
    app = make_app(ongoing_path, VOIPDOWN_STORE=str(store), VOIPDOWN_DISCOVERY="off")
    app.test_client().get("/badge/shutdown.svg", headers={"Referer": "https://blog.example.ma/"})
    assert app.extensions["voipdown"].recorder is None and not store.exists()
    assert app.test_client().get("/healthz").get_json()["participants"] == "off"


def test_broken_store_only_degrades(make_app, ongoing_path, tmp_path):

    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the store's directory should be")
    app = make_app(ongoing_path, VOIPDOWN_STORE=str(blocker / "participants.sqlite3"))
    client = app.test_client()
    response = client.get("/badge/shutdown.svg", headers={"Referer": "https://blog.example.ma/"})
    assert response.status_code == 200
    app.extensions["voipdown"].recorder.flush()
    health = client.get("/healthz").get_json()
    assert health["status"] == "degraded" and health["participants"] == "error"
    assert client.get("/badge/shutdown.png", headers={"Referer": "https://blog.example.ma/"}).status_code == 200


def test_redis_store_survives_a_restart(make_app, ongoing_path):

    server = RedisServer().start()
    try:
        app = make_app(ongoing_path, VOIPDOWN_REDIS_URL=server.url)
        client = app.test_client()
        recorder = app.extensions["voipdown"].recorder
        assert isinstance(recorder.store, RedisStore)
        client.get("/badge/shutdown.svg", headers={"Referer": "https://blog.example.ma/"})
        recorder.flush()
        assert [(s.host, s.count) for s in recorder.store.sightings()] == [("blog.example.ma", 1)]

        server.stop()  # Redis goes away: requests still succeed, health says why
        assert client.get("/badge/shutdown.svg", headers={"Referer": "https://blog.example.ma/"}).status_code == 200
        recorder.flush()
        assert client.get("/healthz").get_json()["participants"] == "error"

        server.start()  # back, but empty (no persistence): the pending sighting is written
        recorder.flush()
        assert client.get("/healthz").get_json()["participants"] == "ok"
        assert [(s.host, s.count) for s in recorder.store.sightings()] == [("blog.example.ma", 1)]
    finally:
        server.stop()


def test_cli_lists_new_sites_only(tmp_path):
    store_path = tmp_path / "p.sqlite3"
    recorder = Recorder(SqliteStore(store_path))
    recorder.record("jobfinder.ma", T0)  # listed in the bundled timeline (as http://jobfinder.ma)
    recorder.record("www.genious.ma", T0)  # listed as http://genious.ma
    recorder.record("new-blog.example.ma", T0)
    recorder.record("old-blog.example.ma", T0 - dt.timedelta(days=400))
    recorder.flush()
    env = {"VOIPDOWN_STORE": str(store_path)}
    result = CliRunner().invoke(cli, ["participants"], env=env)
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "host\tdays seen\tfirst seen\tlast seen\trequests"
    assert sorted(line.split("\t")[0] for line in lines[1:]) == ["new-blog.example.ma", "old-blog.example.ma"]
    recent = CliRunner().invoke(cli, ["participants", "--since", "2026-01-01"], env=env)
    assert [line.split("\t")[0] for line in recent.output.strip().splitlines()[1:]] == ["new-blog.example.ma"]


def test_cli_imports_an_nginx_site_log(tmp_path):
    log = tmp_path / "voipdown-sites.log"
    log.write_text(
        "2026-11-20T10:00:00+00:00 blog.example.ma\n"
        "2026-11-21T10:00:00+00:00 blog.example.ma\n"
        "2026-11-21T11:00:00+00:00 192.168.1.4\n"  # an address, not a site: skipped
        "garbage line\n"
        "2026-11-22T09:00:00+01:00 forum.example.dz\n",
        encoding="utf-8",
    )
    env = {"VOIPDOWN_STORE": str(tmp_path / "p.sqlite3")}
    result = CliRunner().invoke(cli, ["participants", "--import", str(log)], env=env)
    assert result.exit_code == 0, result.output
    assert "imported 3 sighting(s)" in result.stderr
    rows = {line.split("\t")[0]: line.split("\t") for line in result.stdout.strip().splitlines()[1:]}
    assert set(rows) == {"blog.example.ma", "forum.example.dz"}
    assert rows["blog.example.ma"][1:] == ["2", "2026-11-20", "2026-11-21", "2"]  # two days, two requests
    assert rows["forum.example.dz"][1:] == ["1", "2026-11-22", "2026-11-22", "1"]  # 09:00+01:00 is 08:00 UTC


def test_the_pending_sightings_are_bounded_and_the_overflow_reported(discovering, monkeypatch):
    from voipdown import participants

    monkeypatch.setattr(participants, "MAX_PENDING_HOSTS", 3)
    app, store = discovering
    client = app.test_client()
    for n in range(5):
        client.get("/badge/shutdown.svg", headers={"Referer": f"https://site{n}.example.ma/"})
    client.get("/badge/shutdown.svg", headers={"Referer": "https://site0.example.ma/"})  # known: still counted
    health = client.get("/healthz").get_json()
    assert health["participants_dropped"] == 2
    app.extensions["voipdown"].recorder.flush()
    assert {s.host: s.count for s in store.sightings()} == {
        "site0.example.ma": 2,
        "site1.example.ma": 1,
        "site2.example.ma": 1,
    }


def test_a_stopping_worker_writes_what_it_saw(tmp_path):
    """`voipdown serve` stopped less than a batch interval after a sighting: the worker writes
    it on its way out (granian's workers run multiprocessing's finalizers, not atexit)."""
    with serving({"XDG_STATE_HOME": str(tmp_path)}, workers=1) as (base, _):
        assert get(base + "/badge/voip-ma.svg", {"Referer": "https://blog.example.ma/p"})[0] == 200
    sightings = SqliteStore(tmp_path / "voipdown" / "participants.sqlite3").sightings()
    assert [(s.host, s.count) for s in sightings] == [("blog.example.ma", 1)]


@pytest.fixture(params=["sqlite", "redis"])
def bounded(request, tmp_path):
    """Each participants store, made with given limits."""
    if request.param == "sqlite":
        yield lambda limits: SqliteStore(tmp_path / "p.sqlite3", limits)
        return
    server = RedisServer().start()
    try:
        yield lambda limits: RedisStore(server.url, limits)
    finally:
        server.stop()


def seen(host: str, when: dt.datetime, count: int = 1) -> dict:
    return {host: Sighting(host, when, when, count)}


def test_at_most_so_many_new_hosts_an_hour_and_known_ones_always_counted(bounded):
    store = bounded(Limits(hosts=1_000, new_per_hour=5))
    store.save(seen("blog.example.ma", T0))
    batch = {f"made-up-{n}.example.ma": Sighting(f"made-up-{n}.example.ma", T0, T0, 1) for n in range(20)}
    batch |= seen("blog.example.ma", T0 + dt.timedelta(minutes=1), 3)
    assert store.save(batch) == 16  # 1 new was taken before, 4 more this hour; 16 are not kept
    hosts = {s.host: s for s in store.sightings()}
    assert len(hosts) == 5 and hosts["blog.example.ma"].count == 4
    assert store.save(seen("another.example.ma", T0 + dt.timedelta(minutes=30))) == 1
    assert store.save(seen("another.example.ma", T0 + dt.timedelta(minutes=61))) == 0  # an hour after the first
    assert "another.example.ma" in {s.host for s in store.sightings()}


def test_a_full_store_drops_the_least_useful_and_keeps_sites_seen_on_many_days(bounded):
    """An attacker sends made-up Referer hosts for days: the store never holds more than its
    cap, and the sites seen day after day stay, listed first."""
    store = bounded(Limits(hosts=20, new_per_hour=100))
    for day in range(5):
        for host in ("blog.example.ma", "forum.example.dz"):
            store.save(seen(host, T0 + dt.timedelta(days=day)))
    store.save(seen("once.example.ma", T0))
    for hour in range(48):
        instant = T0 + dt.timedelta(days=5, hours=hour)
        store.save(
            {f"x{hour}-{n}.example.ma": Sighting(f"x{hour}-{n}.example.ma", instant, instant, 50) for n in range(30)}
        )
        store.save(seen("blog.example.ma", instant))
    found = store.sightings()
    assert len(found) == 20
    assert [(s.host, s.days) for s in found[:2]] == [
        ("blog.example.ma", 8),
        ("forum.example.dz", 5),
    ]
    assert "once.example.ma" not in {s.host for s in found}  # one day, long unseen: among the first to go
    assert all(s.host.startswith("x47-") for s in found[2:])  # the newest of the made-up ones


def test_the_days_a_site_was_seen_are_counted_across_batches_and_within_one(bounded):
    store = bounded(Limits())
    recorder = Recorder(store)
    for hours in (0, 1, 30, 50):  # days 1, 1, 2 and 3 in one batch
        recorder.record("blog.example.ma", T0 + dt.timedelta(hours=hours))
    recorder.flush()
    recorder.record("blog.example.ma", T0 + dt.timedelta(hours=51))  # the same day as the last
    recorder.flush()
    recorder.record("blog.example.ma", T0 + dt.timedelta(days=4))
    recorder.flush()
    (site,) = store.sightings()
    assert (site.days, site.count) == (4, 6)


def test_random_referers_through_the_app_fill_the_store_only_to_its_cap(make_app, ongoing_path, tmp_path):
    import random

    store = tmp_path / "participants.sqlite3"
    app = make_app(
        ongoing_path, VOIPDOWN_STORE=str(store), VOIPDOWN_PARTICIPANTS_MAX=50, VOIPDOWN_PARTICIPANTS_NEW_PER_HOUR=30
    )
    client = app.test_client()
    recorder = app.extensions["voipdown"].recorder
    rng = random.Random(1)
    for n in range(400):
        host = f"{rng.getrandbits(40):x}.example.ma"
        client.get("/badge/shutdown.svg", headers={"Referer": f"https://{host}/"})
        if n % 100 == 99:
            recorder.flush()
    recorder.flush()
    assert len(SqliteStore(store).sightings()) == 30 and recorder.dropped == 370
    assert client.get("/healthz").get_json()["participants_dropped"] == 370
