"""A tally's chart as geometry: where the line, the dots, the axes and the events go.

Like `layout_badge`, a pure function: points and texts in, positions and shaped labels
out; the SVG and PNG writers only draw what it decided, so both look the same. The time
axis runs left to right in every language, its ticks fall on the counter's own wall
clock (midnights, whole hours, first days of months) and say so in the language. Only
real samples are drawn: the line joins them, and when there are few each is a dot.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from voipdown.render.font import Font
from voipdown.render.shaping import ShapedLine, shape_line
from voipdown.tallies import Point, downsample
from voipdown.texts import axis_label, format_number
from voipdown.zones import load_zone, start_of_day

DOTS_UP_TO = 40
"""With this many samples or fewer, every sample is a dot (else only the latest)."""
GRID_COLOR = "#e5e7eb"
AXIS_TEXT_COLOR = "#4b5563"
EVENT_COLOR = "#9ca3af"
TITLE_COLOR = "#111827"
BACKGROUND = "#ffffff"


@dataclass(frozen=True)
class ChartSize:
    name: str
    width: int
    height: int
    stroke: float
    dot: float
    labelled: bool
    """Axes, title and events (the large chart), or the line alone (the sparkline)."""


SIZES = {
    size.name: size
    for size in (
        ChartSize("small", 120, 24, 1.5, 2, labelled=False),
        ChartSize("large", 640, 320, 2, 3, labelled=True),
    )
}
DEFAULT_SIZE = "small"
LABEL_PX = 11
TITLE_PX = 13


@dataclass(frozen=True)
class Label:
    line: ShapedLine
    x: float
    """The left edge of the shaped text, in px."""
    baseline: float
    px: float
    """Font size, px per em."""
    color: str


@dataclass(frozen=True)
class EventMark:
    x: float
    title: str


@dataclass(frozen=True)
class ChartLayout:
    size: ChartSize
    plot: tuple[float, float, float, float]
    """Left, top, right, bottom of the plotting area, in px."""
    line: tuple[tuple[float, float], ...]
    """The samples drawn, left to right (min and max of each column when there are many)."""
    dots: tuple[tuple[float, float], ...]
    color: str
    grid: tuple[float, ...]
    """The y of each horizontal grid line (the large chart)."""
    events: tuple[EventMark, ...]
    labels: tuple[Label, ...]
    sentence: str
    """The chart in words, for `aria-label` and `<title>`."""
    lang: str
    units_per_em: int

    @property
    def width(self) -> int:
        return self.size.width

    @property
    def height(self) -> int:
        return self.size.height


# The time axis: the smallest step that gives at most a few ticks, on the wall clock.
_CLOCK_STEPS = (60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400)
_MONTH_STEPS = (1, 3, 6)
_DAY = 86400
_MONTH = 30.44 * _DAY


def _days(first: dt.date, last: dt.date):
    for ordinal in range(first.toordinal(), last.toordinal() + 1):
        yield dt.date.fromordinal(ordinal)


def time_ticks(
    start: dt.datetime, end: dt.datetime, timezone: str, most: int, *, whole_days: bool = False
) -> list[tuple[dt.datetime, str]]:
    """Ticks between two instants, as (instant, kind of label), at most about `most` of them;
    only midnights or coarser with `whole_days` (samples known to the day: no hour to show)."""
    zone = load_zone(timezone)
    span = (end - start).total_seconds()
    first_day, last_day = start.astimezone(zone).date(), end.astimezone(zone).date()
    ticks: dict[dt.datetime, str] = {}
    steps = [step for step in _CLOCK_STEPS if step >= _DAY or not whole_days]
    step = next((step for step in steps if span / step <= most), None)
    if step is not None and step >= _DAY:
        for day in _days(first_day, last_day):
            if (day.toordinal() - 1) % (step // _DAY) == 0:  # every other day, or Mondays
                ticks[start_of_day(day, timezone)] = "day"
    elif step is not None:
        for day in _days(first_day, last_day):
            midnight = dt.datetime.combine(day, dt.time())
            for seconds in range(0, _DAY, step):
                wall = midnight + dt.timedelta(seconds=seconds)
                instant = wall.replace(tzinfo=zone).astimezone(dt.timezone.utc)
                ticks.setdefault(instant, "day" if seconds == 0 else "time")
    else:
        months = next((months for months in _MONTH_STEPS if span / (months * _MONTH) <= most), None)
        years = max(1, math.ceil(span / (365.25 * _DAY) / most))
        for day in _days(first_day, last_day):
            if day.day != 1:
                continue
            if months is not None and (day.month - 1) % months == 0:
                ticks[start_of_day(day, timezone)] = "month-year" if day.month == 1 else "month"
            elif months is None and day.month == 1 and day.year % years == 0:
                ticks[start_of_day(day, timezone)] = "year"
    return sorted((instant, kind) for instant, kind in ticks.items() if start <= instant <= end)


def value_ticks(low: int, high: int, most: int = 4) -> list[int]:
    """Round values (1, 2 or 5 times a power of ten apart) covering `low` to `high`."""
    raw = max((high - low) / most, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(1, round(step))
    first, last = math.floor(low / step) * step, math.ceil(high / step) * step
    return list(range(first, last + step, step))


def _extent(points: Sequence[Point]) -> tuple[dt.datetime, dt.datetime]:
    """The time the chart spans: the samples', widened around a single instant."""
    start, end = points[0].instant, points[-1].instant
    if start == end:
        half = dt.timedelta(hours=12) if points[0].precision == "day" else dt.timedelta(minutes=30)
        start, end = start - half, end + half
    return start, end


