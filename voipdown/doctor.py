"""What the badges are drawn with, and whether it is enough: for `voipdown doctor`.

Shaping (HarfBuzz, through uharfbuzz), rasterizing (FreeType, through freetype-py) and
the bidirectional algorithm (python-bidi) come as wheels with the package; only the
font comes from the system, so it is the one thing that can be missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

from voipdown.badge_content import missing_glyphs
from voipdown.render.font import FontUnavailable, find_font, open_font
from voipdown.settings import Settings
from voipdown.timeline import Timeline
from voipdown.zones import database_version


@dataclass
class Report:
    lines: list[tuple[str, str, bool]] = field(default_factory=list)

    def add(self, name: str, value: str, good: bool = True) -> None:
        self.lines.append((name, value, good))

    @property
    def ok(self) -> bool:
        return all(good for _, _, good in self.lines)


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
    return report
