"""A source for bench/collect.py, in a process of its own (its CPU is not the bench's): a
loopback HTTP server answering /n.json with a growing count, writing each request's wall
time and query to a log file, one line each.

    python bench/counting_source.py PORT LOG
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.sources import Source, send  # noqa: E402


def main() -> None:
    port, log = int(sys.argv[1]), Path(sys.argv[2])
    lock = threading.Lock()
    count = [0]
    with log.open("a", buffering=1) as out:

        def route(handler):
            with lock:
                count[0] += 1
                value = count[0]
                out.write(f"{time.time()} {handler.path.partition('?')[2]}\n")
            send(handler, 200, json.dumps({"n": value}).encode())

        source = Source(port)
        source.routes["/n.json"] = route
        with source:
            threading.Event().wait()


if __name__ == "__main__":
    main()
