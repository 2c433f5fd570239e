"""Settings: environment variables prefixed VOIPDOWN_, or the same names in a dict.

Every setting has a default that runs the service with nothing to configure: the
bundled timeline and an in-process cache.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from voipdown.languages import CatalogFolderError, use_catalogs
from voipdown.participants import DEFAULT_LIMITS
from voipdown.timeline import is_http_url

PREFIX = "VOIPDOWN_"
NOT_SETTINGS = {PREFIX + "TALLY_TOKEN"}
"""Read by `voipdown tally push` alone (a feeder's crontab sets it), never by the service."""
log = logging.getLogger(__name__)


def bundled_timeline() -> Path:
    """The timeline shipped in the package (the 2016 Moroccan history)."""
    return Path(str(resources.files("voipdown") / "data" / "timeline.toml"))


def default_store() -> Path:
    """$XDG_STATE_HOME/voipdown/participants.sqlite3 (~/.local/state by default)."""
    import os

    return Path(os.environ.get("XDG_STATE_HOME") or "~/.local/state").expanduser() / "voipdown" / "participants.sqlite3"


class SettingsError(ValueError):
    """A setting with a value the service cannot use; the message names it."""


@dataclass(frozen=True)
class Settings:
    timeline: Path
    """VOIPDOWN_TIMELINE: the timeline file (default: the bundled one)."""
    public_url: str | None = None
    """VOIPDOWN_PUBLIC_URL: the public base URL written in absolute links (default: the request's host)."""
    trust_proxy: int = 0
    """VOIPDOWN_TRUST_PROXY: how many reverse proxies to trust for X-Forwarded-* (default 0: none)."""
    reload_interval: float = 1.0
    """VOIPDOWN_RELOAD_INTERVAL: seconds between two checks of the timeline file for edits."""
    font: str | None = None
    """VOIPDOWN_FONT: the font file badges are drawn with (default: DejaVu Sans from the system)."""
    store: Path | None = None
    """VOIPDOWN_STORE: the SQLite file of discovered participating sites."""
    redis_url: str | None = None
    """VOIPDOWN_REDIS_URL: a Redis server for several workers or hosts (then the store is Redis)."""
    discovery: bool = True
    """VOIPDOWN_DISCOVERY: `off` keeps no trace at all of which sites show the counter."""
    participants_max: int = DEFAULT_LIMITS.hosts
    """VOIPDOWN_PARTICIPANTS_MAX: hosts the participants store keeps at most (the least useful go first)."""
    participants_new_per_hour: int = DEFAULT_LIMITS.new_per_hour
    """VOIPDOWN_PARTICIPANTS_NEW_PER_HOUR: new hosts it takes in an hour at most (more are not kept)."""
    tally_store: Path | None = None
    """VOIPDOWN_TALLY_STORE: the SQLite file of pushed tally samples (beside the participants store)."""
    tally_sync: str = "normal"
    """VOIPDOWN_TALLY_SYNC: `normal` survives a killed process, `full` a power cut too (slower)."""
    catalogs: Path | None = None
    """VOIPDOWN_CATALOGS: a folder of `<lang>/LC_MESSAGES/voipdown.po` adding languages to the shipped ones."""
    collect: bool = True
    """VOIPDOWN_COLLECT: `off`: this service never fetches a tally's source (another one, or cron, does)."""

    @classmethod
    def load(cls, environ: Mapping[str, str], overrides: Mapping[str, Any] | None = None) -> Settings:
        """Read VOIPDOWN_* from `environ`, then `overrides` (same names) on top."""
        known = {PREFIX + name.upper() for name in cls.__dataclass_fields__}
        values: dict[str, Any] = {key: value for key, value in environ.items() if key in known}
        for key in environ:
            if key.startswith(PREFIX) and key not in known and key not in NOT_SETTINGS:
                log.warning("ignoring unknown setting %s (known: %s)", key, ", ".join(sorted(known)))
        for key, value in (overrides or {}).items():
            if key not in known:
                raise SettingsError(f"unknown setting {key} (known: {', '.join(sorted(known))})")
            values[key] = value
        return cls(
            timeline=Path(values.get(PREFIX + "TIMELINE") or bundled_timeline()),
            public_url=_public_url(values.get(PREFIX + "PUBLIC_URL")),
            trust_proxy=_number(values, PREFIX + "TRUST_PROXY", 0, int),
            reload_interval=_number(values, PREFIX + "RELOAD_INTERVAL", 1.0, float),
            font=values.get(PREFIX + "FONT") or None,
            store=Path(values.get(PREFIX + "STORE") or default_store()),
            redis_url=_redis_url(values.get(PREFIX + "REDIS_URL")),
            discovery=_switch(values, PREFIX + "DISCOVERY"),
            participants_max=_number(values, PREFIX + "PARTICIPANTS_MAX", DEFAULT_LIMITS.hosts, int),
            participants_new_per_hour=_number(
                values, PREFIX + "PARTICIPANTS_NEW_PER_HOUR", DEFAULT_LIMITS.new_per_hour, int
            ),
            tally_store=Path(values.get(PREFIX + "TALLY_STORE") or default_store().with_name("tallies.sqlite3")),
            tally_sync=_choice(values, PREFIX + "TALLY_SYNC", ("normal", "full")),
            catalogs=Path(values[PREFIX + "CATALOGS"]).expanduser() if values.get(PREFIX + "CATALOGS") else None,
            collect=_switch(values, PREFIX + "COLLECT"),
        )

    def speak(self) -> None:
        """Make the catalogs of VOIPDOWN_CATALOGS spoken (beside the shipped ones), process-wide."""
        try:
            use_catalogs(self.catalogs)
        except CatalogFolderError as error:
            raise SettingsError(f"{PREFIX}CATALOGS: {error}") from None


def _public_url(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if not is_http_url(value):
        raise SettingsError(f"{PREFIX}PUBLIC_URL must be an http:// or https:// URL")
    return str(value).rstrip("/")


def _redis_url(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if not str(value).startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError(f"{PREFIX}REDIS_URL must start with redis://, rediss:// or unix://")
    return str(value)


def _switch(values: Mapping[str, Any], key: str) -> bool:
    raw = str(values.get(key, "on")).strip().lower()
    if raw in ("on", "1", "true", "yes", ""):
        return True
    if raw in ("off", "0", "false", "no"):
        return False
    raise SettingsError(f"{key} must be on or off")


def _choice(values: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    raw = str(values.get(key) or allowed[0]).strip().lower()
    if raw not in allowed:
        raise SettingsError(f"{key} must be one of: {', '.join(allowed)}")
    return raw


def _number(values: Mapping[str, Any], key: str, default, kind):
    raw = values.get(key)
    if raw in (None, ""):
        return default
    try:
        number = kind(raw)
    except (TypeError, ValueError):
        raise SettingsError(f"{key} must be a number") from None
    if number < 0:
        raise SettingsError(f"{key} must not be negative")
    return number
