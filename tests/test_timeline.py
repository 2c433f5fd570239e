"""Validation of timeline files: every problem at once, each naming file, line and field."""

import datetime as dt

import pytest

from tests.timelines import ONGOING
from voipdown.timeline import TimelineError, load_timeline, parse_timeline


def problems_of(text: str, file: str = "t.toml"):
    with pytest.raises(TimelineError) as caught:
        parse_timeline(text.encode("utf-8"), file)
    return caught.value.problems


def only(problems, where):
    matching = [problem for problem in problems if problem.where == where]
    assert matching, f"no problem at {where}: {[str(p) for p in problems]}"
    return matching[0]


def test_valid_file_loads_with_every_part(ongoing_path):
    timeline = load_timeline(ongoing_path)
    assert list(timeline.counters) == ["shutdown", "lifted", "future"]
    shutdown = timeline.counters["shutdown"]
    assert shutdown.start == dt.date(2024, 3, 1) and shutdown.end is None
    assert shutdown.events[0].sources[1].url is None
    assert shutdown.participants[0].kind == "blog"
    assert timeline.find("old-shutdown") == (shutdown, True)
    assert timeline.find("shutdown") == (shutdown, False)
    assert timeline.find("nothing") == (None, False)
    assert timeline.default_slug == "shutdown"


def test_default_counter_is_first_when_not_named():
    timeline = parse_timeline(ONGOING.replace('default_counter = "shutdown"\n', "").encode())
    assert timeline.default_slug == "shutdown"


def test_version_changes_with_the_bytes():
    first = parse_timeline(ONGOING.encode())
    second = parse_timeline((ONGOING + "\n# a comment\n").encode())
    assert first.version != second.version


def test_title_falls_back_to_default_language(ongoing_path):
    lifted = load_timeline(ongoing_path).counters["lifted"]
    assert lifted.title_in("ar") == "Lifted example"


def test_toml_syntax_error_names_file_and_line():
    text = ONGOING.replace('timezone = "Europe/Paris"', "timezone = Europe/Paris")
    (problem,) = problems_of(text, "broken.toml")
    line = text.splitlines().index("timezone = Europe/Paris") + 1
    assert problem.file == "broken.toml" and problem.line == line
    assert str(problem).startswith(f"broken.toml:{line}: invalid TOML")


def test_every_problem_is_reported_at_once_with_field_and_line():
    text = ONGOING.replace('timezone = "Africa/Casablanca"', 'timezone = "Mars/Olympus"')
    text = text.replace("end = 2020-04-10", "end = 2019-12-31")
    text = text.replace('kind = "blog"', 'kind = "forum"')
    text = text.replace('url = "https://news.example.org/a"', 'url = "javascript:alert(1)"')
    text = text.replace('default_lang = "ar"', 'default_lang = "de"')
    text = text.replace("[counters.future]", "[counters.future]\ncolour = 3")
    problems = problems_of(text)
    lines = text.splitlines()

    def line_of(fragment):
        return next(number for number, line in enumerate(lines, 1) if fragment in line)

    zone = only(problems, "counters.shutdown.timezone")
    assert zone.line == line_of("Mars/Olympus") and "time zone" in zone.message
    end = only(problems, "counters.lifted.end")
    assert end.line == line_of("end = 2019-12-31") and "before start" in end.message
    kind = only(problems, "counters.shutdown.participants[0].kind")
    assert kind.line == line_of('kind = "forum"') and "blog, company, media, other" in kind.message
    source = only(problems, "counters.shutdown.events[0].sources[0].url")
    assert source.line == line_of("javascript:") and "http" in source.message
    assert "unsupported language" in only(problems, "counters.future.default_lang").message
    unknown = only(problems, "counters.future.colour")
    assert unknown.line == line_of("colour = 3") and "unknown key" in unknown.message
    assert all(problem.file == "t.toml" for problem in problems)


