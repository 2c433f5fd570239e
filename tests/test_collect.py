"""Collecting a tally's number from its source: real local HTTP servers shaped like
e-petitions, Mastodon and GitHub, and hostile ones; one round at a time (the schedule
across workers and hosts is tests/test_collect_serve.py's)."""

import datetime as dt
import gzip
import json
import logging
import re
import time

import pytest

from tests.sources import Source, e_petition, github_repository, json_route, mastodon_account, send
from tests.timelines import collecting
from voipdown.tallies.collect.collector import Rounds, once
from voipdown.tallies.collect.extract import KINDS
from voipdown.tallies.collect.spec import LIMITS
from voipdown.tallies.collect.state import CollectState
from voipdown.tallies.model import to_ms
from voipdown.tallies.store.sqlite import SqliteTallyStore
from voipdown.texts import format_day
from voipdown.timeline import parse_timeline
from voipdown.zones import load_zone

EVERY = 60


def tally_reading(source: Source, path: str, finder: str, extra: str = ""):
    text = collecting(f'url = "{source.url}{path}"\n{finder}\nevery = {EVERY}\ntimeout = 3\n{extra}')
    return parse_timeline(text.encode()).counters["dz-coupure"].tallies["petition"]


@pytest.fixture
def store(tmp_path):
    opened = SqliteTallyStore(tmp_path / "tallies.sqlite3")
    opened.open()
    return opened


@pytest.fixture
def source():
    with Source() as running:
        yield running


def interval_ahead(n: int) -> int:
    """An instant `n` intervals from now: a round of another interval than the last."""
    return to_ms(dt.datetime.now(dt.timezone.utc)) + n * EVERY * 1000


def run(rounds: Rounds, tally, n: int = 0):
    (outcome,) = once(rounds, [tally], interval_ahead(n))
    return outcome


def stored_values(store, tally) -> list[int]:
    return [sample.value for sample in store.window(*tally.key, None, None, 100)]


@pytest.mark.parametrize(
    "shape, finder, expected",
    [
        (e_petition(12_345), 'pointer = "/data/attributes/signature_count"', 12_345),
        (mastodon_account(987), 'path = "$.followers_count"', 987),
        (github_repository(4_321), "path = \"$['stargazers_count']\"", 4_321),
    ],
    ids=["e-petitions", "mastodon", "github"],
)
def test_a_sources_number_is_stored_as_a_push_would_be(store, source, shape, finder, expected):
    source.routes["/data.json"] = json_route(shape)
    tally = tally_reading(source, "/data.json", finder)
    outcome = run(Rounds(store, "voipdown-test/1"), tally)
    assert outcome.failure is None and outcome.value == expected
    assert stored_values(store, tally) == [expected]
    state = CollectState.loads(store.collectors([tally.key])[0])
    assert state.state == "ok" and state.last_value == expected and state.first_ms == state.last_success_ms
    (headers,) = source.headers_of("/data.json")
    assert headers["user-agent"] == "voipdown-test/1" and headers["accept"] == "application/json"
    assert "cookie" not in headers


def test_validators_are_sent_and_a_304_is_the_same_value_at_a_new_instant(store, source):
    def conditional(handler):
        if handler.headers.get("If-None-Match") == '"v1"':
            handler.send_response(304)
            handler.send_header("ETag", '"v1"')
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        else:
            send(handler, 200, json.dumps(e_petition(50)).encode(), headers={"ETag": '"v1"', "Set-Cookie": "a=b"})

    source.routes["/p.json"] = conditional
    tally = tally_reading(source, "/p.json", 'pointer = "/data/attributes/signature_count"')
    rounds = Rounds(store, "ua")
    assert run(rounds, tally, 0).value == 50
    time.sleep(0.002)
    assert run(rounds, tally, 1).value == 50
    assert stored_values(store, tally) == [50, 50]  # two instants, one value
    first, second = source.headers_of("/p.json")
    assert "if-none-match" not in first and second["if-none-match"] == '"v1"'
    assert "cookie" not in second  # the Set-Cookie of the first answer was not kept


