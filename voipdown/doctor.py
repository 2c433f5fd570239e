"""What the badges are drawn with, and whether it is enough: for `voipdown doctor`.

Shaping (HarfBuzz, through uharfbuzz), rasterizing (FreeType, through freetype-py) and
the bidirectional algorithm (python-bidi) come as wheels with the package; only the
font comes from the system, so it is the one thing that can be missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

from voipdown.badge_content import missing_glyphs
from voipdown.feed import feed_authority
from voipdown.render.font import FontUnavailable, find_font, open_font
from voipdown.settings import Settings
from voipdown.timeline import Timeline
from voipdown.zones import database_version


@dataclass
class Report:
    lines: list[tuple[str, str, str]] = field(default_factory=list)
    """(name, what was found, "ok", "warn" or "FAIL")."""

    def add(self, name: str, value: str, good: bool = True, warning: bool = False) -> None:
        self.lines.append((name, value, "ok" if good else ("warn" if warning else "FAIL")))

    @property
    def ok(self) -> bool:
        """Nothing failed (a warning does not stop badges from being drawn well)."""
        return all(status != "FAIL" for _, _, status in self.lines)


def _package(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def diagnose(settings: Settings, timeline: Timeline) -> Report:
    report = Report()
    try:
        font = open_font(find_font(settings.font))
    except FontUnavailable as error:
        report.add("font", str(error), False)
        font = None
    if font is not None:
        report.add("font", f"{font.path} ({font.description})")
        missing = missing_glyphs(font, timeline)
        if missing:
            detail = "; ".join(f"{lang}: {' '.join(sorted(chars))}" for lang, chars in sorted(missing.items()))
            report.add("glyphs", f"missing for some badge texts: {detail}", False)
        else:
            report.add("glyphs", "every badge text of every language has its glyphs")

    import freetype
    import uharfbuzz

    report.add("harfbuzz", f"HarfBuzz {uharfbuzz.version_string()} (uharfbuzz {_package('uharfbuzz')}): shaping")
    report.add(
        "freetype", f"FreeType {'.'.join(map(str, freetype.version()))} (freetype-py {_package('freetype-py')}): PNG"
    )
    report.add("bidi", f"python-bidi {_package('python-bidi')}: Unicode bidirectional algorithm")

    from PIL import features

    raqm = features.version("raqm")
    fribidi = features.version("fribidi")
    report.add(
        "pillow",
        f"Pillow {_package('pillow')}; its raqm layout {raqm or 'absent'}, FriBiDi {fribidi or 'absent'}"
        " (not needed: badges are shaped by HarfBuzz above)",
    )
    report.add("tzdata", f"IANA {database_version()} (tzdata {_package('tzdata')})")
    unnamed = unstable_feed_ids(settings, timeline)
    if unnamed:
        report.add(
            "feed ids",
            f"follow the Host header for {', '.join(unnamed)}: give the counter a url in the timeline,"
            " or set VOIPDOWN_PUBLIC_URL, so that feed readers keep their entries",
            good=False,
            warning=True,
        )
    else:
        report.add("feed ids", "fixed by each counter's url or VOIPDOWN_PUBLIC_URL")
    return report


def unstable_feed_ids(settings: Settings, timeline: Timeline) -> list[str]:
    """The counters whose feed ids would follow the request's Host header."""
    return [slug for slug, counter in timeline.counters.items() if feed_authority(counter, settings.public_url) is None]
