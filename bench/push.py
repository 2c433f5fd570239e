"""Pushes, measured: acknowledged single-sample POSTs a second over HTTP, and a 1,000-sample
batch, against `voipdown serve` (2 workers, SQLite in WAL, synchronous=NORMAL).

    python bench/push.py [--seconds 10] [--connections 16] [--sync normal|full] [--against REF]

wrk posts from a Lua script that gives each push its own instant; every answer is counted
by status. The reference, in the same run and on the same server: the cached counter badge.
With --against, the same measures of that commit's tree follow, in the same run (bench/ab.py).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import wrk_report  # noqa: E402
from bench.ab import tree_at  # noqa: E402
from tests.servers import ROOT, serving  # noqa: E402

TOKEN = "bench-push-token"
TIMELINE = """\
default_counter = "c"

[counters.c]
timezone = "Africa/Casablanca"
start = 2016-01-05
default_lang = "fr"
title = { fr = "Compteur" }

[counters.c.tallies.t]
title = { fr = "Signatures" }
unit = "signatures"
start = 2016-01-05
interval = 60
token_sha256 = "%s"
"""


def push_script(path: Path, base_ms: int) -> Path:
    """wrk_report's accounting, with a request() that posts one sample at its own instant."""
    accounting = wrk_report.SCRIPT % {"paths": ""}
    request = f"""
local counter = 0
local base = {base_ms}
numbered = 0
function setup(thread)
  numbered = numbered + 1
  thread:set("thread_number", numbered)  -- a global of the thread's own Lua state
  table.insert(threads, thread)
end
function request()
  counter = counter + 1
  local ms = base + thread_number * 5000000 + counter
  local at = os.date("!%Y-%m-%dT%H:%M:%S", math.floor(ms / 1000)) .. string.format(".%03dZ", ms % 1000)
  local body = string.format('{{"at": "%s", "value": %d}}', at, counter)
  return wrk.format("POST", nil, {{["Authorization"] = "Bearer {TOKEN}", ["Content-Type"] = "application/json"}}, body)
end
"""
    # Ours replace the accounting's setup (which would not number the threads).
    accounting = accounting.replace("function setup(thread) table.insert(threads, thread) end", "")
    path.write_text(accounting + request)
    return path


def batch_ms(base: str, path: str, rounds: int = 5) -> float:
    """The median time to store 1,000 samples in one request."""
    times = []
    for round_ in range(rounds):
        start_ms = int(time.time() * 1000) - 10_000_000 * (round_ + 1)
        rows = "\n".join(
            f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime((start_ms + k * 1000) / 1000))}.000Z,{k}"
            for k in range(1000)
        )
        request = urllib.request.Request(
            base + path,
            data=("at,value\n" + rows + "\n").encode(),
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/csv"},
            method="POST",
        )
        began = time.perf_counter()
        with urllib.request.urlopen(request) as response:
            assert response.status == 201, response.status
            assert json.load(response)["accepted"] == 1000
        times.append((time.perf_counter() - began) * 1000)
    return round(statistics.median(times), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--sync", choices=("normal", "full"), default="normal")
    parser.add_argument("--against", help="also measure this commit's tree, in the same run")
    args = parser.parse_args()
    if not args.against:
        measure(args, ROOT)
        return
    measure(args, ROOT)
    with tree_at(args.against) as tree:
        print(f"--- {args.against}:")
        measure(args, tree)


def measure(args, tree: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix="voipdown-push-"))
    timeline = work / "timeline.toml"
    timeline.write_text(TIMELINE % hashlib.sha256(TOKEN.encode()).hexdigest(), encoding="utf-8")
    env = {
        "VOIPDOWN_TIMELINE": str(timeline),
        "VOIPDOWN_TALLY_STORE": str(work / "tallies.sqlite3"),
        "VOIPDOWN_TALLY_SYNC": args.sync,
        "VOIPDOWN_PUBLIC_URL": "http://127.0.0.1",
        "XDG_STATE_HOME": str(work / "state"),
    }
    results = {}
    with serving(env, tree=tree) as (base, _):
        path = "/api/v1/counters/c/tallies/t/samples"
        script = push_script(work / "push.lua", int(time.time() * 1000) - 86_400_000)
        results["pushes"] = wrk_report.run(base + path, args.seconds, args.connections, script, threads=2)
        results["batch_of_1000_ms"] = batch_ms(base, path)
        badge = wrk_report.write_script(work / "get.lua")
        urllib.request.urlopen(base + "/badge/c.svg?lang=fr").read()
        results["reference_counter_badge"] = wrk_report.run(
            base + "/badge/c.svg?lang=fr", args.seconds, args.connections, badge, threads=2
        )
    pushes, reference = results["pushes"], results["reference_counter_badge"]
    results["pushes_per_second"] = round(pushes["requests"] / args.seconds)
    print(json.dumps(results, indent=2))
    print(
        f"pushes: {results['pushes_per_second']:,}/s acknowledged (statuses {pushes['statuses']}),"
        f" p99 {pushes['p99_ms']} ms; a 1,000-sample batch: {results['batch_of_1000_ms']} ms;"
        f" reference, the cached badge: {round(reference['requests'] / args.seconds):,}/s"
    )


if __name__ == "__main__":
    main()
