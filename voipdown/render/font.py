"""The one font badges are drawn with, opened once for shaping, outlines and rasterizing.

HarfBuzz (uharfbuzz) shapes with it, fontTools reads its glyph outlines, and both the
SVG paths and the PNG pixels are made from those same outlines, so the two formats
agree by construction.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import freetype
import uharfbuzz as hb
from fontTools.ttLib import TTFont

from voipdown.render.paths import CompactPathPen

# Debian's fonts-dejavu-core, and where other systems keep DejaVu Sans.
DEFAULT_FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/local/share/fonts/DejaVuSans.ttf",
    "/Library/Fonts/DejaVuSans.ttf",
)

OUTLINE_UNITS_PER_EM = 128
"""Glyph outlines are written in 1/128 em, as integers: within 0.05 px at badge sizes, and short."""


class FontUnavailable(RuntimeError):
    """No usable font file: badges cannot be drawn (the service still runs, degraded)."""


def find_font(configured: str | None = None) -> Path:
    """The font to use: `configured` (VOIPDOWN_FONT) if given, else DejaVu Sans from the system."""
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise FontUnavailable(f"VOIPDOWN_FONT is not a file: {configured}")
        return path
    for candidate in DEFAULT_FONT_PATHS:
        if os.path.isfile(candidate):
            return Path(candidate)
    if shutil.which("fc-match"):
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", "DejaVu Sans:style=Book"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        if found and Path(found).is_file() and "dejavusans" in Path(found).name.lower().replace("-", ""):
            return Path(found)
    raise FontUnavailable("DejaVu Sans not found: install fonts-dejavu-core or set VOIPDOWN_FONT")


@dataclass
class Font:
    """A font opened for shaping (HarfBuzz) and for outlines (fontTools)."""

    path: Path
    hb_font: hb.Font
    units_per_em: int
    cmap: dict[int, str]
    description: str
    """Family and version from the font's name table, e.g. "DejaVu Sans, Version 2.37"."""
    glyph_set: object = field(repr=False)
    """fontTools' glyph set, which pens need to draw composite glyphs."""
    _glyph_order: list[str] = field(repr=False)
    _outlines: dict[int, str] = field(default_factory=dict, repr=False)
    _local: threading.local = field(default_factory=threading.local, repr=False)

    def freetype_face(self) -> freetype.Face:
        """This thread's FreeType face of the font (a face is not safe to share between threads)."""
        face = getattr(self._local, "face", None)
        if face is None:
            face = self._local.face = freetype.Face(str(self.path))
        return face

    @property
    def name(self) -> str:
        return self.path.name

    def glyph_name(self, glyph_id: int) -> str:
        return self._glyph_order[glyph_id]

    def draw_glyph(self, glyph_id: int, pen) -> None:
        """Draw glyph `glyph_id`'s outline, in font units, into a fontTools pen."""
        self.glyph_set[self._glyph_order[glyph_id]].draw(pen)

    def outline_path(self, glyph_id: int) -> str:
        """SVG path data of a glyph, in 1/128 em with y up, integers: cached per glyph."""
        path = self._outlines.get(glyph_id)
        if path is None:
            factor = OUTLINE_UNITS_PER_EM / self.units_per_em
            pen = CompactPathPen(self.glyph_set, lambda point: (point[0] * factor, point[1] * factor))
            self.draw_glyph(glyph_id, pen)
            path = pen.path()
            self._outlines[glyph_id] = path
        return path

    def missing_characters(self, text: str) -> set[str]:
        """Characters of `text` the font has no glyph for (they would show as boxes)."""
        return {char for char in text if ord(char) not in self.cmap and not char.isspace()}


@lru_cache(maxsize=4)
def open_font(path: Path) -> Font:
    """Open `path` once per process; raise FontUnavailable if it is not a usable font."""
    try:
        data = Path(path).read_bytes()
        face = hb.Face(hb.Blob(data))
        tt = TTFont(path, lazy=True)
        head = tt["head"]
        return Font(
            path=Path(path),
            hb_font=hb.Font(face),
            units_per_em=head.unitsPerEm,
            cmap=tt.getBestCmap() or {},
            description=f"{tt['name'].getBestFamilyName()}, {tt['name'].getDebugName(5) or 'no version'}",
            glyph_set=tt.getGlyphSet(),
            _glyph_order=tt.getGlyphOrder(),
        )
    except Exception as error:  # fontTools raises many kinds on a bad file
        raise FontUnavailable(f"cannot open the font {path}: {error}") from error
