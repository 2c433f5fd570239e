"""Charts, measured: the time to lay out and draw a tally's chart from 10,000 samples, SVG and
PNG, small (the sparkline) and large, against drawing the counter's badge in the same run.

    python bench/charts.py [--rounds 50]

Each figure is the median of `rounds` draws, after one warm-up draw (fonts and CLDR data
loaded), in one process; the badge is the reference measured alongside.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from voipdown.badge_content import counter_badge  # noqa: E402
from voipdown.chart_content import tally_chart  # noqa: E402
from voipdown.counting import count_at  # noqa: E402
from voipdown.render.chart_png import render_chart_png  # noqa: E402
from voipdown.render.chart_svg import render_chart_svg  # noqa: E402
from voipdown.render.font import find_font, open_font  # noqa: E402
from voipdown.render.png import render_png  # noqa: E402
from voipdown.render.svg import render_svg  # noqa: E402
from voipdown.settings import bundled_timeline  # noqa: E402
from voipdown.tallies.model import Point  # noqa: E402
from voipdown.timeline import load_timeline  # noqa: E402

SAMPLES = 10_000


def samples() -> list[Point]:
    """A week of per-minute running totals (100 to 220 more a minute, some minutes fewer)."""
    start = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    total, points = 0, []
    for minute in range(SAMPLES):
        total += 100 + (minute * 37) % 121 - (60 if minute % 97 == 0 else 0)
        instant = start + dt.timedelta(minutes=minute)
        points.append(Point(instant, instant, total))
    return points


def median_ms(draw, rounds: int) -> float:
    draw()
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        draw()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    rounds = parser.parse_args().rounds
    font = open_font(find_font())
    counter = load_timeline(bundled_timeline()).counters["voip-ma"]
    tally = counter.tallies["maroc-telecom"]
    count = count_at(counter, dt.datetime(2026, 11, 23, 12, tzinfo=dt.timezone.utc))
    points = samples()
    badge = {
        "svg": median_ms(lambda: render_svg(counter_badge(font, counter, count, "ar", "flat", None), font), rounds),
        "png": median_ms(lambda: render_png(counter_badge(font, counter, count, "ar", "flat", None), font, 2), rounds),
    }
    print(f"{SAMPLES:,} samples, median of {rounds} draws (ms); Arabic, the longest texts")
    print(f"{'reference: the counter badge':<34}svg {badge['svg']:6.2f}  png {badge['png']:6.2f}")
    for size, targets in (("small", (5, 30)), ("large", (5, 30))):
        svg = median_ms(
            lambda size=size: render_chart_svg(tally_chart(font, counter, tally, points, "ar", size), font), rounds
        )
        png = median_ms(
            lambda size=size: render_chart_png(tally_chart(font, counter, tally, points, "ar", size), font, 2), rounds
        )
        verdict = " ".join(
            f"{name} {'met' if value <= target else 'MISSED'} (<= {target})"
            for name, value, target in (("svg", svg, targets[0]), ("png", png, targets[1]))
        )
        print(
            f"{'chart, ' + size:<34}svg {svg:6.2f}  png {png:6.2f}"
            f"   x badge: svg {svg / badge['svg']:.1f}, png {png / badge['png']:.1f}   {verdict}"
        )


if __name__ == "__main__":
    main()
