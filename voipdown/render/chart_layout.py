"""A tally's chart as geometry: where the line, the dots, the axes and the events go.

Like `layout_badge`, a pure function: what to draw in (`ChartSpec`: the points, the
ticks with their words, the event marks, the sentence, all decided by the core's
voipdown/chart_content.py), positions and shaped labels out; the SVG and PNG writers only
draw what it decided, so both look the same. It knows no words, no timeline and no tally:
it places the strings, numbers and instants it is given, left to right in every language,
and leaves out a time label that would overlap the one before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from voipdown.render.font import Font
from voipdown.render.shaping import ShapedLine, shape_line

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


@dataclass(frozen=True)
class Plotted:
    """One point of the line."""

    instant: dt.datetime
    value: int


@dataclass(frozen=True)
class ValueTick:
    value: int
    text: str


@dataclass(frozen=True)
class TimeTick:
    instant: dt.datetime
    text: str


@dataclass(frozen=True)
class Marked:
    """An event to mark at an instant, and its title."""

    instant: dt.datetime
    title: str


@dataclass(frozen=True)
class ChartSpec:
    """What a chart shows, decided before it is drawn."""

    size: str
    sentence: str
    """The title (the large chart) and the alternative text of every chart."""
    lang: str
    rtl: bool
    color: str
    points: tuple[Plotted, ...]
    """Left to right; at most one or two a pixel column (see `plot_area`)."""
    dotted: bool
    """Every point a dot (few samples), else only the latest."""
    start: dt.datetime
    end: dt.datetime
    """The time the x axis spans."""
    low: int
    high: int
    """The values the y axis spans (low < high)."""
    value_ticks: tuple[ValueTick, ...] = ()
    time_ticks: tuple[TimeTick, ...] = ()
    events: tuple[Marked, ...] = ()


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


def plot_area(font: Font, size: str, value_texts: Sequence[str]) -> tuple[float, float, float, float]:
    """Left, top, right, bottom of the plotting area, in px: the large chart leaves room on
    the left for its widest value label. Its width is how many points are worth drawing."""
    chosen = SIZES[size]
    if not chosen.labelled:
        margin = chosen.dot + 1
        return (margin, margin, chosen.width - margin, chosen.height - margin)
    widest = max(
        (shape_line(font, text, False).advance * LABEL_PX / font.units_per_em for text in value_texts), default=0
    )
    return (12 + widest + 6, 34.0, chosen.width - 16.0, chosen.height - 26.0)


def chart_layout(font: Font, spec: ChartSpec) -> ChartLayout:
    """Lay out the chart `spec` describes."""
    chosen = SIZES[spec.size]
    rtl = spec.rtl
    labels: list[Label] = []
    grid: list[float] = []
    marks: list[EventMark] = []
    plot = plot_area(font, spec.size, [tick.text for tick in spec.value_ticks])
    if not spec.points:
        return ChartLayout(chosen, plot, (), (), spec.color, (), (), (), spec.sentence, spec.lang, font.units_per_em)
    if chosen.labelled:
        heading = dict(right=chosen.width - 12) if rtl else dict(left=12)
        room = chosen.width - 24
        wide = shape_line(font, spec.sentence, rtl).advance * TITLE_PX / font.units_per_em
        px = TITLE_PX * min(1.0, room / wide) if wide else TITLE_PX  # a long title is made smaller, never cut
        labels.append(_label(font, spec.sentence, rtl, px, TITLE_COLOR, 20, **heading))
    x_left, top, x_right, bottom = plot
    start, end, low, high = spec.start, spec.end, spec.low, spec.high

    def x_of(instant: dt.datetime) -> float:
        return x_left + (instant - start).total_seconds() / (end - start).total_seconds() * (x_right - x_left)

    def y_of(value: int) -> float:
        return bottom - (value - low) / (high - low) * (bottom - top)

    line = tuple((x_of(point.instant), y_of(point.value)) for point in spec.points)
    dots = line if spec.dotted else line[-1:]

    if chosen.labelled:
        for tick in spec.value_ticks:
            y = y_of(tick.value)
            grid.append(y)
            label = _label(font, tick.text, False, LABEL_PX, AXIS_TEXT_COLOR, 0, left=0)
            labels.append(
                Label(label.line, x_left - 6 - _width(label, font), y + LABEL_PX * 0.35, label.px, label.color)
            )
        shown_right = -float("inf")
        for tick in spec.time_ticks:
            label = _label(
                font, tick.text, rtl, LABEL_PX, AXIS_TEXT_COLOR, chosen.height - 9, centre=x_of(tick.instant)
            )
            width = _width(label, font)
            x = min(max(label.x, 2), chosen.width - 2 - width)  # never cut at the edges
            if x > shown_right + 8:
                labels.append(Label(label.line, x, label.baseline, label.px, label.color))
                shown_right = x + width
        by_x: dict[float, list[str]] = {}
        for event in spec.events:
            if start <= event.instant <= end:
                by_x.setdefault(round(x_of(event.instant), 1), []).append(event.title)
        marks = [EventMark(x, " · ".join(titles)) for x, titles in sorted(by_x.items())]
    return ChartLayout(
        chosen,
        plot,
        line,
        dots,
        spec.color,
        tuple(grid),
        tuple(marks),
        tuple(labels),
        spec.sentence,
        spec.lang,
        font.units_per_em,
    )
