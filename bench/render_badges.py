"""Cold badge rendering: median time to draw a badge that no cache holds, SVG and PNG.

Each sample is a distinct badge (language, style, colour and day count all vary), drawn
by the core directly, with no response cache in the way. The font is opened once, as
in a running service; glyph outlines are kept per glyph, as any renderer keeps its
font data. The reference in the same run is shields.io's renderer, npm `badge-maker`
(bench/badge_maker.mjs), drawing badges with the same words.

    python bench/render_badges.py [--samples N] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from voipdown.badge_content import counter_badge  # noqa: E402
from voipdown.counting import Count, Status  # noqa: E402
from voipdown.languages import SHIPPED  # noqa: E402
from voipdown.palette import PALETTE  # noqa: E402
from voipdown.render.font import find_font, open_font  # noqa: E402
from voipdown.render.png import render_png  # noqa: E402
from voipdown.render.styles import STYLES  # noqa: E402
from voipdown.render.svg import render_svg  # noqa: E402
from voipdown.settings import bundled_timeline  # noqa: E402
from voipdown.timeline import load_timeline  # noqa: E402


def samples(count: int):
    """Distinct badges: every language x style x colour, with a different day count each."""
    counter = load_timeline(bundled_timeline()).default_counter
    combos = itertools.cycle(itertools.product(SHIPPED, STYLES, PALETTE))
    for days in range(1000, 1000 + count):
        lang, style, color = next(combos)
        count_ = Count(Status.ONGOING, days, dt.date(2019, 1, 1), None)
        yield counter, count_, lang, style, color


def measure(count: int) -> dict:
    started = time.perf_counter()
    font = open_font(find_font())
    startup_ms = (time.perf_counter() - started) * 1000
    svg_times, png_times, sizes = [], [], []
    for counter, count_, lang, style, color in samples(count):
        began = time.perf_counter()
        layout = counter_badge(font, counter, count_, lang, style, color)
        svg = render_svg(layout, font)
        svg_times.append(time.perf_counter() - began)
        sizes.append(len(gzip.compress(svg.encode(), 9)))
        began = time.perf_counter()
        layout = counter_badge(font, counter, count_, lang, style, color)
        render_png(layout, font, 2)
        png_times.append(time.perf_counter() - began)
    return {
        "samples": count,
        "font_open_ms": round(startup_ms, 2),
        "svg_median_ms": round(statistics.median(svg_times) * 1000, 3),
        "svg_p90_ms": round(statistics.quantiles(svg_times, n=10)[-1] * 1000, 3),
        "png_median_ms": round(statistics.median(png_times) * 1000, 3),
        "png_p90_ms": round(statistics.quantiles(png_times, n=10)[-1] * 1000, 3),
        "svg_gzip_max_bytes": max(sizes),
    }


def badge_maker(count: int) -> dict | None:
    """The peer, npm badge-maker, installed into bench/node_modules on first use."""
    if not shutil.which("node") or not shutil.which("npm"):
        return None
    if not (HERE / "node_modules" / "badge-maker").is_dir():
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(HERE), "badge-maker@4"],
            check=True,
        )
    output = subprocess.run(
        ["node", str(HERE / "badge_maker.mjs"), str(count)], check=True, capture_output=True, text=True, cwd=HERE
    ).stdout
    return json.loads(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    ours = measure(args.samples)
    peer = badge_maker(args.samples)
    result = {"voipdown": ours, "badge_maker": peer, "python": sys.version.split()[0], "cpus": os.cpu_count()}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{args.samples} distinct badges, median (p90), on {os.cpu_count()} cores")
    print(f"  voipdown SVG  {ours['svg_median_ms']} ms ({ours['svg_p90_ms']} ms)   target <= 0.5 ms")
    print(f"  voipdown PNG  {ours['png_median_ms']} ms ({ours['png_p90_ms']} ms)   target <= 5 ms, scale 2")
    print(f"  largest SVG   {ours['svg_gzip_max_bytes']} bytes gzipped   target <= 3072")
    print(f"  font opened in {ours['font_open_ms']} ms, once per process")
    if peer:
        ratio = ours["svg_median_ms"] / peer["median_ms"]
        print(f"  badge-maker SVG {peer['median_ms']} ms ({peer['p90_ms']} ms): ours takes {ratio:.1f}x its time")
    else:
        print("  badge-maker: node/npm not found, peer not measured")


if __name__ == "__main__":
    main()
