"""The `voipdown` command, invoked in-process with click's runner."""

import datetime as dt
import json
import re

import time_machine
from click.testing import CliRunner

from tests.timelines import ONGOING
from voipdown.cli import cli


def run(*args, env=None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_days_of_the_bundled_counter():
    result = run("days", "voip-ma")
    assert result.exit_code == 0
    assert result.output.splitlines()[0].startswith("304 (ended")
    assert "levé après 304 jours" in result.output


def test_days_in_arabic_at_an_instant():
    result = run("days", "voip-ma", "--lang", "ar", "--at", "2016-06-04T23:30:00Z")
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == "152 (ongoing, as of 2016-06-05 in Africa/Casablanca)"
    assert "منذ 152 يومًا" in result.output


def test_days_refuses_an_instant_without_offset():
    result = CliRunner().invoke(cli, ["days", "voip-ma", "--at", "2016-06-04T23:30:00"])
    assert result.exit_code == 2 and "offset" in result.output


def test_days_unknown_counter():
    result = CliRunner().invoke(cli, ["days", "nope"])
    assert result.exit_code == 2 and "voip-ma" in result.output


def test_days_reads_the_timeline_setting(ongoing_path):
    result = run("days", "shutdown", "--at", "2024-03-02T12:00:00+00:00", env={"VOIPDOWN_TIMELINE": str(ongoing_path)})
    assert result.exit_code == 0 and result.output.startswith("1 (ongoing")


def test_cli_and_api_agree_at_the_same_travelled_instant(ongoing_path, app):
    client = app.test_client()
    for instant in ("2024-03-09T22:59:59+00:00", "2024-03-09T23:00:00+00:00", "2024-10-27T01:30:00+00:00"):
        with time_machine.travel(dt.datetime.fromisoformat(instant), tick=False):
            cli_result = run("days", "shutdown", "--lang", "ar", "--json", "--timeline", str(ongoing_path))
            api_body = client.get("/api/v1/counters/shutdown?lang=ar").get_json()
        from_cli = json.loads(cli_result.output)
        api_body.pop("links")
        assert from_cli == api_body, instant


def test_check_valid_file(ongoing_path):
    result = run("check", str(ongoing_path))
    assert result.exit_code == 0 and "OK, 3 counter(s)" in result.output


def test_check_bundled_file_by_default():
    result = run("check")
    assert result.exit_code == 0 and "timeline.toml: OK" in result.output


def test_check_prints_every_problem_and_exits_1(write_timeline):
    path = write_timeline(
        ONGOING.replace('timezone = "Europe/Paris"', 'timezone = "Nowhere"').replace(
            "[counters.future]", "[counters.API]"
        ),
        "bad.toml",
    )
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 2
    assert all(str(path) in line for line in lines)
    assert any("counters.lifted.timezone" in line for line in lines)
    assert any("counters.API" in line and "bad slug" in line for line in lines)


def test_version():
    from voipdown import __version__

    assert __version__ in run("--version").output


def test_doctor_reports_font_and_libraries():
    result = run("doctor")
    assert result.exit_code == 0, result.output
    assert "DejaVu Sans" in result.output
    assert "every badge text of every language has its glyphs" in result.output
    for name in ("harfbuzz", "freetype", "bidi", "tzdata"):
        assert name in result.output


def test_doctor_fails_without_a_font(tmp_path):
    result = CliRunner().invoke(cli, ["doctor"], env={"VOIPDOWN_FONT": str(tmp_path / "none.ttf")})
    assert result.exit_code == 1
    assert "FAIL" in result.output and "VOIPDOWN_FONT" in result.output


def test_doctor_warns_of_feed_ids_that_follow_the_host(ongoing_path):
    result = CliRunner().invoke(
        cli, ["doctor"], env={"VOIPDOWN_TIMELINE": str(ongoing_path), "VOIPDOWN_PUBLIC_URL": ""}
    )
    assert result.exit_code == 0  # a warning: badges are drawn well all the same
    assert "warn" in result.output and "follow the Host header for lifted, future" in result.output
    fixed = CliRunner().invoke(
        cli, ["doctor"], env={"VOIPDOWN_TIMELINE": str(ongoing_path), "VOIPDOWN_PUBLIC_URL": "https://c.example.org"}
    )
    assert fixed.exit_code == 0 and "fixed by each counter's url" in fixed.output


def test_tally_token_prints_a_token_and_its_hash_line():
    from voipdown.tallies.tokens import token_matches

    output = run("tally", "token").output
    token = re.search(r"not stored anywhere\): (\S+)", output).group(1)
    digest = re.search(r'token_sha256 = "([0-9a-f]{64})"', output).group(1)
    assert len(token) >= 43 and token_matches(token, digest)
    assert token not in run("tally", "token").output  # a new one each time


def test_tally_list_shows_stored_tallies_and_those_the_timeline_lost(tmp_path):
    from voipdown.tallies.model import StoredSample
    from voipdown.tallies.store.sqlite import SqliteTallyStore

    store = tmp_path / "tallies.sqlite3"
    SqliteTallyStore(store).add(
        "voip-ma", "inwi", [StoredSample(1_456_700_000_000, 5), StoredSample(1_456_700_060_000, 9)]
    )
    SqliteTallyStore(store).add("voip-ma", "gone", [StoredSample(1_456_700_000_000, 1)])
    result = CliRunner().invoke(cli, ["tally", "list"], env={"VOIPDOWN_TALLY_STORE": str(store)})
    assert result.exit_code == 0, result.output
    assert "voip-ma/inwi: 2 samples, latest 2016-02-28T22:54:20.000Z" in result.output
    assert "voip-ma/gone: 1 samples" in result.output and "(not in the timeline any more)" in result.output