@pytest.mark.parametrize(
    "old, new, where, words",
    [
        ("start = 2024-03-01", 'start = "2024-03-01"', "counters.shutdown.start", "without quotes"),
        ("start = 2024-03-01", "start = 2024-03-01T10:00:00", "counters.shutdown.start", "without a time"),
        ("start = 2024-03-01\n", "", "counters.shutdown.start", "missing"),
        ("[counters.lifted]", "[counters.Lifted_X]", "counters.Lifted_X", "bad slug"),
        ("[counters.lifted]", "[counters.badge]", "counters.badge", "reserved"),
        ('aliases = ["old-shutdown"]', 'aliases = ["lifted"]', "counters.shutdown.aliases", "already the slug"),
        ('aliases = ["old-shutdown"]', 'aliases = ["api"]', "counters.shutdown.aliases", "reserved"),
        ('fr = "Coupure d’exemple"\n', "", "counters.shutdown.title", "default language (fr)"),
        ('zgh = "ⴰⴳⴷⴰⵍ"', 'kab = "x"', "counters.shutdown.title.kab", "unsupported language"),
        ('url = "https://campaign.example.org"', 'url = "campaign.example.org"', "counters.shutdown.url", "http"),
        (
            'url = "https://blog.example.org"',
            'url = "ftp://blog.example.org"',
            "counters.shutdown.participants[0].url",
            "http",
        ),
        ('default_counter = "shutdown"', 'default_counter = "nope"', "default_counter", "names no counter"),
        ("sources = [{", "sourcez = [{", "counters.shutdown.events[0].sourcez", "unknown key"),
        ('title = { en = "Lifted example" }', 'title = { en = "" }', "counters.lifted.title.en", "empty"),
    ],
)
def test_each_kind_of_problem(old, new, where, words):
    assert old in ONGOING
    problem = only(problems_of(ONGOING.replace(old, new, 1)), where)
    assert words in problem.message
    assert problem.line is not None


def test_event_without_sources_is_rejected():
    text = ONGOING.replace(
        'sources = [{ name = "Example Times", url = "https://news.example.org/a" }, { name = "Radio" }]', "sources = []"
    )
    assert "at least one source" in only(problems_of(text), "counters.shutdown.events[0].sources").message


def test_duplicate_alias_across_counters():
    text = ONGOING.replace('title = { en = "Lifted example" }', 'title = { en = "L" }\naliases = ["old-shutdown"]')
    assert "already an alias of counters.shutdown" in only(problems_of(text), "counters.lifted.aliases").message


def test_duplicate_slug_is_a_toml_error_with_line():
    text = ONGOING + '\n[counters.lifted]\ntimezone = "UTC"\n'
    (problem,) = problems_of(text)
    assert problem.line == len(text.splitlines()) - 1
    assert "invalid TOML" in problem.message


def test_duplicate_site_is_rejected_whatever_www_and_case():
    text = (
        ONGOING
        + '\n[[counters.shutdown.participants]]\nname = "Again"\nurl = "http://WWW.Blog.example.org/"\nkind = "blog"\n'
    )
    problem = only(problems_of(text), "counters.shutdown.participants[1].url")
    assert "participants[0]" in problem.message


def test_no_counter_at_all():
    assert "missing" in only(problems_of('default_counter = "x"\n'), "counters").message


def test_unreadable_and_non_utf8_files(tmp_path):
    with pytest.raises(TimelineError) as caught:
        load_timeline(tmp_path / "absent.toml")
    assert "absent.toml" in str(caught.value) and "cannot read" in str(caught.value)
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b"# ok\n# caf\xe9\n")
    with pytest.raises(TimelineError) as caught:
        load_timeline(bad)
    assert caught.value.problems[0].line == 2 and "UTF-8" in str(caught.value)


def test_example_ongoing_timeline_in_docs_is_valid():
    from pathlib import Path

    timeline = load_timeline(Path(__file__).parent.parent / "docs" / "examples" / "ongoing.toml")
    assert timeline.default_counter.end is None


TALLY = """
[counters.shutdown.tallies.petition]
title = { fr = "Pétition", en = "Petition" }
unit = "signatures"
start = 2024-03-01T09:00:00+01:00
interval = 60
token_sha256 = "%s"
url = "https://petition.example.org"

[[counters.shutdown.tallies.petition.samples]]
at = 2024-03-02
value = 120
source = { name = "Campaign newsletter" }

[[counters.shutdown.tallies.petition.samples]]
at = 2024-03-01T12:30:00Z
value = 40
source = { name = "Campaign site", url = "https://petition.example.org/count" }
""" % ("ab" * 32)


