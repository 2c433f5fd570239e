"""A short, bounded soak on loopback: load on four routes while the timeline is rewritten
every second (some rewrites invalid) and Redis restarts once: zero errors."""

import shutil

from bench.soak import soak


def test_short_soak():
    assert shutil.which("wrk"), "wrk is missing: scripts/system-packages --test installs it"
    result = soak(seconds=6, connections=32, workers=2)
    assert result["requests"] > 1000
    assert result["errors"] == 0, result["targets"]
    assert result["rss_after_kib"] < result["rss_before_kib"] * 1.5, result
