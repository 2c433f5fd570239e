"""The static build, measured: `voipdown build` of the bundled timeline into an empty folder,
then again into the same folder (nothing changed: nothing written), against the reference of
the same run: the live service (`voipdown serve`, one worker, started cold) asked for every
address of the build once, one after another, over one kept-alive connection.

    python bench/build.py [--rounds 3]

Each figure is the median of the rounds; the process's own start (Python, the timeline, the
font) is inside both build figures, as an operator's cron line pays it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.servers import serving  # noqa: E402

BASE = "https://count.example.org/campaign"


def build(out: Path, env: dict) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "voipdown", "build", str(out), "--base-url", BASE],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, done.stdout.strip()


def addresses(out: Path) -> list[str]:
    found = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        relative = path.relative_to(out).as_posix()
        if relative not in ("404.html", "_headers"):  # the not-found page, the host's instructions
            found.append("/" + relative.removesuffix("index.html"))
    return found


def served_once(paths: list[str], env: dict) -> float:
    """Every address asked once of a cold service, one after another."""
    with serving(env, workers=1) as (base, _):
        host, port = base.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        started = time.perf_counter()
        for path in paths:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            assert response.status == 200, (path, response.status)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    import os

    results = {"full build": [], "unchanged rebuild": [], "served once (reference)": []}
    files = 0
    for _ in range(args.rounds):
        work = Path(tempfile.mkdtemp(prefix="voipdown-build-"))
        env = {**os.environ, "XDG_STATE_HOME": str(work / "state"), "VOIPDOWN_PUBLIC_URL": BASE}
        out = work / "site"
        seconds, said = build(out, env)
        results["full build"].append(seconds)
        seconds, again = build(out, env)
        assert ", 0 written" in again, again
        results["unchanged rebuild"].append(seconds)
        paths = addresses(out)
        files = len(paths) + 2  # and 404.html, _headers
        results["served once (reference)"].append(served_once(paths, env))
    medians = {name: statistics.median(values) for name, values in results.items()}
    reference = medians["served once (reference)"]
    print(json.dumps({"files": files, "seconds": results}, indent=2))
    for name, value in medians.items():
        print(f"{name}: {value:.2f} s ({value / reference:.2f}x the reference), {files} files")


if __name__ == "__main__":
    main()
