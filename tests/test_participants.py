"""Discovering participating sites: host names only, batched, in SQLite or Redis, never in the way."""

import datetime as dt

import pytest
from click.testing import CliRunner

from tests.servers import RedisServer, get, serving
from voipdown.cli import cli
from voipdown.participants import Recorder, RedisStore, SqliteStore, host_of

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
    assert lines[0] == "host\tfirst seen\tlast seen\trequests"
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
    assert rows["blog.example.ma"][1:] == ["2026-11-20", "2026-11-21", "2"]


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