def test_a_last_modified_is_sent_back_as_if_modified_since(store, source):
    """A source that gives Last-Modified (no ETag) is asked If-Modified-Since; its 304 is the
    same value at a new instant, and a changed answer is taken with its new date."""
    dates = ["Tue, 01 Dec 2026 10:00:00 GMT", "Wed, 02 Dec 2026 10:00:00 GMT"]
    values = iter([40, 41])

    def dated(handler):
        asked = handler.headers.get("If-Modified-Since")
        if asked == dates[0] and not getattr(source, "changed", False):
            handler.send_response(304)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        date = dates[1] if asked else dates[0]
        send(handler, 200, json.dumps(e_petition(next(values))).encode(), headers={"Last-Modified": date})

    source.routes["/p.json"] = dated
    tally = tally_reading(source, "/p.json", 'pointer = "/data/attributes/signature_count"')
    rounds = Rounds(store, "ua")
    assert run(rounds, tally, 0).value == 40
    assert run(rounds, tally, 1).value == 40  # a 304
    source.changed = True
    assert run(rounds, tally, 2).value == 41
    asked = [headers.get("if-modified-since") for headers in source.headers_of("/p.json")]
    assert asked == [None, dates[0], dates[0]]
    assert stored_values(store, tally) == [40, 40, 41]
    assert CollectState.loads(store.collectors([tally.key])[0]).last_modified == dates[1]


def test_the_tallies_of_one_host_take_turns_on_kept_alive_connections_without_cookies(store, source):
    """Twenty tallies read from one source in one round: at most LIMITS.per_host fetches at
    once, over fewer connections than fetches, and no Set-Cookie of one answer sent with another."""
    import dataclasses
    import threading

    lock, at_once, most, peers = threading.Lock(), [0], [0], set()

    def slow(handler):
        with lock:
            at_once[0] += 1
            most[0] = max(most[0], at_once[0])
            peers.add(handler.client_address)
        time.sleep(0.05)
        with lock:
            at_once[0] -= 1
        send(handler, 200, json.dumps(e_petition(3)).encode(), headers={"Set-Cookie": "seen=1; Path=/"})

    source.routes["/p.json"] = slow
    tally = tally_reading(source, "/p.json", 'pointer = "/data/attributes/signature_count"')
    tallies = [dataclasses.replace(tally, name=f"p{n}") for n in range(20)]
    outcomes = once(Rounds(store, "ua"), tallies, interval_ahead(0))
    assert [outcome.value for outcome in outcomes] == [3] * 20
    assert most[0] == LIMITS.per_host
    assert len(peers) <= LIMITS.per_host < 20  # each connection served several fetches
    assert all("cookie" not in headers for headers in source.headers_of("/p.json"))


def test_one_taker_per_interval(store, source):
    """Two workers (two holders of one store) in the same interval: one fetch."""
    source.routes["/p.json"] = json_route(e_petition(7))
    tally = tally_reading(source, "/p.json", 'pointer = "/data/attributes/signature_count"')
    first, second = Rounds(store, "ua"), Rounds(store, "ua")
    outcomes = [run(first, tally), run(second, tally)]
    assert [outcome.taken for outcome in outcomes] == [True, False]
    assert source.hits("/p.json") == 1
    assert run(second, tally, 1).taken  # the next interval: anyone's


def test_csv_and_a_page(store, source):
    source.routes["/export.csv"] = lambda h: send(
        h, 200, b'date,count\n2026-11-30,1200\n2026-12-01,"1,260"\n', "text/csv"
    )
    source.routes["/page.html"] = lambda h: send(
        h, 200, "<p>Signatures : <b>1\u202f261</b></p>".encode(), "text/html; charset=utf-8"
    )
    as_csv = tally_reading(source, "/export.csv", 'format = "csv"\ncolumn = "count"')
    assert run(Rounds(store, "ua"), as_csv).value == 1260
    as_text = tally_reading(source, "/page.html", 'format = "text"\npattern = "Signatures : <b>([0-9 \u202f]+)</b>"')
    assert run(Rounds(store, "ua"), as_text, 1).value == 1261


def slow_trickle(handler):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    for _ in range(100):
        handler.wfile.write(b" ")
        handler.wfile.flush()
        time.sleep(0.5)


def endless(handler):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.end_headers()  # no length: until the connection closes
    chunk = b"[" * 65536
    for _ in range(10_000):
        handler.wfile.write(chunk)


