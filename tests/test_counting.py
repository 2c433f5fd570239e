"""Day counting in the counter's own time zone, whatever the server's."""

import datetime as dt
import os
import time
from contextlib import contextmanager

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from voipdown.counting import Status, count_at, local_date, start_of_day
from voipdown.settings import bundled_timeline
from voipdown.timeline import Counter, load_timeline

UTC = dt.timezone.utc
CASABLANCA = "Africa/Casablanca"


def counter(start=dt.date(2016, 1, 5), end=None, timezone=CASABLANCA) -> Counter:
    return Counter(slug="c", timezone=timezone, start=start, end=end, title={"fr": "t"}, default_lang="fr")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@contextmanager
def server_timezone(name: str):
    """Run with the process's TZ set as a server's would be."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        time.tzset()


def test_bundled_counter_lasted_304_days():
    voip_ma = load_timeline(bundled_timeline()).counters["voip-ma"]
    result = count_at(voip_ma, at("2026-11-23T12:00:00+00:00"))
    assert (result.status, result.days, result.next_change) == (Status.ENDED, 304, None)


@pytest.mark.parametrize(
    "instant, as_of, days, next_change",
    [
        # 2016: UTC+1 from 27 March; back to UTC+0 for Ramadan from 5 June (03:00 -> 02:00).
        ("2016-06-04T22:59:59+00:00", "2016-06-04", 151, "2016-06-05T00:00:00+01:00"),
        ("2016-06-04T23:00:00+00:00", "2016-06-05", 152, "2016-06-06T00:00:00+00:00"),
        # UTC+1 again from 10 July (02:00 -> 03:00): midnight of the 10th is still UTC+0.
        ("2016-07-09T23:59:59+00:00", "2016-07-09", 186, "2016-07-10T00:00:00+00:00"),
        ("2016-07-10T23:00:00+00:00", "2016-07-11", 188, "2016-07-12T00:00:00+01:00"),
        # Winter: UTC+0 from 30 October; local and UTC midnight coincide.
        ("2016-11-02T23:59:59+00:00", "2016-11-02", 302, "2016-11-03T00:00:00+00:00"),
        # 27 March 2016: 00:00 UTC+0 is still local midnight; 23:00Z that day is local midnight UTC+1.
        ("2016-03-27T22:59:59+00:00", "2016-03-27", 82, "2016-03-28T00:00:00+01:00"),
        ("2016-03-27T23:00:00+00:00", "2016-03-28", 83, "2016-03-29T00:00:00+01:00"),
    ],
)
def test_casablanca_2016_transitions(instant, as_of, days, next_change):
    result = count_at(counter(), at(instant))
    assert result.as_of.isoformat() == as_of
    assert result.days == days
    assert result.next_change.isoformat() == next_change
    assert result.status is Status.ONGOING


@pytest.mark.parametrize(
    "instant, as_of, next_change",
    [
        # 2024: UTC+1 all year except Ramadan, UTC+0 from 10 March to 14 April.
        ("2024-03-09T22:59:59+00:00", "2024-03-09", "2024-03-10T00:00:00+01:00"),
        ("2024-03-09T23:00:00+00:00", "2024-03-10", "2024-03-11T00:00:00+00:00"),
        ("2024-03-10T23:59:59+00:00", "2024-03-10", "2024-03-11T00:00:00+00:00"),
        ("2024-04-13T23:59:59+00:00", "2024-04-13", "2024-04-14T00:00:00+00:00"),
        ("2024-04-14T22:59:59+00:00", "2024-04-14", "2024-04-15T00:00:00+01:00"),
        ("2024-04-14T23:00:00+00:00", "2024-04-15", "2024-04-16T00:00:00+01:00"),
    ],
)
def test_casablanca_2024_ramadan(instant, as_of, next_change):
    c = counter(start=dt.date(2024, 1, 1))
    result = count_at(c, at(instant))
    assert result.as_of.isoformat() == as_of
    assert result.days == (dt.date.fromisoformat(as_of) - dt.date(2024, 1, 1)).days
    assert result.next_change.isoformat() == next_change


def test_status_boundaries():
    c = counter(start=dt.date(2016, 1, 5), end=dt.date(2016, 11, 4))
    before = count_at(c, at("2016-01-04T23:59:59+00:00"))
    assert (before.status, before.days) == (Status.UPCOMING, 0)
    assert before.next_change.isoformat() == "2016-01-05T00:00:00+00:00"
    first = count_at(c, at("2016-01-05T00:00:00+00:00"))
    assert (first.status, first.days) == (Status.ONGOING, 0)
    last = count_at(c, at("2016-11-03T23:59:59+00:00"))
    assert (last.status, last.days) == (Status.ONGOING, 303)
    ended = count_at(c, at("2016-11-04T00:00:00+00:00"))
    assert (ended.status, ended.days, ended.next_change) == (Status.ENDED, 304, None)
    assert count_at(c, at("2040-01-01T00:00:00+00:00")).days == 304


def test_day_starting_after_a_skipped_midnight():
    # Santiago skipped 00:00-01:00 on 11 September 2022: that day began at 01:00 -03.
    assert start_of_day(dt.date(2022, 9, 11), "America/Santiago").isoformat() == "2022-09-11T01:00:00-03:00"
    c = counter(start=dt.date(2022, 1, 1), timezone="America/Santiago")
    assert count_at(c, at("2022-09-11T03:59:59+00:00")).as_of == dt.date(2022, 9, 10)
    assert count_at(c, at("2022-09-11T04:00:00+00:00")).as_of == dt.date(2022, 9, 11)


def test_naive_instants_are_refused():
    with pytest.raises(ValueError):
        local_date(dt.datetime(2016, 1, 5), CASABLANCA)


instants = st.datetimes(min_value=dt.datetime(2016, 1, 1), max_value=dt.datetime(2040, 12, 31), timezones=st.just(UTC))
server_zones = st.sampled_from(["UTC", "America/Los_Angeles", "Asia/Tokyo", "Pacific/Kiritimati", "Africa/Casablanca"])
counter_zones = st.sampled_from([CASABLANCA, "Europe/Paris", "America/Santiago", "Asia/Kolkata", "Pacific/Apia"])


@settings(max_examples=300, deadline=None)
@given(instant=instants, server=server_zones, zone=counter_zones)
@example(instant=dt.datetime(2020, 9, 6, tzinfo=UTC), server="UTC", zone="America/Santiago")  # midnight skipped
@example(instant=dt.datetime(2016, 1, 1, tzinfo=UTC), server="UTC", zone="America/Santiago")  # the eve of start
def test_the_day_changes_exactly_at_next_change(instant, server, zone):
    c = counter(start=dt.date(2016, 1, 1), timezone=zone)
    with server_timezone(server):
        now = count_at(c, instant)
        # Arithmetic in UTC: on an aware datetime in its own zone, Python subtracts wall-clock time.
        change = now.next_change.astimezone(UTC)
        assert change > instant
        just_before = count_at(c, change - dt.timedelta(microseconds=1))
        after = count_at(c, change)
    assert just_before.as_of == now.as_of and just_before.days == now.days
    assert after.as_of == now.as_of + dt.timedelta(days=1)
    assert after.days == (now.days + 1 if now.status is Status.ONGOING else 0)
    # The new day begins at local midnight unless a clock change skipped it.
    local = now.next_change
    offset_before = (change - dt.timedelta(seconds=1)).astimezone(local.tzinfo).utcoffset()
    assert local.date() == after.as_of
    assert local.time() == dt.time(0) or local.utcoffset() != offset_before


@settings(max_examples=200, deadline=None)
@given(instant=instants, server=server_zones)
def test_the_server_time_zone_changes_nothing(instant, server):
    c = counter(end=dt.date(2030, 6, 1))
    reference = count_at(c, instant)
    with server_timezone(server):
        assert count_at(c, instant) == reference
        assert count_at(c, instant.astimezone(dt.timezone(dt.timedelta(hours=-11)))) == reference


@settings(max_examples=200, deadline=None)
@given(first=instants, second=instants)
def test_the_count_never_goes_back(first, second):
    c = counter(end=dt.date(2030, 6, 1))
    early, late = sorted((first, second))
    assert count_at(c, early).days <= count_at(c, late).days


@pytest.mark.parametrize("zone", [CASABLANCA, "America/Santiago", "America/Havana", "Asia/Beirut"])
def test_every_day_from_2016_to_2040_starts_where_the_previous_ends(zone):
    # Zones whose clocks change at or near midnight; every day, not a sample.
    day = dt.date(2016, 1, 1)
    while day < dt.date(2041, 1, 1):
        start = start_of_day(day, zone).astimezone(UTC)
        assert local_date(start, zone) == day
        assert local_date(start - dt.timedelta(microseconds=1), zone) == day - dt.timedelta(days=1)
        day += dt.timedelta(days=1)


def test_only_the_clock_module_reads_the_wall_clock():
    import pathlib
    import re

    package = pathlib.Path(__file__).parent.parent / "voipdown"
    readers = {
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if re.search(r"datetime\.now\(|date\.today\(|\btime\.time\(|utcnow\(", path.read_text(encoding="utf-8"))
    }
    assert readers == {"clock.py"}
