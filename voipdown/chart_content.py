"""What a tally's chart says: its points, its words, its ticks and dates, its event marks.

The core half of a chart, beside badge_content.py: it reads the tally's series, the
counter's events and clock, and the catalogs, and hands the drawing layer
(voipdown/render/chart_layout.py) strings, numbers and instants. The time axis's ticks
fall on the counter's own wall clock (midnights, whole hours, first days of months) and
say so in the language; only real samples are drawn, thinned to the lowest and highest of
each pixel column when there are many.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from voipdown.languages import is_rtl
from voipdown.palette import PALETTE, TALLY_COLOR
from voipdown.render.chart_layout import (
    SIZES,
    ChartLayout,
    ChartSpec,
    Marked,
    Plotted,
    TimeTick,
    ValueTick,
    chart_layout,
    plot_area,
)
from voipdown.render.font import Font
from voipdown.tallies.model import Point, Tally
from voipdown.tallies.series import downsample
from voipdown.texts import axis_label, event_title, format_number, label_and_message, tally_message
from voipdown.timeline import Counter
from voipdown.zones import load_zone, start_of_day

DOTS_UP_TO = 40
"""With this many samples or fewer, every sample is a dot (else only the latest)."""

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


def chart_spec(
    font: Font,
    points: Sequence[Point],
    *,
    size: str,
    lang: str,
    timezone: str,
    sentence: str,
    events: Sequence[Marked],
    color: str,
    locale: str | None = None,
) -> ChartSpec:
    """What the chart of `points` (by instant) shows; `sentence` is its title and alternative
    text, `events` the instants to mark; `locale` writes its numbers and dates (a counter's)."""
    chosen = SIZES[size]
    rtl = is_rtl(lang)
    if not points:
        epoch = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)  # nothing to place: any span will do
        return ChartSpec(size, sentence, lang, rtl, color, (), False, epoch, epoch + dt.timedelta(days=1), 0, 1)
    every_value = [point.value for point in points]
    low, high = min(every_value), max(every_value)
    value_marks: tuple[ValueTick, ...] = ()
    if chosen.labelled:
        values = value_ticks(low, high)
        low, high = values[0], values[-1]
        value_marks = tuple(ValueTick(value, format_number(value, lang, locale)) for value in values)
    if low == high:  # a flat series sits in the middle
        low, high = low - 1, high + 1
    start, end = _extent(points)
    x_left, _, x_right, _ = plot_area(font, size, [tick.text for tick in value_marks])
    drawn = downsample(points, max(2, round(x_right - x_left)))
    time_marks: tuple[TimeTick, ...] = ()
    if chosen.labelled:
        zone = load_zone(timezone)
        whole_days = all(point.precision == "day" for point in points)
        most = max(2, int((x_right - x_left) // 90))
        time_marks = tuple(
            TimeTick(instant, axis_label(instant.astimezone(zone).replace(tzinfo=None), kind, lang, locale))
            for instant, kind in time_ticks(start, end, timezone, most, whole_days=whole_days)
        )
    return ChartSpec(
        size,
        sentence,
        lang,
        rtl,
        color,
        tuple(Plotted(point.instant, point.value) for point in drawn),
        len(points) <= DOTS_UP_TO,
        start,
        end,
        low,
        high,
        value_marks,
        time_marks,
        tuple(events) if chosen.labelled else (),
    )


def tally_chart(
    font: Font, counter: Counter, tally: Tally, points: Sequence[Point], lang: str, size: str
) -> ChartLayout:
    """The chart of a tally: its samples, its title and latest value, the counter's events."""
    title = tally.title_in(lang)
    value = points[-1].value if points else None
    spec = chart_spec(
        font,
        points,
        size=size,
        lang=lang,
        timezone=tally.timezone,
        sentence=label_and_message(title, tally_message(value, tally.unit, lang, tally.locale_in(lang))),
        events=[Marked(tally.instant_of(event.date), event_title(event, counter, lang)[0]) for event in counter.events],
        color=PALETTE[TALLY_COLOR],
        locale=tally.locale_in(lang),
    )
    return chart_layout(font, spec)
