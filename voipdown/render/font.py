"""The one font badges are drawn with, opened once for shaping, outlines and rasterizing.

HarfBuzz (uharfbuzz) shapes with it, fontTools reads its glyph outlines, and both the
SVG paths and the PNG pixels are made from those same outlines, so the two formats
agree by construction.

One `Font` is shared by every thread of a worker (docs/concurrency.md). HarfBuzz's font
is safe to shape with from many threads. fontTools decodes a glyph the first time it is
drawn, in place, attribute by attribute: a second thread drawing it meanwhile sees it
half-decoded (an AttributeError, or a composite glyph with only some of its parts). So
outlines are drawn under a lock, once per glyph, and kept; the lock was chosen over
decoding every glyph at open by measurement (bench/font_open.py, docs/benchmarks.md).
FreeType faces hold per-draw state (size, transform), so each draw borrows a face of
its own from a pool.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
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


class FacePool:
    """FreeType faces of one file, each used by one draw at a time.

    A face carries the size and transform of the draw in progress, so it is never
    shared. FreeType's one library (freetype-py keeps a global one) lists its faces:
    creating or freeing a face from two threads at once is a data race, so faces are
    made under a lock and kept for the life of the font, never freed by a thread's exit.
    There are at most as many as draws ever ran at once."""

    def __init__(self, path: Path):
        self._path = path
        self._idle: list[freetype.Face] = []
        self._lock = threading.Lock()
        self.created = 0

    @contextmanager
    def face(self) -> Iterator[freetype.Face]:
        with self._lock:
            if self._idle:
                face = self._idle.pop()
            else:
                face = freetype.Face(str(self._path))
                self.created += 1
        try:
            yield face
        finally:
            with self._lock:
                self._idle.append(face)


@dataclass
class Font:
    """A font opened for shaping (HarfBuzz), outlines (fontTools) and rasterizing (FreeType)."""

    path: Path
    hb_font: hb.Font
    units_per_em: int
    cmap: dict[int, str]
    description: str
    """Family and version from the font's name table, e.g. "DejaVu Sans, Version 2.37"."""
    _glyph_set: object = field(repr=False)
    """fontTools' glyph set, which pens need to draw composite glyphs. Not safe to draw
    from two threads at once: only `draw_glyph` touches it, under `decode_lock`."""
    _glyph_order: list[str] = field(repr=False)
    _outlines: dict[int, str] = field(default_factory=dict, repr=False)
    decode_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    faces: FacePool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.faces = FacePool(self.path)

    def freetype_face(self) -> AbstractContextManager[freetype.Face]:
        """A FreeType face of the font for the duration of a `with` block, to this thread alone."""
        return self.faces.face()

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def glyph_count(self) -> int:
        return len(self._glyph_order)

    def glyph_name(self, glyph_id: int) -> str:
        return self._glyph_order[glyph_id]

    def draw_glyph(self, glyph_id: int, pen) -> None:
        """Draw glyph `glyph_id`'s outline, in font units, into a fontTools pen (under the
        decoding lock: fontTools decodes a glyph in place the first time it is drawn)."""
        with self.decode_lock:
            self._glyph_set[self._glyph_order[glyph_id]].draw(pen)

    def outline_path(self, glyph_id: int) -> str:
        """SVG path data of a glyph, in 1/128 em with y up, integers: drawn once per glyph, then kept."""
        path = self._outlines.get(glyph_id)
        if path is None:
            factor = OUTLINE_UNITS_PER_EM / self.units_per_em
            pen = CompactPathPen(self._glyph_set, lambda point: (point[0] * factor, point[1] * factor))
            self.draw_glyph(glyph_id, pen)
            path = self._outlines.setdefault(glyph_id, pen.path())
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
            _glyph_set=tt.getGlyphSet(),
            _glyph_order=tt.getGlyphOrder(),
        )
    except Exception as error:  # fontTools raises many kinds on a bad file
        raise FontUnavailable(f"cannot open the font {path}: {error}") from error
