"""Serving throughput, measured with wrk on loopback, every reference in the same run.

    python bench/serve.py [--seconds 10] [--connections 64] [--skip-memory]

Starts, one after the other: the service (`voipdown serve`: granian, one worker per
core) and the same on gunicorn (gthread); the floor (a bare Flask app returning the same bytes on
the same server and workers); nginx serving the same bytes from files (the limit); nginx
caching in front of the service; and the peer, npm badge-maker rendering in a Node http
server. Then worker memory over 100,000 requests with junk query strings, and with a
timeline of 1,000 counters. Needs wrk, nginx, node and npm (scripts/system-packages
--test and the script itself install what is missing).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tests.servers import free_port, stop, wait_http  # noqa: E402

PY = sys.executable
CORES = os.cpu_count() or 1
PATHS = {
    "badge": "/badge/voip-ma.svg?lang=ar",
    "json": "/api/v1/counters/voip-ma?lang=ar",
    "script": "/embed/voip-ma.js",
}


def start(command: list[str], env: dict | None = None, cwd: Path = ROOT) -> subprocess.Popen:
    return subprocess.Popen(
        command,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wrk(url: str, seconds: int, connections: int, headers: dict | None = None, script: Path | None = None) -> dict:
    command = ["wrk", "-t", str(min(2, CORES)), "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", str(script)]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    total = int(re.search(r"(\d+) requests in", output).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": round(rate),
        "p99_ms": round(float(p99.group(1)) * scale, 2),
        "requests": total,
        "bad": int(non2xx.group(1)) if non2xx else 0,
    }


def worker_rss_kib(master: int) -> int:
    """Total resident memory of the master's child processes (the workers)."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{master}$", text, re.M):
            found = re.search(r"^VmRSS:\s+(\d+)", text, re.M)
            total += int(found.group(1)) if found else 0
    return total


def serve_service(port: int, env: dict, server: str = "granian") -> subprocess.Popen:
    if server == "granian":  # what `voipdown serve` runs
        return start([PY, "-m", "voipdown", "serve", "--port", str(port), "--workers", str(CORES)], env)
    return start(gunicorn(port, "wsgi:app"), env)


def gunicorn(port: int, app: str) -> list[str]:
    """gunicorn as measured against granian: gthread, 4 threads, one worker per core."""
    threads = ["-k", "gthread", "--threads", "4", "-w", str(CORES)]
    return [PY, "-m", "gunicorn", *threads, "-b", f"127.0.0.1:{port}", app]


