"""A short, bounded soak on loopback: load on four routes while the timeline is rewritten
every second (some rewrites invalid) and Redis restarts once: zero errors."""

import json
import shutil
import subprocess
import sys

from tests.servers import ROOT


def test_short_soak():
    """The soak benchmark itself (bench/soak.py), short: the suite runs it as a program, as anyone would."""
    assert shutil.which("wrk"), "wrk is missing: scripts/system-packages --test installs it"
    command = [sys.executable, "bench/soak.py", "--seconds", "6", "--connections", "32", "--workers", "2"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=True)
    result = json.loads(done.stdout)
    assert result["requests"] > 1000
    assert result["errors"] == 0, result["targets"]
    assert result["rss_after_kib"] < result["rss_before_kib"] * 1.5, result
