"""Tally reads, measured: the cached tally JSON and badge against the counter badge, on the
same server in the same run; then 10,000 simulated embeds polling a live tally behind the
documented nginx cache (docs/deploy/nginx.conf), counting what reaches the service.

    python bench/tally_reads.py [--seconds 8] [--interval 2] [--intervals 10] [--against REF]
    python bench/tally_reads.py --large [--samples 100000] [--against REF]

With --against, the rates are measured for that commit's tree too, in the same run, on the
same machine (bench/ab.py).

--large: reads of one tally of 100,000 stored samples, each timed alone over HTTP on the real
server (one worker, so that the read after a push is the pushing worker's, which reads the
store again): a one-minute window (`samples?since=&until=`, a random minute each time), a
50-row page of the tally's page (a random page each time), the tally JSON right after a push
(its summary read again), and the whole samples.csv once.

The embeds: wrk asks the tally's JSON in the four languages as the embed does (If-None-Match
with the last ETag it saw), as fast as it goes: many times what 10,000 embeds polling once
an interval ask; a pusher adds a sample every interval.
The service counts the requests it answers for that URL (a WSGI layer of this script's own,
in front of the app), per language: the figure is those requests per (URL, language) per
interval.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import push as push_bench  # noqa: E402
from bench import wrk_report  # noqa: E402
from bench.ab import tree_at, trees  # noqa: E402
from tests.servers import ROOT, free_port, nginx_in_front, serving, stop, wait_http  # noqa: E402

LANGS = ("fr", "ar", "zgh", "en")

# The embed's poll, after wrk_report's accounting (whose response() it replaces, counting
# the same way): the ETag last given for its language, sent back. wrk keeps no state per
# connection, so an answer's language is read from its body ("lang":"fr").
EMBED_POLL = """
local langs = {%(langs)s}
local etags = {}
local n = 0
function init(args) n = math.random(1, #langs) end
function request()
  n = n %% #langs + 1
  local headers = {}
  if etags[langs[n]] then headers["If-None-Match"] = etags[langs[n]] end
  return wrk.format("GET", "/api/v1/counters/c/tallies/t?lang=" .. langs[n], headers)
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  local lang = body and string.match(body, '"lang":"(%%a+)"')
  local etag = headers["ETag"] or headers["etag"]
  if lang and etag then etags[lang] = etag end
end
"""

COUNTING_APP = """
import collections, json, os, threading
from voipdown import create_app
_app = create_app()
_counts = collections.Counter()
_lock = threading.Lock()
_out = os.environ["BENCH_COUNTS"]

def app(environ, start_response):
    if environ["PATH_INFO"] == "/api/v1/counters/c/tallies/t" and environ["REQUEST_METHOD"] == "GET":
        with _lock:
            _counts[environ.get("QUERY_STRING", "")] += 1
            with open(f"{_out}.{os.getpid()}", "w") as f:
                json.dump(_counts, f)
    return _app(environ, start_response)
"""


@contextlib.contextmanager
def counting_server(env: dict):
    """The service as `voipdown serve` runs it (granian, two workers, four threads each), with
    this script's counting layer in front of the app."""
    port = free_port()
    code = (
        "from granian import Granian; from granian.constants import Interfaces; "
        f"Granian('counting:app', address='127.0.0.1', port={port}, interface=Interfaces.WSGI, workers=2, "
        "blocking_threads=4, websockets=False, log_access=False).serve()"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/healthz", timeout=60, process=process)
        yield base
    finally:
        stop(process)


def push(base: str, value: int) -> None:
    request = urllib.request.Request(
        base + "/api/v1/counters/c/tallies/t/samples",
        data=json.dumps({"value": value}).encode(),
        headers={"Authorization": f"Bearer {push_bench.TOKEN}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        assert response.status in (200, 201)


def rates(base: str, seconds: int, work: Path) -> dict:
    """Requests a second of the counter badge (reference), the tally JSON and the tally badge."""
    script = wrk_report.write_script(work / "get.lua")
    found = {}
    for name, path in (
        ("counter badge (reference)", "/badge/c.svg?lang=fr"),
        ("tally JSON", "/api/v1/counters/c/tallies/t?lang=fr"),
        ("tally badge", "/badge/c/t.svg?lang=fr"),
    ):
        urllib.request.urlopen(base + path).read()
        result = wrk_report.run(base + path, seconds, 16, script, threads=2)
        found[name] = {"per_second": round(result["requests"] / seconds), "statuses": result["statuses"]}
    return found


def embeds(base: str, work: Path, interval: int, intervals: int) -> dict:
    """Embeds polling through nginx for `intervals` intervals, while a sample comes every interval."""
    script = work / "embeds.lua"
    accounting = wrk_report.SCRIPT % {"paths": ""}
    script.write_text(accounting + EMBED_POLL % {"langs": ", ".join(f'"{lang}"' for lang in LANGS)})
    stop = threading.Event()

    def pusher() -> None:
        value = 0
        while not stop.wait(interval):
            value += 1
            push(base, value)

    thread = threading.Thread(target=pusher)
    thread.start()
    try:
        # As fast as wrk goes (Debian's wrk has no rate option): more than the readers would ask.
        return wrk_report.run(base + "/", interval * intervals, 64, script, threads=2)
    finally:
        stop.set()
        thread.join()


LARGE_START_MS = 1_790_000_000_000  # 2026-09-21, every 10 s from then
LARGE_STEP_MS = 10_000


def large_store(path: Path, samples: int) -> None:
    """A store file of `samples` samples of c/t, one every 10 s, as any version of the service
    made it (the tables only: each tree adds what it keeps on opening it)."""
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE samples (counter TEXT NOT NULL, tally TEXT NOT NULL, at_ms INTEGER NOT NULL,"
            " value INTEGER NOT NULL, PRIMARY KEY (counter, tally, at_ms)) WITHOUT ROWID"
        )
        db.execute(
            "CREATE TABLE versions (counter TEXT NOT NULL, tally TEXT NOT NULL, version INTEGER NOT NULL,"
            " changed_ms INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (counter, tally))"
        )
        rows = (("c", "t", LARGE_START_MS + n * LARGE_STEP_MS, 1_000 + 3 * n) for n in range(samples))
        db.executemany("INSERT INTO samples VALUES (?, ?, ?, ?)", rows)
        db.execute("INSERT INTO versions VALUES ('c', 't', 1, ?)", (LARGE_START_MS,))


def timed_ms(url: str) -> float:
    began = time.perf_counter()
    with urllib.request.urlopen(url) as response:
        response.read()
        assert response.status == 200, (url, response.status)
    return (time.perf_counter() - began) * 1000


def summarized(times: list[float]) -> dict:
    times = sorted(times)
    return {"median_ms": round(statistics.median(times), 2), "p90_ms": round(times[int(len(times) * 0.9)], 2)}


def large_reads(base: str, samples: int, rounds: int) -> dict:
    """Each read of the large tally, timed alone (a warm-up read first)."""
    rng = random.Random(7)
    last_ms = LARGE_START_MS + (samples - 1) * LARGE_STEP_MS
    pages = -(-(samples + 1) // 50)

    def minute() -> str:
        since = rng.randrange(LARGE_START_MS, last_ms - 60_000)
        iso = [time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000)) for ms in (since, since + 60_000)]
        return f"{base}/api/v1/counters/c/tallies/t/samples?since={iso[0]}&until={iso[1]}"

    found = {}
    timed_ms(minute())
    found["one-minute window"] = summarized([timed_ms(minute()) for _ in range(rounds)])
    timed_ms(f"{base}/c/tallies/t?lang=fr&page=2")
    found["50-row page"] = summarized(
        [timed_ms(f"{base}/c/tallies/t?lang=fr&page={rng.randint(1, pages)}") for _ in range(rounds)]
    )
    after_push = []
    for value in range(rounds):
        push(base, 10**9 + value)
        after_push.append(timed_ms(f"{base}/api/v1/counters/c/tallies/t?lang=fr"))
    found["summary (tally JSON after a push)"] = summarized(after_push)
    found["whole samples.csv"] = summarized([timed_ms(f"{base}/api/v1/counters/c/tallies/t/samples.csv")])
    return found


def large(args, work: Path, env: dict) -> None:
    results: dict = {}
    with trees(args.against) as found:
        for name, tree in found.items():
            store = work / f"large-{len(results)}.sqlite3"
            large_store(store, args.samples)
            with serving({**env, "VOIPDOWN_TALLY_STORE": str(store)}, workers=1, tree=tree) as (base, _):
                results[name] = large_reads(base, args.samples, args.rounds)
    print(json.dumps(results, indent=2))
    for read in results["this tree"]:
        line = f"{read:<36}" + "".join(
            f"{name}: {found[read]['median_ms']:>8} ms (p90 {found[read]['p90_ms']})   "
            for name, found in results.items()
        )
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--interval", type=int, default=2)
    parser.add_argument("--intervals", type=int, default=10)
    parser.add_argument("--against", help="also measure this commit's tree, in the same run")
    parser.add_argument("--large", action="store_true", help="reads of one tally of many samples")
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="voipdown-reads-"))
    timeline = work / "timeline.toml"
    sha = hashlib.sha256(push_bench.TOKEN.encode()).hexdigest()
    timeline.write_text(
        (push_bench.TIMELINE % sha).replace("interval = 60", f"interval = {args.interval}"), encoding="utf-8"
    )
    (work / "counting.py").write_text(COUNTING_APP)
    env = {
        "VOIPDOWN_TIMELINE": str(timeline),
        "VOIPDOWN_TALLY_STORE": str(work / "tallies.sqlite3"),
        "VOIPDOWN_PUBLIC_URL": "http://127.0.0.1",
        "XDG_STATE_HOME": str(work / "state"),
        "PYTHONPATH": f"{work}{os.pathsep}{ROOT}",
        "BENCH_COUNTS": str(work / "counts"),
    }
    if args.large:
        large(args, work, env)
        return
    results: dict = {}
    with serving(env) as (base, _):
        push(base, 0)
        results["rates"] = rates(base, args.seconds, work)
    if args.against:
        with tree_at(args.against) as tree, serving(env, tree=tree) as (base, _):
            push(base, 0)
            results["rates_against"] = rates(base, args.seconds, work)
    with counting_server(env) as base:
        (work / "nginx").mkdir()
        with nginx_in_front(base, work / "nginx") as front:
            results["embeds"] = embeds(front, work, args.interval, args.intervals)
    counts: dict[str, int] = {}
    for file in work.glob("counts.*"):
        for query, n in json.loads(file.read_text()).items():
            counts[query] = counts.get(query, 0) + n
    results["origin_requests"] = counts
    reference = results["rates"]["counter badge (reference)"]["per_second"]
    print(json.dumps(results, indent=2))
    for name, found in results["rates"].items():
        print(f"{name:<28}{found['per_second']:>8,}/s  {found['per_second'] / reference:.2f} of the counter badge")
    for name, found in results.get("rates_against", {}).items():
        before = results["rates_against"]["counter badge (reference)"]["per_second"]
        print(f"{args.against}: {name:<28}{found['per_second']:>8,}/s  {found['per_second'] / before:.2f}")
    polls = results["embeds"]
    print(
        f"embeds polling, {args.intervals} intervals of {args.interval} s: nginx answered"
        f" {polls['requests']:,} polls ({polls['statuses']})"
    )
    for lang in LANGS:
        n = counts.get(f"lang={lang}", 0)
        print(f"  origin, lang={lang}: {n} requests, {n / args.intervals:.2f} per interval")


if __name__ == "__main__":
    main()