def test_a_tally_with_its_samples():
    tally = parse_timeline((ONGOING + TALLY).encode()).counters["shutdown"].tallies["petition"]
    assert tally.unit == "signatures" and tally.interval == 60 and not tally.closed
    assert tally.start == dt.datetime(2024, 3, 1, 9, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert [(s.value, s.precision) for s in tally.samples] == [(40, "instant"), (120, "day")]  # ordered by instant
    assert tally.samples[1].at == dt.date(2024, 3, 2) and tally.samples[0].source.url.endswith("/count")
    closed = parse_timeline((ONGOING + TALLY.replace('token_sha256 = "' + "ab" * 32 + '"\n', "")).encode())
    assert closed.counters["shutdown"].tallies["petition"].closed


@pytest.mark.parametrize(
    "old, new, where, words",
    [
        ('unit = "signatures"', 'unit = "votes"', "counters.shutdown.tallies.petition.unit", "unknown unit"),
        ("interval = 60", "interval = true", "counters.shutdown.tallies.petition.interval", "whole number"),
        ("interval = 60", "interval = 0", "counters.shutdown.tallies.petition.interval", "from 1"),
        ('token_sha256 = "ab', 'token_sha256 = "AB', "counters.shutdown.tallies.petition.token_sha256", "lowercase"),
        (
            "start = 2024-03-01T09:00:00+01:00",
            "start = 2024-03-01T09:00:00",
            "counters.shutdown.tallies.petition.start",
            "offset",
        ),
        ("value = 120", "value = 1.5", "counters.shutdown.tallies.petition.samples[0].value", "whole number"),
        ("value = 120", "value = true", "counters.shutdown.tallies.petition.samples[0].value", "whole number"),
        (
            "value = 120",
            "value = 10_000_000_000_000_000",
            "counters.shutdown.tallies.petition.samples[0].value",
            "at most",
        ),
        ("at = 2024-03-02", "at = 2024-02-01", "counters.shutdown.tallies.petition.samples[0].at", "before the tally"),
        (
            'source = { name = "Campaign newsletter" }\n',
            "",
            "counters.shutdown.tallies.petition.samples[0].source",
            "source",
        ),
        (
            "at = 2024-03-02",
            "at = 2024-03-01T13:30:00+01:00",
            "counters.shutdown.tallies.petition.samples[1].at",
            "another sample",
        ),
        (
            "[counters.shutdown.tallies.petition]",
            "[counters.shutdown.tallies.Petition]",
            "counters.shutdown.tallies.Petition",
            "tally name",
        ),
        (
            'unit = "signatures"',
            'unit = "signatures"\ncolour = "red"',
            "counters.shutdown.tallies.petition.colour",
            "unknown key",
        ),
        (
            'unit = "signatures"',
            'unit = "signatures"\nnote = { ar = "…" }',
            "counters.shutdown.tallies.petition.note",
            "default language",
        ),
        (
            'unit = "signatures"',
            'unit = "signatures"\nnote = { fr = "Mesuré à la main.", de = "Von Hand." }',
            "counters.shutdown.tallies.petition.note.de",
            "unsupported language",
        ),
    ],
)
def test_each_kind_of_tally_problem(old, new, where, words):
    text = ONGOING + TALLY.replace(old, new, 1)
    problem = only(problems_of(text), where)
    assert words in problem.message and problem.line is not None, str(problem)
    assert str(problem).startswith("t.toml:"), str(problem)


def test_the_bundled_opeunlike_tallies_hold_only_sourced_figures():
    from voipdown.settings import bundled_timeline

    tallies = load_timeline(bundled_timeline()).counters["voip-ma"].tallies
    assert set(tallies) == {"maroc-telecom", "meditel", "inwi"}
    published = {"maroc-telecom": 27_000, "meditel": 18_000, "inwi": 20_000}
    for name, tally in tallies.items():
        assert tally.closed and tally.unit == "likes-lost" and tally.start == dt.date(2016, 2, 26)
        assert [(s.at, s.value) for s in tally.samples] == [
            (dt.date(2016, 2, 26), 0),
            (dt.date(2016, 2, 29), published[name]),
        ]
        assert all(s.precision == "day" and "Médias 24" in s.source.name for s in tally.samples)
        assert "100\u202f000" in tally.note["fr"] and "100,000" in tally.note["en"]  # the press's caveats
