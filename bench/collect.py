"""Collecting, measured: what 100 tallies collecting every 10 s from a local source cost the
cached badge and pushes, against the same server with collecting off, in the same run.

    python bench/collect.py [--tallies 100] [--every 10] [--connections 16] [--rounds 6]

One `voipdown serve` (2 workers, SQLite) on a timeline with one pushed tally and
`--tallies` more, which read a source in a process of their own (bench/counting_source.py)
or not: the timeline file is rewritten with and without their `collect` tables, in turn,
`--rounds` times each, and the service picks each edit up as it would an operator's (one
process throughout: the machine's drift between two servers' runs was larger than the cost
measured). In each turn, from an interval's start: the cached badge's rate with wrk for
one interval (its round of 100 fetches included), then single-sample pushes' for the next;
and, with collecting on, how many requests the source got in those intervals (one per
tally each is the promise) and the most for one tally in one interval (one).
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import wrk_report  # noqa: E402
from bench.push import TIMELINE, TOKEN, push_script  # noqa: E402
from tests.servers import free_port, serving, wait_tcp  # noqa: E402

COLLECTED = """
[counters.c.tallies.k%(n)d]
title = { fr = "Collecte %(n)d" }
unit = "signatures"
start = 2016-01-05
interval = %(every)d
"""
COLLECT = """
[counters.c.tallies.k%(n)d.collect]
url = "%(url)s/n.json?tally=%(n)d"
pointer = "/n"
every = %(every)d
timeout = 3
"""


def timeline(url: str | None, tallies: int, every: int) -> str:
    """bench/push.py's timeline (one pushed tally) and `tallies` more, collected from `url`
    (or, with none, the same tallies without their `collect` tables)."""
    text = TIMELINE % hashlib.sha256(TOKEN.encode()).hexdigest()
    values = [{"n": n, "url": url, "every": every} for n in range(tallies)]
    return text + "".join(COLLECTED % v + (COLLECT % v if url else "") for v in values)


class CountingSource:
    """bench/counting_source.py in its own process: its address, and the (time, query) of
    every request it was asked, read back from its log."""

    def __init__(self, work: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = work / "source.log"
        script = Path(__file__).with_name("counting_source.py")
        self.process = subprocess.Popen([sys.executable, str(script), str(self.port), str(self.log)])
        wait_tcp(self.port, self.process)

    def asked(self) -> list[tuple[float, str]]:
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        return [(float(moment), query) for moment, _, query in (line.partition(" ") for line in lines)]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def edit(work: Path, base: str, text: str, collecting: int) -> None:
    """The timeline rewritten as `text`, once every worker serves it (each says how many
    tallies it collects in /healthz: several asks reach both)."""
    (work / "timeline.toml").write_text(text, encoding="utf-8")
    deadline = time.monotonic() + 30
    seen = 0
    while seen < 20:
        if time.monotonic() > deadline:
            raise RuntimeError("the service did not pick the timeline's edit up within 30 s")
        with urllib.request.urlopen(base + "/healthz") as answer:
            seen = seen + 1 if json.load(answer)["collect"]["tallies"] == collecting else 0
        time.sleep(0.05)


def at_next_interval(every: int) -> float:
    """Sleep to just after the next interval's start (its round begins then); its time."""
    start = (time.time() // every + 1) * every
    time.sleep(start - time.time() + 0.05)
    return start


def measure(args, work: Path, base: str, source: CountingSource) -> dict:
    began = at_next_interval(args.every)
    badge = wrk_report.run(
        base + "/badge/c.svg?lang=fr", args.every, args.connections, wrk_report.write_script(work / "get.lua")
    )
    script = push_script(work / "push.lua", int(time.time() * 1000) - 86_400_000)
    pushes = wrk_report.run(
        base + "/api/v1/counters/c/tallies/t/samples", args.every, args.connections, script, threads=2
    )
    # The two intervals measured, counted by the source: one request per tally in each is
    # the promise, and never two for one tally (?tally=N) in one interval.
    first, last = began, began + 2 * args.every
    asked = [(moment, query) for moment, query in source.asked() if first <= moment < last]
    per_pair = collections.Counter((int(moment // args.every), query) for moment, query in asked)
    return {
        "badge_per_second": round(badge["requests"] / args.every),
        "badge_p99_ms": badge["p99_ms"],
        "pushes_per_second": round(pushes["requests"] / args.every),
        "push_statuses": pushes["statuses"],
        "source_requests_per_interval": len(asked) / 2,
        "most_requests_of_one_tally_in_one_interval": max(per_pair.values(), default=0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tallies", type=int, default=100)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="voipdown-collect-"))
    source = CountingSource(work)
    texts = {True: timeline(source.url, args.tallies, args.every), False: timeline(None, args.tallies, args.every)}
    (work / "timeline.toml").write_text(texts[False], encoding="utf-8")
    env = {
        "VOIPDOWN_TIMELINE": str(work / "timeline.toml"),
        "VOIPDOWN_TALLY_STORE": str(work / "tallies.sqlite3"),
        "VOIPDOWN_PUBLIC_URL": "http://127.0.0.1",
        "VOIPDOWN_COLLECT": "on",
        "XDG_STATE_HOME": str(work / "state"),
    }
    runs: dict[str, list[dict]] = {"off": [], "on": []}
    try:
        with serving(env) as (base, _):
            urllib.request.urlopen(base + "/badge/c.svg?lang=fr").read()
            for _ in range(args.rounds):
                for mode, collect in (("off", False), ("on", True)):
                    edit(work, base, texts[collect], args.tallies if collect else 0)
                    runs[mode].append(measure(args, work, base, source))
                    print(mode, json.dumps(runs[mode][-1]), flush=True)
    finally:
        source.stop()

    def median(mode: str, key: str) -> float:
        return statistics.median(run[key] for run in runs[mode])

    def paired(key: str) -> float:
        """The median of each round's ratio (on against the off run just before it): the
        machine's drift between rounds, larger than the cost, cancels out."""
        return statistics.median(on[key] / off[key] for off, on in zip(runs["off"], runs["on"], strict=True))

    badge, pushes = paired("badge_per_second"), paired("pushes_per_second")
    print(
        f"{args.tallies} tallies collected every {args.every} s (the median of each round's ratio to the run"
        f" without collecting just before it): the cached badge at {badge:.1%}"
        f" (medians {median('on', 'badge_per_second'):,.0f}/s against"
        f" {median('off', 'badge_per_second'):,.0f}/s),"
        f" pushes at {pushes:.1%} ({median('on', 'pushes_per_second'):,.0f}/s against"
        f" {median('off', 'pushes_per_second'):,.0f}/s); the source asked"
        f" {median('on', 'source_requests_per_interval'):g} times an interval (one per tally: {args.tallies}),"
        f" never more than {max(run['most_requests_of_one_tally_in_one_interval'] for run in runs['on'])}"
        " time(s) for one tally in one interval"
    )


if __name__ == "__main__":
    main()
