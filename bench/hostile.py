"""Hostile neighbours, measured: a plain badge load alone, then the same load beside 16
clients asking random windows of a 100,000-sample tally (each with a junk parameter, so that
no cache could answer them), 8 pushers with the token sending their body a byte a second,
and another process holding the store's write lock (`BEGIN IMMEDIATE`, as a backup or the
`sqlite3` shell does), all in one run, on `voipdown serve` (two workers, as documented).

    python bench/hostile.py [--seconds 10] [--samples 100000] [--against REF]

The badge load is wrk (4 connections, as fast as they go); its p50, p99 and errors, quiet and
beside the neighbours, are the figures; the ratio of the two p99s is the one to read. The
neighbours run in a process of their own (this script, `--neighbours`), so that their
threads share no interpreter with the measuring; their answers are counted by status.
With --against, the same run for that commit's tree follows (bench/ab.py).
HOSTILE_PARTS=windows,pushers,lock (the default) chooses the neighbours, to see each alone.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import hashlib
import http.client
import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import push as push_bench  # noqa: E402
from bench import wrk_report  # noqa: E402
from bench.ab import trees  # noqa: E402
from bench.tally_reads import LARGE_START_MS, LARGE_STEP_MS, large_store  # noqa: E402
from tests.servers import serving  # noqa: E402

BADGE = "/badge/c.svg?lang=fr"
SAMPLES = "/api/v1/counters/c/tallies/t/samples"
WINDOW_CLIENTS = 16
SLOW_PUSHERS = 8


def windows(host: str, port: int, samples: int, stop: threading.Event, statuses: collections.Counter) -> None:
    """Random windows of the tally, one after another, on one keep-alive connection."""
    rng = random.Random()
    last_ms = LARGE_START_MS + (samples - 1) * LARGE_STEP_MS
    connection = http.client.HTTPConnection(host, port, timeout=30)
    while not stop.is_set():
        since, until = sorted(rng.randrange(LARGE_START_MS, last_ms) for _ in range(2))
        iso = [time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000)) for ms in (since, until)]
        try:
            connection.request("GET", f"{SAMPLES}?since={iso[0]}&until={iso[1]}&junk={rng.random()}")
            response = connection.getresponse()
            response.read()
            statuses[response.status] += 1
        except (OSError, http.client.HTTPException) as error:
            statuses[type(error).__name__] += 1
            connection.close()
            connection = http.client.HTTPConnection(host, port, timeout=30)


def slow_pusher(host: str, port: int, stop: threading.Event, statuses: collections.Counter) -> None:
    """A push whose body comes a byte a second; a new one as soon as it is answered."""
    body = json.dumps({"value": 5}).encode().ljust(60)
    head = (
        f"POST {SAMPLES} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {push_bench.TOKEN}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    while not stop.is_set():
        with socket.create_connection((host, port), timeout=30) as connection:
            connection.sendall(head)
            connection.setblocking(False)
            for byte in range(len(body)):
                if stop.wait(1.0):
                    return
                with contextlib.suppress(BlockingIOError):
                    answer = connection.recv(100)
                    statuses[answer.split(b" ")[1].decode() if answer else "closed"] += 1
                    break
                with contextlib.suppress(OSError):
                    connection.sendall(body[byte : byte + 1])


def neighbours(base: str, store: str, samples: int, seconds: float) -> None:
    """The hostile load for `seconds`, then its answers by status, as JSON on stdout."""
    host, port = base.removeprefix("http://").split(":")
    parts = os.environ.get("HOSTILE_PARTS", "windows,pushers,lock").split(",")
    lock = sqlite3.connect(store, isolation_level=None)
    if "lock" in parts:
        lock.execute("BEGIN IMMEDIATE")  # the store's write lock, held throughout
    stop = threading.Event()
    found = {"windows": collections.Counter(), "slow pushes": collections.Counter()}
    threads = [
        threading.Thread(target=windows, args=(host, int(port), samples, stop, found["windows"]))
        for _ in range(WINDOW_CLIENTS if "windows" in parts else 0)
    ] + [
        threading.Thread(target=slow_pusher, args=(host, int(port), stop, found["slow pushes"]))
        for _ in range(SLOW_PUSHERS if "pushers" in parts else 0)
    ]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    if lock.in_transaction:
        lock.rollback()
    print(json.dumps({name: dict(counts) for name, counts in found.items()}))


def measured(base: str, seconds: int, work: Path, store: Path, samples: int) -> dict:
    script = wrk_report.write_script(work / "badge.lua")
    wrk_report.run(base + BADGE, 2, 4, script)  # warm
    quiet = wrk_report.run(base + BADGE, seconds, 4, script)
    hostile = subprocess.Popen(
        [sys.executable, __file__, "--neighbours", base, str(store), str(samples), str(seconds + 4)],
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(2)  # every neighbour at work
    beside = wrk_report.run(base + BADGE, seconds, 4, script)
    out, _ = hostile.communicate(timeout=seconds + 120)
    return {"quiet": quiet, "beside the neighbours": beside, "neighbours": json.loads(out)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--against", help="also measure this commit's tree, in the same run")
    parser.add_argument(
        "--neighbours", nargs=4, metavar=("BASE", "STORE", "SAMPLES", "SECONDS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.neighbours:
        base, store, samples, seconds = args.neighbours
        neighbours(base, store, int(samples), float(seconds))
        return
    work = Path(tempfile.mkdtemp(prefix="voipdown-hostile-"))
    timeline = work / "timeline.toml"
    timeline.write_text(push_bench.TIMELINE % hashlib.sha256(push_bench.TOKEN.encode()).hexdigest(), encoding="utf-8")
    env = {
        "VOIPDOWN_TIMELINE": str(timeline),
        "VOIPDOWN_PUBLIC_URL": "http://127.0.0.1",
        "XDG_STATE_HOME": str(work / "state"),
    }
    results: dict = {}
    with trees(args.against) as found:
        for name, tree in found.items():
            store = work / f"large-{len(results)}.sqlite3"
            large_store(store, args.samples)
            with serving({**env, "VOIPDOWN_TALLY_STORE": str(store)}, workers=2, tree=tree) as (base, _):
                results[name] = measured(base, args.seconds, work, store, args.samples)
    print(json.dumps(results, indent=2))
    for name, found in results.items():
        quiet, beside = found["quiet"], found["beside the neighbours"]
        print(
            f"{name}: badge quiet p50 {quiet['p50_ms']} ms p99 {quiet['p99_ms']} ms ({quiet['requests']:,} answers,"
            f" {quiet['errors']} errors); beside the neighbours p50 {beside['p50_ms']} ms p99 {beside['p99_ms']} ms"
            f" ({beside['requests']:,} answers, {beside['errors']} errors):"
            f" p99 {beside['p99_ms'] / quiet['p99_ms']:.2f}x;"
            f" neighbours {found['neighbours']}"
        )


if __name__ == "__main__":
    main()
