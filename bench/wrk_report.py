"""wrk that says what went wrong: every answer counted by status, socket errors by kind,
and latency percentiles, from a Lua script, so that a failure explains itself.

Socket errors: connect; read (the server closed a connection); write; timeout (no
answer within wrk's `--timeout`).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

# Optionally cycles through `paths` (each connection from a random place), then counts
# every answer by status in each thread, merged in `done`.
SCRIPT = """
paths = {%(paths)s}
statuses = {}
local counter = 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) counter = math.random(1, math.max(1, #paths)) end
if #paths > 0 then
  function request()
    counter = counter %% #paths + 1
    return wrk.format("GET", paths[counter])
  end
end
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do merged[status] = (merged[status] or 0) + n end
  end
  io.write("STATUSES")
  for status, n in pairs(merged) do io.write(string.format(" %%d=%%d", status, n)) end
  local e = summary.errors
  io.write(string.format("\\nSOCKET connect=%%d read=%%d write=%%d timeout=%%d\\n",
    e.connect, e.read, e.write, e.timeout))
  io.write(string.format("LATENCY p50=%%d p99=%%d max=%%d\\n",
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def write_script(path: Path, paths: list[str] = ()) -> Path:
    """The Lua script, asking for `paths` in turn (or for the URL given to wrk if none)."""
    path.write_text(SCRIPT % {"paths": ", ".join(json.dumps(p) for p in paths)})
    return path


def run(url: str, seconds: int, connections: int, script: Path, threads: int = 1, timeout: str = "2s") -> dict:
    """wrk against `url` with `script`: requests, statuses, socket errors by kind, errors
    (statuses >= 400 and socket errors), p50, p99 and max latency in ms."""
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", timeout]
    output = subprocess.run(command + ["-s", str(script), url], capture_output=True, text=True).stdout

    def line(prefix: str) -> str:
        return next((text for text in output.splitlines() if text.startswith(prefix)), "")

    statuses = {int(s): int(n) for s, n in re.findall(r" (\d+)=(\d+)", line("STATUSES"))}
    sockets = {kind: int(n) for kind, n in re.findall(r" (\w+)=(\d+)", line("SOCKET"))}
    latency = {name: int(us) / 1000 for name, us in re.findall(r" (\w+)=(\d+)", line("LATENCY"))}
    result = {
        "requests": sum(statuses.values()),
        "statuses": statuses,
        "socket_errors": {kind: n for kind, n in sockets.items() if n},
        "errors": sum(n for status, n in statuses.items() if status >= 400) + sum(sockets.values()),
        "p50_ms": latency.get("p50"),
        "p99_ms": latency.get("p99"),
        "max_ms": latency.get("max"),
    }
    if not statuses:
        result["wrk_output"] = output[-2000:]  # wrk itself failed: say how
    return result
