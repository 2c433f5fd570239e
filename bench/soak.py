"""Load and soak: wrk at high concurrency against the badge, JSON, script and page at
once, while the timeline file is rewritten every second (one rewrite in five invalid)
and Redis is restarted once. Reports errors, statuses and worker memory.

    python bench/soak.py [--seconds 60] [--connections 128]

tests/test_soak.py runs a short, bounded version of the same on loopback (this script, with
--seconds 6 --connections 32 --workers 2).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench import wrk_report  # noqa: E402
from bench.serve import worker_rss_kib  # noqa: E402
from tests.servers import RedisServer, serving  # noqa: E402

TARGETS = ("/badge/voip-ma.svg?lang=ar", "/api/v1/counters/voip-ma?lang=fr", "/embed/voip-ma.js", "/voip-ma?lang=zgh")


def soak(seconds: int = 60, connections: int = 128, workers: int | None = None) -> dict:
    work = Path(tempfile.mkdtemp(prefix="voipdown-soak-"))
    bundled = (HERE.parent / "voipdown" / "data" / "timeline.toml").read_text(encoding="utf-8")
    timeline = work / "timeline.toml"
    timeline.write_text(bundled, encoding="utf-8")
    redis = RedisServer().start()
    env = {
        "VOIPDOWN_TIMELINE": str(timeline),
        "VOIPDOWN_REDIS_URL": redis.url,
        "VOIPDOWN_PUBLIC_URL": "http://127.0.0.1",
        "XDG_STATE_HOME": str(work / "state"),
    }
    results: dict = {}
    try:
        with serving(env, workers=workers or os.cpu_count() or 1) as (base, server):
            for target in TARGETS:
                urllib.request.urlopen(base + target).read()
            rss_before = worker_rss_kib(server.pid)
            stop_edits = threading.Event()

            def edit() -> None:
                n = 0
                while not stop_edits.wait(1.0):
                    n += 1
                    if n % 5 == 0:
                        text = bundled.replace('timezone = "Africa/Casablanca"', "timezone = ", 1)  # invalid
                    else:
                        text = bundled.replace("VoIP block in Morocco", f"VoIP block in Morocco ({n})")
                    timeline.write_text(text, encoding="utf-8")
                    if n == max(2, seconds // 2):
                        redis.stop()
                        time.sleep(0.5)
                        redis.start()

            editor = threading.Thread(target=edit)
            editor.start()
            script = wrk_report.write_script(work / "report.lua")
            per_route = max(1, connections // len(TARGETS))

            def load(target: str) -> None:
                results[base + target] = wrk_report.run(base + target, seconds, per_route, script)

            loads = [threading.Thread(target=load, args=(target,)) for target in TARGETS]
            for load in loads:
                load.start()
            for load in loads:
                load.join()
            stop_edits.set()
            editor.join()
            rss_after = worker_rss_kib(server.pid)
            health = json.load(urllib.request.urlopen(base + "/healthz"))
    finally:
        redis.stop()
    return {
        "seconds": seconds,
        "connections": connections,
        "targets": results,
        "requests": sum(r["requests"] for r in results.values()),
        "errors": sum(r["errors"] for r in results.values()),
        "rss_before_kib": rss_before,
        "rss_after_kib": rss_after,
        "health_after": health["status"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=128)
    parser.add_argument("--workers", type=int, help="the server's workers (default: one per core)")
    args = parser.parse_args()
    print(json.dumps(soak(args.seconds, args.connections, args.workers), indent=2))


if __name__ == "__main__":
    main()