def _label(
    font: Font, text: str, rtl: bool, px: float, color: str, baseline: float, *, left=None, right=None, centre=None
):
    line = shape_line(font, text, rtl)
    width = line.advance * px / font.units_per_em
    if centre is not None:
        x = centre - width / 2
    elif right is not None:
        x = right - width
    else:
        x = left
    return Label(line, x, baseline, px, color)


def _width(label: Label, font: Font) -> float:
    return label.line.advance * label.px / font.units_per_em


def chart_layout(
    font: Font,
    points: Sequence[Point],
    *,
    size: str,
    lang: str,
    rtl: bool,
    timezone: str,
    sentence: str,
    events: Sequence[tuple[dt.datetime, str]],
    color: str,
) -> ChartLayout:
    """Lay out the chart of `points` (by instant); `sentence` is its title and alternative
    text (the tally and its latest value); `events` are (instant, title) to mark."""
    chosen = SIZES[size]
    labels: list[Label] = []
    grid: list[float] = []
    marks: list[EventMark] = []
    if not chosen.labelled:
        margin = chosen.dot + 1
        plot = (margin, margin, chosen.width - margin, chosen.height - margin)
    else:
        plot = (0.0, 34.0, chosen.width - 16.0, chosen.height - 26.0)
    if not points:
        return ChartLayout(chosen, plot, (), (), color, (), (), (), sentence, lang, font.units_per_em)

    every_value = [point.value for point in points]
    low, high = min(every_value), max(every_value)
    if chosen.labelled:
        heading = dict(right=chosen.width - 12) if rtl else dict(left=12)
        room = chosen.width - 24
        wide = shape_line(font, sentence, rtl).advance * TITLE_PX / font.units_per_em
        px = TITLE_PX * min(1.0, room / wide) if wide else TITLE_PX  # a long title is made smaller, never cut
        labels.append(_label(font, sentence, rtl, px, TITLE_COLOR, 20, **heading))
        values = value_ticks(low, high)
        low, high = values[0], values[-1]
        value_labels = [
            _label(font, format_number(value, lang), False, LABEL_PX, AXIS_TEXT_COLOR, 0, left=0) for value in values
        ]
        left = 12 + max(_width(label, font) for label in value_labels) + 6
        plot = (left, plot[1], plot[2], plot[3])
    if low == high:  # a flat series sits in the middle
        low, high = low - 1, high + 1
    start, end = _extent(points)
    x_left, top, x_right, bottom = plot

    def x_of(instant: dt.datetime) -> float:
        return x_left + (instant - start).total_seconds() / (end - start).total_seconds() * (x_right - x_left)

    def y_of(value: int) -> float:
        return bottom - (value - low) / (high - low) * (bottom - top)

    drawn = downsample(points, max(2, round(x_right - x_left)))
    line = tuple((x_of(point.instant), y_of(point.value)) for point in drawn)
    dots = line if len(points) <= DOTS_UP_TO else line[-1:]

    if chosen.labelled:
        for value, label in zip(values, value_labels, strict=True):
            y = y_of(value)
            grid.append(y)
            labels.append(
                Label(label.line, x_left - 6 - _width(label, font), y + LABEL_PX * 0.35, label.px, label.color)
            )
        shown_right = -math.inf
        whole_days = all(point.precision == "day" for point in points)
        most = max(2, int((x_right - x_left) // 90))
        for instant, kind in time_ticks(start, end, timezone, most, whole_days=whole_days):
            local = instant.astimezone(load_zone(timezone)).replace(tzinfo=None)
            text = axis_label(local, kind, lang)
            label = _label(font, text, rtl, LABEL_PX, AXIS_TEXT_COLOR, chosen.height - 9, centre=x_of(instant))
            width = _width(label, font)
            x = min(max(label.x, 2), chosen.width - 2 - width)  # never cut at the edges
            if x > shown_right + 8:
                labels.append(Label(label.line, x, label.baseline, label.px, label.color))
                shown_right = x + width
        by_x: dict[float, list[str]] = {}
        for instant, event_title in events:
            if start <= instant <= end:
                by_x.setdefault(round(x_of(instant), 1), []).append(event_title)
        marks = [EventMark(x, " · ".join(titles)) for x, titles in sorted(by_x.items())]
    return ChartLayout(
        chosen, plot, line, dots, color, tuple(grid), tuple(marks), tuple(labels), sentence, lang, font.units_per_em
    )
