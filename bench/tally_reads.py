"""Tally reads, measured: the cached tally JSON and badge against the counter badge, on the
same server in the same run; then 10,000 simulated embeds polling a live tally behind the
documented nginx cache (docs/deploy/nginx.conf), counting what reaches the service.

    python bench/tally_reads.py [--seconds 8] [--interval 2] [--intervals 10]

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
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import push as push_bench  # noqa: E402
from bench import wrk_report  # noqa: E402
from bench.local import ROOT, free_port, serving, stop, wait_http, wait_tcp  # noqa: E402

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


def nginx(upstream: str, run: Path) -> tuple[subprocess.Popen, str]:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    port = free_port()
    config = (
        (ROOT / "docs" / "deploy" / "nginx.conf")
        .read_text()
        .replace("@@USER@@", "user root;" if os.geteuid() == 0 else "")
        .replace("@@RUN@@", str(run))
        .replace("@@UPSTREAM@@", upstream.removeprefix("http://"))
        .replace("@@LISTEN@@", f"127.0.0.1:{port}")
    )
    (run / "nginx.conf").write_text(config)
    process = subprocess.Popen([binary, "-c", str(run / "nginx.conf"), "-p", str(run)], stderr=subprocess.DEVNULL)
    wait_tcp(port, process, timeout=10)
    return process, f"http://127.0.0.1:{port}"


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--interval", type=int, default=2)
    parser.add_argument("--intervals", type=int, default=10)
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
    results: dict = {}
    with serving(env) as (base, _):
        push(base, 0)
        results["rates"] = rates(base, args.seconds, work)
    with counting_server(env) as base:
        (work / "nginx").mkdir()
        process, front = nginx(base, work / "nginx")
        try:
            results["embeds"] = embeds(front, work, args.interval, args.intervals)
        finally:
            process.terminate()
            process.wait(timeout=10)
    counts: dict[str, int] = {}
    for file in work.glob("counts.*"):
        for query, n in json.loads(file.read_text()).items():
            counts[query] = counts.get(query, 0) + n
    results["origin_requests"] = counts
    reference = results["rates"]["counter badge (reference)"]["per_second"]
    print(json.dumps(results, indent=2))
    for name, found in results["rates"].items():
        print(f"{name:<28}{found['per_second']:>8,}/s  {found['per_second'] / reference:.2f} of the counter badge")
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
