"""How a worker should make its shared font safe for its threads: three ways, measured.

fontTools decodes a glyph in place the first time it is drawn, so a font shared by
threads must either draw under a lock or have nothing left to decode. Each way is
measured in a fresh process, as a new worker would be:

- `lock` (what voipdown/render/font.py does): lazy fontTools font; each outline drawn
  once, under a lock, then kept;
- `eager`: every glyph decoded when the font is opened (TTFont(lazy=False) and
  `ensureDecompiled()`), then drawn without a lock;
- `all-outlines`: the SVG path of every glyph drawn when the font is opened.

For each: the time to open the font, the worker's resident memory once the badges
below were drawn, and the cold SVG latency: the 32 badges of every language and style,
drawn at once by 8 threads on the fresh font (p50, p90, max).

    python bench/font_open.py [--rounds 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

STRATEGIES = ("lock", "eager", "all-outlines")
THREADS = 8


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _open(strategy: str):
    """The font opened the way `strategy` says; returns it once it is safe to share."""
    from fontTools.ttLib import TTFont

    from voipdown.render.font import find_font, open_font

    path = find_font()
    font = open_font.__wrapped__(path)  # a fresh font, not the process's cached one
    if strategy == "eager":
        tt = TTFont(path, lazy=False)
        tt.ensureDecompiled()
        font._glyph_set = tt.getGlyphSet()
        font.decode_lock = _NoLock()  # nothing is left to decode
    elif strategy == "all-outlines":
        for glyph_id in range(len(font._glyph_order)):
            font.outline_path(glyph_id)
    return font


class _NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def one_worker(strategy: str) -> dict:
    """Run in a fresh process: open the font, then draw every badge at once from threads."""
    from voipdown.badge_content import counter_badge
    from voipdown.clock import now
    from voipdown.counting import count_at
    from voipdown.languages import SHIPPED
    from voipdown.render.styles import STYLES
    from voipdown.render.svg import render_svg
    from voipdown.settings import bundled_timeline
    from voipdown.timeline import load_timeline

    counter = load_timeline(bundled_timeline()).default_counter
    count = count_at(counter, now())
    # Shaping and texts warmed on another font, so that only the outlines are cold below.
    from voipdown.render.font import find_font, open_font

    warm = open_font.__wrapped__(find_font())
    for lang in SHIPPED:
        counter_badge(warm, counter, count, lang, "flat", None)
    del warm

    rss_before = _rss_kib()
    began = time.perf_counter()
    font = _open(strategy)
    open_ms = (time.perf_counter() - began) * 1000

    jobs = [(lang, style) for lang in SHIPPED for style in STYLES]
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def work(share: list) -> None:
        start.wait()
        for lang, style in share:
            t0 = time.perf_counter()
            render_svg(counter_badge(font, counter, count, lang, style, None), font)
            with lock:
                latencies.append((time.perf_counter() - t0) * 1000)

    threads = [threading.Thread(target=work, args=(jobs[n::THREADS],)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    return {
        "open_ms": open_ms,
        "rss_growth_kib": _rss_kib() - rss_before,
        "rss_kib": _rss_kib(),
        "cold_svg_p50_ms": statistics.median(latencies),
        "cold_svg_p90_ms": latencies[int(0.9 * (len(latencies) - 1))],
        "cold_svg_max_ms": latencies[-1],
    }


def measure(rounds: int) -> dict:
    results: dict = {"threads": THREADS, "rounds": rounds}
    for strategy in STRATEGIES:
        runs = []
        for _ in range(rounds):
            output = subprocess.run(
                [sys.executable, __file__, "--worker", strategy], capture_output=True, text=True, check=True
            ).stdout
            runs.append(json.loads(output))
        results[strategy] = {key: round(statistics.median(run[key] for run in runs), 2) for key in runs[0]}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", choices=STRATEGIES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(one_worker(args.worker)))
        return
    results = measure(args.rounds)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"{'strategy':<14}{'open ms':>9}{'RSS MiB':>9}{'+RSS MiB':>10}{'cold p50':>10}{'cold p90':>10}{'cold max':>10}"
    )
    for strategy in STRATEGIES:
        r = results[strategy]
        print(
            f"{strategy:<14}{r['open_ms']:>9.1f}{r['rss_kib'] / 1024:>9.1f}{r['rss_growth_kib'] / 1024:>10.1f}"
            f"{r['cold_svg_p50_ms']:>10.2f}{r['cold_svg_p90_ms']:>10.2f}{r['cold_svg_max_ms']:>10.2f}"
        )


if __name__ == "__main__":
    main()
