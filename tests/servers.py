"""Real servers on loopback, for the tests and the benchmarks alike: free ports, plain HTTP
requests, `voipdown serve` started and stopped, a real redis-server.

A helpers module of the suite (no test in it); the benchmarks import it too, and no test
imports a benchmark.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, headers: dict | None = None, timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    """GET `url`: status, headers (lower-case names) and body, error statuses included."""
    return fetch(url, headers=headers, timeout=timeout)


def fetch(
    url: str,
    context: ssl.SSLContext | None = None,
    method: str = "GET",
    headers: dict | None = None,
    data: bytes | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, str], bytes]:
    """Any request, over HTTPS trusting what `context` trusts: as `get` answers."""
    request = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, context=context, timeout=timeout) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def wait_http(url: str, timeout: float = 30, process: subprocess.Popen | None = None) -> None:
    """Wait until `url` answers at all; fail at once if `process` (the server) has exited."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            get(url, timeout=1)
            return
        except OSError:
            pass
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}) before {url} answered")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout} s")
        time.sleep(0.1)


def wait_tcp(port: int, process: subprocess.Popen, timeout: float = 20) -> None:
    """Wait until something listens on loopback `port`; fail with `process`'s output if it exits."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output = process.stdout or process.stderr
                raise RuntimeError(output.read().decode() if output else f"nothing listens on {port}") from None
            time.sleep(0.05)


def stop(process: subprocess.Popen) -> None:
    """Stop a server started with start_new_session=True, and all it started (its workers)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def serving(
    env: dict | None = None, workers: int = 2, log: Path | None = None, timeout: float = 60, tree: Path = ROOT
) -> Iterator[tuple[str, subprocess.Popen]]:
    """`voipdown serve` on a free loopback port, with `env` over this environment; yields its
    base address (once /healthz answers) and its process, and stops it and its workers after.
    Its output goes to `log` (read back into the error if it never answers), else nowhere.
    `tree`: another checkout's package instead of this one (a benchmark's A/B)."""
    port = free_port()
    if tree != ROOT:
        env = {**(env or {}), "PYTHONPATH": os.pathsep.join(filter(None, [str(tree), (env or {}).get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "voipdown", "serve", "--port", str(port), "--workers", str(workers)]
    with open(log, "wb") if log else open(os.devnull, "wb") as output:
        process = subprocess.Popen(
            command,
            env={**os.environ, **(env or {})},
            cwd=tree,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_http(base + "/healthz", timeout=timeout, process=process)  # draws nothing: workers stay cold
        except RuntimeError as error:
            raise RuntimeError(f"{error}\n{log.read_text() if log else ''}") from error
        yield base, process
    finally:
        stop(process)


class RedisServer:
    """A real redis-server on a free loopback port, that can be killed and started again."""

    def __init__(self, port: int | None = None, aof_dir: Path | None = None):
        """`aof_dir`: keep an append-only file there, fsynced at every write (appendfsync
        always), so that a restarted server has every write it acknowledged."""
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None
        self.aof_dir = aof_dir

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is missing: scripts/system-packages --test installs it"
        durability = ["--appendonly", "no"]
        if self.aof_dir is not None:
            durability = ["--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.aof_dir)]
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", *durability],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


NGINX_CONFIG = ROOT / "docs" / "deploy" / "nginx.conf"
NGINX_STATIC_CONFIG = ROOT / "docs" / "deploy" / "nginx-static.conf"


@contextmanager
def nginx_in_front(upstream: str, run: Path) -> Iterator[str]:
    """Debian's nginx with the documented configuration (docs/deploy/nginx.conf) in front of
    `upstream`, its files in `run`; yields its base address."""
    port = free_port()
    config = NGINX_CONFIG.read_text().replace("@@UPSTREAM@@", upstream.removeprefix("http://"))
    with _nginx(config, run, port) as base:
        yield base


@dataclass(frozen=True)
class NginxTls:
    """The documented nginx over TLS: its HTTPS and plain-HTTP base addresses."""

    https: str
    http: str


@contextmanager
def nginx_tls_in_front(upstream: str, run: Path, certificate: Path, key: Path, acme: Path) -> Iterator[NginxTls]:
    """docs/deploy/nginx.conf with the TLS lines its comments give, as a reader would paste
    them (HOST is `localhost`, the ports are free ones, the certificate and the ACME folder
    are the caller's); a change to those lines that this cannot follow fails loudly."""
    https, http = free_port(), free_port()
    text = NGINX_CONFIG.read_text()
    comment = text[text.index("# TLS:") : text.index("# Reload nginx")]
    listen_lines, server_lines = (
        "\n".join(line.removeprefix("#     ") for line in part.splitlines() if line.startswith("#     "))
        for part in comment.split("# and add this server")
    )
    filled = {
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
        "listen 80;": f"listen 127.0.0.1:{http};",
        "/etc/letsencrypt/live/HOST/fullchain.pem": str(certificate),
        "/etc/letsencrypt/live/HOST/privkey.pem": str(key),
        "/var/www/acme": str(acme),
        "HOST": "localhost",
    }
    pasted = listen_lines + "\n" + server_lines
    for placeholder, value in filled.items():
        assert placeholder in pasted, f"docs/deploy/nginx.conf's TLS lines no longer say {placeholder!r}"
        listen_lines, server_lines = (part.replace(placeholder, value) for part in (listen_lines, server_lines))
    directive = "\n        listen @@LISTEN@@;\n"  # the server's own, not the comments that name it
    assert text.count(directive) == 1
    indented = "".join(f"\n        {line}" for line in listen_lines.splitlines()) + "\n"
    config = text.replace("@@UPSTREAM@@", upstream.removeprefix("http://")).replace(directive, indented)
    end_of_http = config.rindex("}")
    config = config[:end_of_http] + server_lines + "\n" + config[end_of_http:]
    with _nginx(config, run, https):
        yield NginxTls(https=f"https://localhost:{https}", http=f"http://127.0.0.1:{http}")


@contextmanager
def nginx_static(site: Path, run: Path, port: int) -> Iterator[str]:
    """Debian's nginx serving a build's folder `site` as plain files under /campaign/, with the
    documented configuration (docs/deploy/nginx-static.conf); yields its base address."""
    config = NGINX_STATIC_CONFIG.read_text().replace("@@SITE@@", str(site))
    with _nginx(config, run, port) as base:
        yield base + "/campaign"


@contextmanager
def _nginx(config: str, run: Path, port: int) -> Iterator[str]:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    assert os.path.exists(binary), "nginx is missing: scripts/system-packages --test installs it"
    config = (
        config.replace("@@USER@@", "user root;" if os.geteuid() == 0 else "")
        .replace("@@RUN@@", str(run))
        .replace("@@LISTEN@@", f"127.0.0.1:{port}")
    )
    (run / "nginx.conf").write_text(config)
    process = subprocess.Popen([binary, "-c", str(run / "nginx.conf"), "-p", str(run)], stderr=subprocess.PIPE)
    wait_tcp(port, process, timeout=10)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