def redirect_to(target: str):
    def route(handler):
        handler.send_response(302)
        handler.send_header("Location", target)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


def gzip_bomb(handler):
    body = gzip.compress(b"0" * (20 * 1024 * 1024))
    send(handler, 200, body, headers={"Content-Encoding": "gzip"})


HOSTILE = {
    "slow trickle": (slow_trickle, "timeout"),
    "endless body": (endless, "too_large"),
    "50 MB": (lambda h: send(h, 200, b"1" * (50 * 1024 * 1024)), "too_large"),
    "gzip bomb": (gzip_bomb, "too_large"),
    "redirect loop": (redirect_to("/hostile"), "too_many_redirects"),
    "redirect to file": (redirect_to("file:///etc/passwd"), "forbidden_redirect"),
    "redirect to a private address": (redirect_to("http://10.1.2.3/p.json"), "forbidden_address"),
    "redirect to the metadata address": (redirect_to("http://169.254.169.254/latest/"), "forbidden_address"),
    "redirect to a port out of range": (redirect_to("http://127.0.0.1:99999/p.json"), "unreachable"),
    "HTML instead of JSON": (lambda h: send(h, 200, b"<html>Oops</html>", "text/html"), "not_json"),
    "NaN": (lambda h: send(h, 200, b'{"data": {"attributes": {"signature_count": NaN}}}'), "not_json"),
    "1e400": (lambda h: send(h, 200, b'{"data": {"attributes": {"signature_count": 1e400}}}'), "not_integer"),
    "a float": (lambda h: send(h, 200, b'{"data": {"attributes": {"signature_count": 12.5}}}'), "not_integer"),
    "too large a number": (json_route(e_petition(10**16)), "out_of_range"),
    "a boolean": (lambda h: send(h, 200, b'{"data": {"attributes": {"signature_count": true}}}'), "not_integer"),
    "pointer missing": (json_route({"data": {}}), "pointer_missing"),
    "an error status": (lambda h: send(h, 500, b"{}"), "http_status"),
    "nothing listens": (None, "unreachable"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_source_fails_with_its_kind_and_stores_nothing(store, source, name, caplog):
    route, kind = HOSTILE[name]
    if route is not None:
        source.routes["/hostile"] = route
        url_path = "/hostile?key=SECRET-QUERY"
        tally = tally_reading(source, url_path, 'pointer = "/data/attributes/signature_count"')
    else:
        text = collecting(
            'url = "http://127.0.0.1:9/nothing?key=SECRET-QUERY"\npointer = "/a"\nevery = 60\ntimeout = 3'
        )
        tally = parse_timeline(text.encode()).counters["dz-coupure"].tallies["petition"]
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        outcome = run(Rounds(store, "ua"), tally)
    assert outcome.failure == kind, outcome
    assert time.monotonic() - started < 3 + 1.5  # never past its timeout
    assert stored_values(store, tally) == []
    state = CollectState.loads(store.collectors([tally.key])[0])
    assert state.state == "failing" and state.last_error.kind == kind and state.failures == 1
    assert "SECRET-QUERY" not in caplog.text and "127.0.0.1" in caplog.text and kind in caplog.text


def test_429_with_retry_after_is_honoured(store, source):
    source.routes["/busy"] = lambda h: send(h, 429, b"{}", headers={"Retry-After": "3600"})
    tally = tally_reading(source, "/busy", 'pointer = "/a"')
    outcome = run(Rounds(store, "ua"), tally)
    assert outcome.failure == "rate_limited"
    assert outcome.state.next_ms >= to_ms(dt.datetime.now(dt.timezone.utc)) + 3590 * 1000


def test_a_failing_source_backs_off_doubling_up_to_ten_intervals_then_recovers(store, source):
    source.routes["/p.json"] = lambda h: send(h, 500, b"{}")
    tally = tally_reading(source, "/p.json", 'pointer = "/data/attributes/signature_count"')
    rounds = Rounds(store, "ua")
    waits = []
    for n in range(6):
        outcome = run(rounds, tally, n)
        waits.append((outcome.state.next_ms - to_ms(dt.datetime.now(dt.timezone.utc))) / (EVERY * 1000))
        assert outcome.state.next_ms % (EVERY * 1000) == 0  # at an interval's start
    expected = [1, 2, 4, 8, 10, 10]
    # A tenth either way, then to the next interval's start (so up to one interval more).
    assert all(0.9 * want - 0.01 <= got <= 1.1 * want + 1 for got, want in zip(waits, expected, strict=True)), waits
    source.routes["/p.json"] = json_route(e_petition(99))
    recovered = run(rounds, tally, 7)
    assert recovered.value == 99 and recovered.state.state == "ok" and recovered.state.failures == 0
    assert recovered.state.last_error.kind == "http_status"  # the last error stays known


def test_no_log_line_of_any_level_holds_a_query_string(store, source, caplog):
    """httpx logs each request's URL at INFO: not ours to let through (a key in a query string)."""
    source.routes["/p.json"] = json_route(e_petition(3))
    tally = tally_reading(source, "/p.json?key=SECRET-QUERY", 'pointer = "/data/attributes/signature_count"')
    with caplog.at_level(logging.DEBUG):
        assert run(Rounds(store, "ua"), tally).value == 3
    assert "SECRET-QUERY" not in caplog.text


def test_secret_headers_come_from_the_environment_and_go_nowhere_else(store, source, caplog):
    source.routes["/p.json"] = json_route(e_petition(3))
    tally = tally_reading(
        source,
        "/p.json",
        'pointer = "/data/attributes/signature_count"',
        'secret_headers = { Authorization = "PETITION_AUTH" }',
    )
    with caplog.at_level(logging.DEBUG):
        missing = run(Rounds(store, "ua", environ={}), tally)
    assert missing.failure == "missing_secret" and source.hits("/p.json") == 0
    secret = "Bearer s3cr3t-value"
    outcome = run(Rounds(store, "ua", environ={"PETITION_AUTH": secret}), tally, 1)
    assert outcome.value == 3 and source.headers_of("/p.json")[0]["authorization"] == secret
    assert secret not in caplog.text and secret not in (store.collectors([tally.key])[0] or "")


def test_a_redirect_to_another_host_drops_the_secret_headers(store, source):
    with Source() as other:
        other.routes["/p.json"] = json_route(e_petition(5))
        source.routes["/moved"] = redirect_to(other.url.replace("127.0.0.1", "localhost") + "/p.json")
        tally = tally_reading(
            source, "/moved", 'pointer = "/data/attributes/signature_count"', 'secret_headers = { X-Key = "K" }'
        )
        outcome = run(Rounds(store, "ua", environ={"K": "secret"}), tally)
        assert outcome.value == 5
        assert source.headers_of("/moved")[0]["x-key"] == "secret"
        assert "x-key" not in other.headers_of("/p.json")[0]


def test_a_monotonic_count_keeps_a_fall_out(store, source):
    source.routes["/p.json"] = json_route(e_petition(1000))
    tally = tally_reading(
        source, "/p.json", 'pointer = "/data/attributes/signature_count"', "monotonic = true\nmax_drop = 10"
    )
    rounds = Rounds(store, "ua")
    assert run(rounds, tally, 0).value == 1000
    source.routes["/p.json"] = json_route(e_petition(995))  # within max_drop: e-petitions removes fraud
    assert run(rounds, tally, 1).value == 995
    source.routes["/p.json"] = json_route(e_petition(900))
    assert run(rounds, tally, 2).failure == "implausible"
    assert stored_values(store, tally) == [1000, 995]


def test_once_runs_every_tally_at_once(store, source):
    source.routes["/p.json"] = json_route(e_petition(8))
    tally = tally_reading(source, "/p.json", 'pointer = "/data/attributes/signature_count"')
    (outcome,) = once(Rounds(store, "ua"), [tally])
    assert outcome.value == 8


def test_every_kind_is_said_in_words():
    assert all(words and words[0].islower() for words in KINDS.values())
    assert LIMITS.max_bytes == 1024 * 1024 and LIMITS.max_redirects == 3


def test_the_docs_say_the_limits_the_fetch_keeps():
    from pathlib import Path

    docs = " ".join((Path(__file__).parent.parent / "docs" / "tallies.md").read_text(encoding="utf-8").split())
    assert f"at most {LIMITS.per_host} fetches from one host at a time" in docs
    assert f"at most {LIMITS.max_redirects} redirects" in docs


BAD_TABLES = {
    'url = "file:///etc/passwd"\npointer = "/a"': ("url", "must be an http:// or https:// address"),
    'url = "https://e.org/x"\npointer = "a/b"': ("pointer", "is not an RFC 6901 JSON Pointer"),
    'url = "https://e.org/x"\npath = "$[?@.a"': ("path", "is not an RFC 9535 JSONPath query"),
    'url = "https://e.org/x"': ("pointer", "give one of pointer"),
    'url = "https://e.org/x"\npointer = "/a"\npath = "$.a"': ("pointer", "give one of pointer"),
    'url = "https://e.org/x"\npointer = "/a"\ncolumn = "n"': ("column", "is for format csv"),
    'url = "https://e.org/x"\nformat = "xml"': ("format", "unknown format"),
    'url = "https://e.org/x"\nformat = "csv"': ("column", "missing"),
    'url = "https://e.org/x"\nformat = "text"\npattern = "([0-9]+) of ([0-9]+)"': ("pattern", "exactly one group"),
    'url = "https://e.org/x"\nformat = "text"\npattern = "(unclosed"': ("pattern", "is not a regular expression"),
    'url = "https://e.org/x"\npointer = "/a"\nevery = 5': ("every", "from 10 to 86400"),
    'url = "https://e.org/x"\npointer = "/a"\nevery = 30\ntimeout = 30': ("timeout", "less than every"),
    'url = "https://e.org/x"\npointer = "/a"\nheaders = { Authorization = "Bearer x" }': (
        "headers.Authorization",
        "holds a secret",
    ),
    'url = "https://e.org/x"\npointer = "/a"\nheaders = { Host = "a" }': ("headers.Host", "not a header"),
    'url = "https://e.org/x"\npointer = "/a"\nsecret_headers = { X-Key = "not a name" }': (
        "secret_headers.X-Key",
        "must name an environment variable",
    ),
    'url = "https://e.org/x"\npointer = "/a"\nmax_drop = 3': ("max_drop", "needs monotonic = true"),
    'url = "https://e.org/x"\npointer = "/a"\nrefresh = 3': ("refresh", "unknown key"),
}


@pytest.mark.parametrize("table", sorted(BAD_TABLES))
def test_a_bad_collect_table_is_named_by_file_line_and_field(table):
    from voipdown.timeline import TimelineError

    field, words = BAD_TABLES[table]
    text = collecting(table)
    with pytest.raises(TimelineError) as caught:
        parse_timeline(text.encode(), "campaign.toml")
    table_path = "counters.dz-coupure.tallies.petition.collect"
    (problem,) = [found for found in caught.value.problems if found.where.startswith(table_path)]
    assert problem.where == f"{table_path}.{field}" and words in problem.message
    key = field.split(".")[0]
    line = text.splitlines()[problem.line - 1]
    # The key's own line, or the table's when the key is missing.
    assert line.startswith(key if f"\n{key} =" in f"\n{table}" else f"[{table_path}]"), (problem, line)


def test_the_interval_is_the_default_and_must_be_long_enough():
    """A tally pushed every second cannot be collected as often: `every` says how often."""
    text = collecting('url = "https://e.org/x"\npointer = "/a"').replace("interval = 60", "interval = 5")
    from voipdown.timeline import TimelineError

    with pytest.raises(TimelineError, match=r"collect\.every: .*the tally's interval, 5 s, is its default"):
        parse_timeline(text.encode())
    fine = parse_timeline(collecting('url = "https://e.org/x"\npointer = "/a"').encode())
    collect = fine.counters["dz-coupure"].tallies["petition"].collect
    assert (collect.every, collect.timeout) == (60, 10.0)


def test_check_warns_of_an_unset_secret_and_collect_once_reports_each_tally(tmp_path, source):
    from click.testing import CliRunner

    from voipdown.cli import cli

    source.routes["/p.json"] = json_route(e_petition(42))
    path = tmp_path / "t.toml"
    finder = 'pointer = "/data/attributes/signature_count"'
    path.write_text(
        collecting(f'url = "{source.url}/p.json?key=hidden"\n{finder}\nsecret_headers = {{ X-Key = "PETITION_KEY" }}'),
        encoding="utf-8",
    )
    runner = CliRunner()
    env = {"VOIPDOWN_TALLY_STORE": str(tmp_path / "s.sqlite3"), "PETITION_KEY": ""}
    checked = runner.invoke(cli, ["check", str(path)], env=env)
    assert checked.exit_code == 0
    assert re.search(
        r"warning: .*t\.toml:\d+: counters\.dz-coupure\.tallies\.petition\.collect\.secret_headers\.X-Key:"
        r" PETITION_KEY is not set",
        checked.output,
    ), checked.output
    env["PETITION_KEY"] = "k"
    done = runner.invoke(cli, ["tally", "collect", "--once", "--timeline", str(path)], env=env)
    assert done.exit_code == 0 and "dz-coupure/petition: 42 from 127.0.0.1" in done.output
    again = runner.invoke(cli, ["tally", "collect", "dz-coupure/petition", "--once", "--timeline", str(path)], env=env)
    assert again.exit_code == 0 and "already asked in this interval" in again.output
    source.routes["/p.json"] = lambda h: send(h, 500, b"{}")
    env["VOIPDOWN_TALLY_STORE"] = str(tmp_path / "another.sqlite3")
    failed = runner.invoke(cli, ["tally", "collect", "--once", "--timeline", str(path)], env=env)
    assert failed.exit_code == 1 and "dz-coupure/petition: FAILED from 127.0.0.1: http_status" in failed.output
    assert "hidden" not in done.output + failed.output + again.output
    unknown = runner.invoke(cli, ["tally", "collect", "x/y", "--once", "--timeline", str(path)], env=env)
    assert unknown.exit_code == 2 and "no collecting tally x/y" in unknown.output


def test_retry_after_in_seconds_or_as_a_date():
    from voipdown.tallies.collect.fetch import retry_after

    assert retry_after("120") == 120.0 and retry_after(None) is None and retry_after("soon") is None
    assert 0 < retry_after("Wed, 21 Oct 2099 07:28:00 GMT") and retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0


def test_the_json_the_pages_and_healthz_say_how_collecting_goes(make_app, tmp_path, source):
    """Collected by a worker (here: one round), read by the web layer: the tally's JSON (valid
    against the OpenAPI document), the tally and campaign pages (where the figures come
    from, since when; that they may be behind while failing), and /healthz's count."""
    import jsonschema_rs  # schemathesis's validator

    source.routes["/p.json"] = json_route(e_petition(1300))
    finder = 'pointer = "/data/attributes/signature_count"'
    text = collecting(f'url = "{source.url}/p.json?key=hidden"\n{finder}\nevery = {EVERY}')
    app = make_app(text, VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3"))
    client = app.test_client()
    tally = parse_timeline(text.encode()).counters["dz-coupure"].tallies["petition"]
    store = app.extensions["voipdown"].tallies.store
    api = "/api/v1/counters/dz-coupure/tallies/petition"
    assert client.get(api).json["collect"]["state"] == "pending"
    outcome = run(Rounds(store, "ua", on_write=app.extensions["voipdown"].tallies.wrote), tally)
    assert outcome.value == 1300
    body = client.get(api).json
    assert body["value"] == 1300 and not body["closed"]
    assert body["collect"]["state"] == "ok" and body["collect"]["source"] == "127.0.0.1"
    assert body["collect"]["since"] == body["collect"]["last_success"] == body["at"]
    schema = client.get("/api/openapi.json").json
    answer = schema["paths"]["/api/v1/counters/{slug}/tallies/{name}"]["get"]["responses"]["200"]["content"]
    tally_schema = {**answer["application/json"]["schema"], "components": schema["components"]}  # its $ref's root
    jsonschema_rs.validate(tally_schema, body)
    assert "hidden" not in json.dumps(body)
    page = client.get("/dz-coupure/tallies/petition?lang=fr").get_data(as_text=True)
    today = dt.datetime.now(dt.timezone.utc).astimezone(load_zone("Africa/Algiers")).date()
    since = format_day(today, "fr")
    assert f"Relevé sur 127.0.0.1, à intervalles de 1 minute, depuis le {since}." in page, page[-3000:]
    campaign = client.get("/dz-coupure?lang=fr").get_data(as_text=True)
    assert "Relevé sur 127.0.0.1" in campaign
    assert client.get("/healthz").json["collect"] == {"tallies": 1, "failing": 0, "here": "off"}

    source.routes["/p.json"] = lambda h: send(h, 500, b"{}")
    assert run(Rounds(store, "ua", on_write=app.extensions["voipdown"].tallies.wrote), tally, 1).failure
    failing = client.get(api).json["collect"]
    assert failing["state"] == "failing" and failing["last_error"]["kind"] == "http_status"
    jsonschema_rs.validate(tally_schema, client.get(api).json)
    arabic = client.get("/dz-coupure/tallies/petition?lang=ar").get_data(as_text=True)
    assert "فشلت آخر قراءة من" in arabic
    assert client.get("/healthz").json["collect"]["failing"] == 1


def test_a_push_that_makes_a_monotonic_count_fall_is_refused(make_app, tmp_path):
    """A tally both collected and pushed to: the same rule for a push (409 implausible_value)."""
    from tests.timelines import CALLS_TOKEN

    finder = 'pointer = "/data/attributes/signature_count"'
    text = collecting(f'url = "http://127.0.0.1:9/p.json"\n{finder}\nmonotonic = true\nmax_drop = 10')
    client = make_app(text, VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3")).test_client()
    path = "/api/v1/counters/dz-coupure/tallies/petition/samples"
    headers = {"Authorization": f"Bearer {CALLS_TOKEN}"}
    assert client.post(path, json={"value": 2000}, headers=headers).status_code == 201
    assert client.post(path, json={"value": 1995}, headers=headers).status_code == 201  # within max_drop
    refused = client.post(path, json={"value": 1900}, headers=headers)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "implausible_value"
    assert refused.json["error"]["index"] == 0
    # An older sample (filling a gap in the history) is not compared with the latest.
    old = client.post(path, json={"at": "2026-10-20T12:00:00+01:00", "value": 1300}, headers=headers)
    assert old.status_code == 201


@pytest.mark.parametrize(
    "origin, target, allowed_here",
    [
        ("public", "public", True),
        ("public", "loopback", False),
        ("public", "private", False),
        ("public", "link-local", False),
        ("loopback", "loopback", True),
        ("loopback", "private", False),
        ("private", "private", True),
        ("private", "public", True),
        ("public", None, False),
    ],
)
def test_a_source_leads_only_to_public_addresses_or_to_its_own_class(origin, target, allowed_here):
    from voipdown.tallies.collect.addresses import address_class, allowed

    assert allowed(origin, target) is allowed_here
    classes = {"8.8.8.8": "public", "10.0.0.1": "private", "127.0.0.1": "loopback", "::1": "loopback"}
    classes |= {"169.254.169.254": "link-local", "fe80::1": "link-local", "0.0.0.0": None, "::ffff:10.1.1.1": "private"}
    assert {address: address_class(address) for address in classes} == classes


def test_the_user_agent_names_the_service_and_where_the_campaign_is():
    from voipdown import __version__
    from voipdown.tallies.collect.collector import user_agent

    assert user_agent("https://coupures.example.org") == (
        f"voipdown/{__version__} (tally collector; +https://coupures.example.org)"
    )
    assert user_agent(None) == f"voipdown/{__version__} (tally collector)"


def test_a_round_that_cannot_start_in_the_first_half_of_its_interval_is_skipped(store, source):
    """A worker too busy to start a round in time skips it: the next interval's round would
    follow too closely (a source is never asked twice within half an interval)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    source.routes["/p.json"] = json_route(e_petition(1))
    tally = tally_reading(source, "/p.json", 'pointer = "/data/attributes/signature_count"')
    rounds = Rounds(store, "ua")
    at_ms = interval_ahead(0)

    async def late():
        async with rounds.session() as session:
            return await rounds.collect(tally, CollectState(), at_ms, session, latest_start_ms=at_ms - 1)

    # In a thread of its own: this one may run an event loop already (Playwright's, earlier in the suite).
    with ThreadPoolExecutor(1) as thread:
        outcome = thread.submit(asyncio.run, late()).result()
    assert outcome.failure == "late" and source.hits("/p.json") == 0 and stored_values(store, tally) == []
