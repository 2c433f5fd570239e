"""The production server behind `voipdown serve`: granian, one worker process per core.

Chosen by measurement (docs/benchmarks.md): on the same 2-core machine, the same Flask
app answered about 2.5 to 3 times as many requests a second on granian (Rust HTTP, WSGI
workers) as on gunicorn with threads. `voipdown serve` checks the timeline and settings
first, so a bad file stops it at once with its problems; each worker then builds the app
itself. No access log is written: visitors' addresses are not ours to keep.
"""

from __future__ import annotations

import logging
import socket

from granian import Granian
from granian.constants import Interfaces

from voipdown.web.state import WORKER_THREADS


class AddressTaken(OSError):
    """Something already listens on the address: another `voipdown serve` or anything else."""


def check_free(host: str, port: int) -> None:
    """Bind the address once, without SO_REUSEPORT, and let it go: granian's workers share
    their port with SO_REUSEPORT, which would let a second service on the same port start
    and take half the requests with another timeline. A listener of any program fails this."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[
        0
    ]
    probe = socket.socket(family, kind, proto)
    try:
        probe.bind(address)
    except OSError as error:
        raise AddressTaken(
            f"{host}:{port} is already in use ({error.strerror}): is another service running there?"
        ) from None
    finally:
        probe.close()


class _ChosenThreads(logging.Filter):
    """granian warns when a worker has more threads than twice the cores: ours mostly wait (a
    push's turn, a long read's), by design and measured (docs/concurrency.md), so an operator
    is not told to worry about it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Python threads, which seems quite high" not in record.getMessage()


def run(host: str, port: int, workers: int) -> None:
    from voipdown.web import create_app

    create_app({"VOIPDOWN_COLLECT": "off"})  # fail fast, in the foreground, on a bad timeline or setting
    check_free(host, port)
    server = Granian(
        "voipdown.web:create_app",
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=WORKER_THREADS,
        websockets=False,
        log_access=False,
        respawn_failed_workers=True,
        workers_kill_timeout=10,  # a worker that will not stop gracefully is killed, not waited for
    )
    logging.getLogger("_granian").addFilter(_ChosenThreads())
    server.serve()
