"""Time zones from the `tzdata` package, not from the host system.

Morocco's clock has changed often (Ramadan offsets, the 2018 switch to UTC+1), and an
old system database predicts wrong transitions. Reading the IANA data that pip pins
makes every host count the same days, whatever its operating system ships.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo


class UnknownZone(LookupError):
    """The name is not an IANA time zone in the bundled database."""


def _is_zone_name(name: str) -> bool:
    parts = name.split("/")
    return bool(name) and all(part and part not in (".", "..") for part in parts) and "\\" not in name


@lru_cache(maxsize=512)
def load_zone(name: str) -> ZoneInfo:
    """Return the zone `name` (e.g. ``Africa/Casablanca``) from the tzdata package."""
    if not isinstance(name, str) or not _is_zone_name(name):
        raise UnknownZone(name)
    entry = resources.files("tzdata.zoneinfo")
    for part in name.split("/"):
        entry = entry.joinpath(part)
    try:
        with entry.open("rb") as data:
            return ZoneInfo.from_file(data, key=name)
    except (OSError, ValueError) as error:
        raise UnknownZone(name) from error


def database_version() -> str:
    """The IANA release of the bundled database, e.g. ``2026a``, for `/healthz` and bug reports."""
    import tzdata

    return tzdata.IANA_VERSION


def start_of_day(day: dt.date, timezone: str) -> dt.datetime:
    """The first instant of `day` in `timezone`.

    That is local midnight, except where a clock change skips midnight: then the
    day starts at the transition (with fold=0, zoneinfo maps a skipped wall time
    through the offset in force before the gap, which is exactly that instant).
    """
    zone = load_zone(timezone)
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    return midnight.astimezone(dt.timezone.utc).astimezone(zone)


def instant_of(moment: dt.date | dt.datetime, timezone: str) -> dt.datetime:
    """An aware UTC instant: a date-time as it is, a date as the start of that day in
    `timezone` (how the timeline's checks and a tally's series both place a date-only sample)."""
    if isinstance(moment, dt.datetime):
        return moment.astimezone(dt.timezone.utc)
    return start_of_day(moment, timezone).astimezone(dt.timezone.utc)
