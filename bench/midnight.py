"""Midnight, measured: the burst of cold answers when an ongoing counter's day changes.

Every cached answer of an ongoing counter expires at the same local midnight, so every
browser and CDN asks again at once, and every answer of the new day is drawn cold. This
runs the real server (`voipdown serve`) under a shifted clock (every worker's wall clock
moved by the same offset, with time-machine, or with Debian's faketime: `--clock`) so
that it reaches midnight in Africa/Casablanca a minute after it starts, with wrk on many
variants (badges in every language, style, colour and format, JSON, the script, frames,
pages, feeds, share images):

- while drawing ahead: from 31 s before midnight, while each worker draws the next day's
  answers (voipdown/web/rollover.py);
- warm: the last seconds before midnight, every answer already kept;
- first second: one second of the same load, starting at midnight;
- seconds 1 to 4 after it.

Reports errors (statuses >= 400 and socket errors, target 0), the p99 of each window and
the first second's against the warm one's (target <= 3), and checks that no answer after
midnight tells yesterday's count.

    python bench/midnight.py [--connections 64] [--workers N] [--clock time-machine|faketime] [--json]

The counter is the bundled one, made ongoing (its `end` removed). Needs wrk, and faketime
for `--clock faketime` (scripts/system-packages --bench installs both).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bench import wrk_report  # noqa: E402
from tests.servers import serving  # noqa: E402
from voipdown.web.rollover import LEAD_SECONDS  # noqa: E402
from voipdown.zones import load_zone  # noqa: E402

ZONE = load_zone("Africa/Casablanca")  # the service's own tz database, not the system's
LEAD = 75  # seconds from the server's start to its midnight: a warm-up, then a server running as all day
WARM_SECONDS = 5


def variants() -> list[str]:
    """What browsers and caches ask for a counter: badges in every variant, and every other answer."""
    from voipdown.languages import SHIPPED
    from voipdown.palette import PALETTE
    from voipdown.render.styles import STYLES

    paths = [
        f"/badge/voip-ma.{fmt}?lang={lang}&style={style}&color={color}"
        for fmt in ("svg", "png")
        for lang in SHIPPED
        for style in STYLES
        for color in PALETTE
    ]
    paths += [f"/badge/voip-ma.svg?lang={lang}" for lang in SHIPPED]
    for lang in SHIPPED:
        paths += [
            f"/api/v1/counters/voip-ma?lang={lang}",
            f"/api/v1/counters/voip-ma/shields.json?lang={lang}",
            f"/embed/voip-ma/frame?lang={lang}",
            f"/voip-ma?lang={lang}",
            f"/voip-ma/feed.atom?lang={lang}",
            f"/voip-ma/share.png?lang={lang}",
        ]
    paths += ["/embed/voip-ma.js", "/api/v1/counters"]
    return paths


def _run_wrk(base: str, seconds: int, connections: int, script: Path) -> dict:
    return wrk_report.run(base, seconds, connections, script, threads=2, timeout="10s")


def _watch_days(base: str, until: float, seen: list) -> None:
    """Ask for the count over and over across midnight: (real send time, real receive time, days, as_of)."""
    while time.time() < until:
        sent = time.time()
        with urllib.request.urlopen(base + "/api/v1/counters/voip-ma?lang=en", timeout=10) as response:
            body = json.load(response)
        seen.append((sent, time.time(), body["days"], body["as_of"]))
        time.sleep(0.01)


def measure(connections: int, workers: int, clock: str = "time-machine") -> dict:
    for tool in ("wrk", "faketime") if clock == "faketime" else ("wrk",):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing (scripts/system-packages --bench installs it)")
    work = Path(tempfile.mkdtemp(prefix="voipdown-midnight-"))
    timeline = work / "timeline.toml"
    bundled = (ROOT / "voipdown" / "data" / "timeline.toml").read_text(encoding="utf-8")
    timeline.write_text(re.sub(r"(?m)^end = 2016-11-04\n", "", bundled, count=1), encoding="utf-8")
    paths = variants()
    script = wrk_report.write_script(work / "variants.lua", paths)

    # The server's clock: its local midnight comes LEAD seconds after it starts.
    started = time.time()
    now_there = dt.datetime.fromtimestamp(started, ZONE)
    midnight = dt.datetime.combine(now_there.date() + dt.timedelta(days=1), dt.time(0), tzinfo=ZONE)
    midnight_real = started + LEAD  # when the server reaches it, by our own clock
    offset = round(midnight.timestamp() - midnight_real)
    midnight_real = midnight.timestamp() - offset
    day_before = (midnight.date() - dt.timedelta(days=1) - dt.date(2016, 1, 5)).days

    env = {
        "VOIPDOWN_TIMELINE": str(timeline),
        "XDG_STATE_HOME": str(work / "state"),
        "VOIPDOWN_PUBLIC_URL": "http://127.0.0.1",
        **_shifted_clock(clock, offset, work),
    }
    seen: list = []
    try:
        with serving(env, workers=workers) as (base, _):
            with urllib.request.urlopen(base + "/api/v1/counters/voip-ma") as response:
                before = json.load(response)
            assert before["days"] == day_before, (before["days"], day_before)
            _run_wrk(base, 3, connections, script)  # every variant drawn and kept, in every worker
            # While each worker draws the next day's answers (from LEAD_SECONDS before midnight).
            time.sleep(max(0.0, midnight_real - LEAD_SECONDS - 1 - time.time()))
            drawing_ahead = _run_wrk(base, WARM_SECONDS, connections, script)
            time.sleep(max(0.0, midnight_real - WARM_SECONDS - 1.5 - time.time()))
            warm = _run_wrk(base, WARM_SECONDS, connections, script)
            watcher = threading.Thread(target=_watch_days, args=(base, midnight_real + 3, seen))
            watcher.start()
            time.sleep(max(0.0, midnight_real - time.time()))
            first_second = _run_wrk(base, 1, connections, script)
            watcher.join()
            after = _run_wrk(base, 3, connections, script)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    yesterday_after_midnight = [s for s in seen if s[0] >= midnight_real + 0.05 and s[2] == day_before]
    return {
        "clock": clock,
        "workers": workers,
        "connections": connections,
        "variants": len(paths),
        "warm": warm,
        "while_drawing_ahead": drawing_ahead,
        "first_second_after_midnight": first_second,
        "seconds_1_to_4_after": after,
        "p99_ratio": round(first_second["p99_ms"] / warm["p99_ms"], 2) if warm["p99_ms"] else None,
        "p99_ratio_while_drawing_ahead": round(drawing_ahead["p99_ms"] / warm["p99_ms"], 2) if warm["p99_ms"] else None,
        "errors": sum(window["errors"] for window in (drawing_ahead, warm, first_second, after)),
        "count_checks": len(seen),
        "days_before_midnight": day_before,
        "days_after_midnight": sorted({s[2] for s in seen if s[0] >= midnight_real + 0.05}),
        "yesterday_served_after_midnight": len(yesterday_after_midnight),
        "first_new_day_seconds_after_midnight": next(
            (round(s[0] - midnight_real, 3) for s in seen if s[2] != day_before), None
        ),
        "as_of_seen": sorted({s[3] for s in seen}),
        "yesterday_after_midnight_samples": [  # (sent, received) in seconds after midnight, days, as_of
            (round(s[0] - midnight_real, 3), round(s[1] - midnight_real, 3), s[2], s[3])
            for s in yesterday_after_midnight
        ][:10],
    }


SHIFT = """
import os, time
import time_machine
time_machine.travel(time.time() + float(os.environ["VOIPDOWN_BENCH_CLOCK_OFFSET"]), tick=True).start()
time.time()  # a travelled clock starts ticking when first read: now, not at the first request
"""


def _shifted_clock(clock: str, offset: int, work: Path) -> dict:
    """Environment that shifts every server process's wall clock by `offset` seconds.

    `time-machine` (the default) shifts Python's wall clock only, in each process from its
    start: what the service reads. `faketime` (Debian's libfaketime) shifts every clock call
    of the process, the server's polling included, and slowed the warm service 2 to 4
    times here, with erratic p99s (docs/benchmarks.md)."""
    if clock == "faketime":
        library = next(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"), None)
        if library is None:
            sys.exit("libfaketime.so.1 not found (scripts/system-packages --bench installs faketime)")
        return {"FAKETIME": f"{offset:+d}s", "FAKETIME_DONT_FAKE_MONOTONIC": "1", "LD_PRELOAD": str(library)}
    shift = work / "shift"
    shift.mkdir()
    (shift / "sitecustomize.py").write_text(SHIFT)
    path = os.pathsep.join(filter(None, [str(shift), str(ROOT), os.environ.get("PYTHONPATH")]))
    return {"PYTHONPATH": path, "VOIPDOWN_BENCH_CLOCK_OFFSET": str(offset)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--clock", choices=("time-machine", "faketime"), default="time-machine")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.connections, args.workers, args.clock)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for window in ("while_drawing_ahead", "warm", "first_second_after_midnight", "seconds_1_to_4_after"):
        r = result[window]
        print(
            f"{window:<30} {r['requests']:>7} requests  p50 {r['p50_ms']:>7.2f} ms  p99 {r['p99_ms']:>7.2f} ms"
            f"  max {r['max_ms']:>7.2f} ms  errors {r['errors']} {r['socket_errors'] or ''}"
        )
    print(
        f"p99 first second / warm: {result['p99_ratio']}  (target <= 3);"
        f" while drawing ahead / warm: {result['p99_ratio_while_drawing_ahead']}"
    )
    print(f"errors: {result['errors']}  (target 0)")
    print(
        f"count checks across midnight: {result['count_checks']}, days after midnight {result['days_after_midnight']},"
        f" yesterday's count served after midnight: {result['yesterday_served_after_midnight']},"
        f" first new count {result['first_new_day_seconds_after_midnight']} s after midnight"
    )


if __name__ == "__main__":
    main()
