"""A compact SVG path pen: integer, relative commands, with `t` for TrueType's implied points.

Badges must stay small (under 3 KB gzipped, Arabic included). fontTools' SVGPathPen
writes absolute coordinates and spells out every quadratic control point; here two
off-curve points in a row become `q` then `t` (their implied on-curve point is the
midpoint, so the next control point is the reflection SVG's `t` assumes), and
coordinates are relative, which makes the numbers short and repetitive for gzip.
"""

from __future__ import annotations

from fontTools.pens.basePen import BasePen


class CompactPathPen(BasePen):
    def __init__(self, glyph_set, transform=lambda point: point):
        super().__init__(glyph_set)
        self._transform = transform
        self._parts: list[str] = []
        self._last_command = ""
        self._current = (0, 0)
        self._start = (0, 0)

    def _point(self, point) -> tuple[int, int]:
        x, y = self._transform(point)
        return round(x), round(y)

    def _emit(self, command: str, *numbers: int) -> None:
        text = ""
        for number in numbers:
            if text and number >= 0:
                text += " "
            text += str(number)
        if command != self._last_command or command in "mz":
            self._parts.append(command)
        elif text and numbers[0] >= 0:
            self._parts.append(" ")
        self._parts.append(text)
        self._last_command = command

    def _relative(self, point) -> tuple[int, int]:
        return point[0] - self._current[0], point[1] - self._current[1]

    def _moveTo(self, pt):
        point = self._point(pt)
        self._emit("m", *self._relative(point))
        self._current = self._start = point

    def _lineTo(self, pt):
        point = self._point(pt)
        dx, dy = self._relative(point)
        if dy == 0:
            self._emit("h", dx)
        elif dx == 0:
            self._emit("v", dy)
        else:
            self._emit("l", dx, dy)
        self._current = point

    def _curveToOne(self, pt1, pt2, pt3):
        points = [self._point(pt) for pt in (pt1, pt2, pt3)]
        self._emit("c", *self._relative(points[0]), *self._relative(points[1]), *self._relative(points[2]))
        self._current = points[2]

    def _qCurveToOne(self, pt1, pt2):
        control, end = self._point(pt1), self._point(pt2)
        self._emit("q", *self._relative(control), *self._relative(end))
        self._current = end

    def qCurveTo(self, *points):
        if points[-1] is None or len(points) < 3:
            super().qCurveTo(*points)  # all-off-curve contours and single segments: the usual way
            return
        *controls, end = points
        first = self._point(controls[0])
        for index, control in enumerate(controls):
            if index + 1 < len(controls):
                nxt = controls[index + 1]
                on = self._point(((control[0] + nxt[0]) / 2, (control[1] + nxt[1]) / 2))
            else:
                on = self._point(end)
            if index == 0:
                self._emit("q", *self._relative(first), *self._relative(on))
            else:
                self._emit("t", *self._relative(on))
            self._current = on

    def _closePath(self):
        self._emit("z")
        self._current = self._start

    _endPath = _closePath

    def path(self) -> str:
        return "".join(self._parts)
