"""Small helpers several test modules share (none of them a test)."""

import datetime as dt
import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from voipdown.languages import SHIPPED


def rotated(items: list, n: int) -> list:
    return items[n % len(items) :] + items[: n % len(items)]


def flask_calls(app, monkeypatch):
    """Count the requests that reach Flask's view functions."""
    calls = []
    original = app.full_dispatch_request

    def counting():
        calls.append(1)
        return original()

    monkeypatch.setattr(app, "full_dispatch_request", counting)
    return calls


def contrast(foreground, background):
    def luminance(color):
        channels = [int(color.lstrip("#").ljust(6, color[-1])[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def texts_of(n: int) -> list:
    """Everything the texts module says, in every language, for a few counts and dates."""
    from voipdown.counting import start_of_day
    from voipdown.texts import KIND_WORDS, UPCOMING, format_day, phrase

    out = []
    for lang in rotated(list(SHIPPED), n):
        for days in (0, 1, 2, 3, 11, 100, 304, 1234567):
            for words in KIND_WORDS.values():
                out.append(phrase(lang, words.ongoing, days=days))
                out.append(phrase(lang, words.ended, days=days))
                out.append(phrase(lang, words.over, days=days, date=dt.date(2016, 11, 4)))
        out.append(phrase(lang, UPCOMING, date=dt.date(2099, 1, 5)))
        out.append(format_day(dt.date(2016, 1, 5), lang))
    for zone in ("Africa/Casablanca", "Asia/Tokyo", "America/Santiago", "Europe/Paris"):
        out.append(start_of_day(dt.date(2024, 3, 10 + n % 3), zone).isoformat())
    return sorted(out)


def server_env(tmp_path, timeline_text: str | None = None, **more: str) -> dict:
    """`voipdown serve` on `timeline_text` (default ONGOING, whose `calls` tally takes pushes),
    with its own stores; `more` settings on top."""
    from tests.timelines import ONGOING

    timeline = tmp_path / "timeline.toml"
    timeline.write_text(ONGOING if timeline_text is None else timeline_text, encoding="utf-8")
    return {
        "VOIPDOWN_TIMELINE": str(timeline),
        "VOIPDOWN_TALLY_STORE": str(tmp_path / "tallies.sqlite3"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        **more,
    }


def push_head(host: str, path: str, token: str, length: int) -> bytes:
    """The head of a JSON push with `token`, its body (`length` bytes) to be sent after."""
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


@dataclass(frozen=True)
class Freshness:
    """When an answer stops being fresh for a browser (its Date plus its max-age: a cache in
    front sends no Age), and its Cache-Control with the numbers left out."""

    expires: float | None
    directives: str


def freshness(headers: dict) -> Freshness:
    control = headers.get("cache-control", "")
    max_age = re.search(r"(?<![-\w])max-age=(\d+)", control)
    expires = parsedate_to_datetime(headers["date"]).timestamp() + int(max_age[1]) if max_age else None
    return Freshness(expires, re.sub(r"\d+", "N", control))


def fresh_alike(one: dict, other: dict) -> bool:
    """The same Cache-Control, and the same instant of expiry give or take the second that
    may tick between two requests (a count's max-age counts down to midnight)."""
    a, b = freshness(one), freshness(other)
    if a.directives != b.directives or (a.expires is None) != (b.expires is None):
        return False
    return a.expires is None or abs(a.expires - b.expires) <= 1