def nginx_config(run: Path, body: str) -> Path:
    config = run / "nginx.conf"
    user = "user root;" if os.geteuid() == 0 else ""
    config.write_text(f"""{user}
worker_processes {CORES}; pid {run}/nginx.pid; error_log {run}/error.log crit; daemon off;
events {{ worker_connections 4096; }}
http {{ access_log off; client_body_temp_path {run}/cb; proxy_temp_path {run}/p; fastcgi_temp_path {run}/f;
uwsgi_temp_path {run}/u; scgi_temp_path {run}/s; {body} }}""")
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    for tool in ("wrk", "nginx", "node", "npm"):
        if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists():
            sys.exit(f"{tool} is missing (scripts/system-packages --test installs it)")
    if importlib.util.find_spec("gunicorn") is None:  # the server we measured granian against
        subprocess.run([PY, "-m", "pip", "install", "--quiet", "gunicorn"], check=True)
    if not (HERE / "node_modules" / "badge-maker").is_dir():
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(HERE), "badge-maker@4"],
            check=True,
        )

    results: dict = {"cores": CORES, "seconds": args.seconds, "connections": args.connections}
    work = Path(tempfile.mkdtemp(prefix="voipdown-bench-"))
    env = {
        "VOIPDOWN_PUBLIC_URL": "http://127.0.0.1",
        "XDG_STATE_HOME": str(work / "state"),
        "VOIPDOWN_DISCOVERY": "off",
    }
    measure = lambda url, **kw: wrk(url, args.seconds, args.connections, **kw)  # noqa: E731

    # The service, on both servers; and the bytes it serves, for the floor and nginx.
    bodies = {}
    for server in ("granian", "gunicorn"):
        port = free_port()
        process = serve_service(port, env, server)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_http(base + "/healthz")
            for name, path in PATHS.items():
                with urllib.request.urlopen(base + path) as response:
                    bodies[name] = (
                        response.headers["Content-Type"],
                        response.read().decode("latin-1"),
                        response.headers["ETag"],
                    )
                measure(base + path)  # warm every worker's cache
                results[f"service_{server}_{name}"] = measure(base + path)
            if server == "granian":
                etag = bodies["badge"][2]
                results["service_granian_badge_304"] = measure(base + PATHS["badge"], headers={"If-None-Match": etag})
        finally:
            stop(process)

    # The floor: the same bytes from a bare Flask app on the same servers and workers.
    floor_env = {"FLOOR_BODIES": json.dumps({name.lstrip("/"): [b[0], b[1]] for name, b in bodies.items()})}
    for server in ("gunicorn", "granian"):
        port = free_port()
        if server == "gunicorn":
            command = gunicorn(port, "bench.floor_app:app")
        else:
            command = [
                PY,
                "-m",
                "granian",
                "--interface",
                "wsgi",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(CORES),
                "--blocking-threads",
                "4",
                "--no-ws",
                "bench.floor_app:app",
            ]
        process = start(command, floor_env)
        try:
            wait_http(f"http://127.0.0.1:{port}/badge")
            for name in PATHS:
                results[f"floor_{server}_{name}"] = measure(f"http://127.0.0.1:{port}/{name}")
        finally:
            stop(process)

    # The limit: nginx serving the same bytes from files; then nginx caching the service.
    run = work / "nginx"
    (run / "files").mkdir(parents=True)
    for name, (_, body, _) in bodies.items():
        (run / "files" / name).write_bytes(body.encode("latin-1"))
    port = free_port()
    static = nginx_config(run, f"server {{ listen 127.0.0.1:{port}; root {run}/files; default_type image/svg+xml; }}")
    process = start(["nginx", "-c", str(static), "-p", str(run)])
    try:
        wait_http(f"http://127.0.0.1:{port}/badge")
        results["nginx_static_badge"] = measure(f"http://127.0.0.1:{port}/badge")
    finally:
        stop(process)

    service_port, cache_port = free_port(), free_port()
    service = serve_service(service_port, env)
    deploy = (ROOT / "docs" / "deploy" / "nginx.conf").read_text()
    cache_run = work / "nginx-cache"
    cache_run.mkdir()
    config = cache_run / "nginx.conf"
    config.write_text(
        deploy.replace("@@USER@@", "user root;" if os.geteuid() == 0 else "")
        .replace("@@RUN@@", str(cache_run))
        .replace("@@UPSTREAM@@", f"127.0.0.1:{service_port}")
        .replace("@@LISTEN@@", f"127.0.0.1:{cache_port}")
        .replace("error_log " + str(cache_run) + "/error.log warn", "error_log " + str(cache_run) + "/error.log crit")
    )
    proxy = start(["nginx", "-c", str(config), "-p", str(cache_run)])
    try:
        wait_http(f"http://127.0.0.1:{service_port}/healthz")
        wait_http(f"http://127.0.0.1:{cache_port}/healthz")
        url = f"http://127.0.0.1:{cache_port}{PATHS['badge']}"
        urllib.request.urlopen(url).read()
        results["nginx_cache_badge"] = measure(url)
    finally:
        stop(proxy)
        stop(service)

    # The peer: badge-maker rendering on every request in Node.
    port = free_port()
    process = start(["node", str(HERE / "badge_maker_server.mjs"), str(port)], cwd=HERE)
    try:
        wait_http(f"http://127.0.0.1:{port}/")
        results["peer_badge_maker"] = measure(f"http://127.0.0.1:{port}/")
    finally:
        stop(process)

    if not args.skip_memory:
        results.update(memory(env, work))
    print(json.dumps(results, indent=2))
    shutil.rmtree(work, ignore_errors=True)


JUNK = """
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/badge/voip-ma.svg?lang=ar&_=" .. n .. "&utm_source=" .. math.random(1, 1e9))
end
"""


def memory(env: dict, work: Path) -> dict:
    """Worker RSS before and after 100,000 requests with junk query strings; and with 1,000 counters."""
    found = {}
    script = work / "junk.lua"
    script.write_text(JUNK)
    for label, timeline in (("bundled", None), ("1000_counters", _big_timeline(work))):
        port = free_port()
        extra = {"VOIPDOWN_TIMELINE": str(timeline)} if timeline else {}
        process = serve_service(port, {**env, **extra})
        try:
            base = f"http://127.0.0.1:{port}"
            wait_http(base + "/healthz")
            wrk(base + PATHS["badge"], 3, 16, script=script)
            before = worker_rss_kib(process.pid)
            done = 0
            while done < 100_000:
                done += wrk(base + PATHS["badge"], 5, 32, script=script)["requests"]
            if timeline:
                for n in range(0, 1000, 7):
                    urllib.request.urlopen(f"{base}/badge/c{n}.svg").read()
                urllib.request.urlopen(f"{base}/api/v1/counters").read()
            after = worker_rss_kib(process.pid)
            found[f"memory_{label}"] = {
                "requests": done,
                "rss_before_kib": before,
                "rss_after_kib": after,
                "growth_percent": round(100 * (after - before) / before, 1),
            }
        finally:
            stop(process)
    return found


def _big_timeline(work: Path) -> Path:
    lines = ['default_counter = "c0"']
    for n in range(1000):
        lines += [
            f"[counters.c{n}]",
            'timezone = "Africa/Casablanca"',
            f"start = {2000 + n % 25}-0{1 + n % 9}-1{n % 10}",
            'default_lang = "fr"',
            f'title = {{ fr = "Compteur {n}", ar = "عداد {n}", en = "Counter {n}" }}',
            "",
        ]
    path = work / "big.toml"
    path.write_text("\n".join(lines))
    return path


if __name__ == "__main__":
    main()
