"""Real HTTP servers that a collector reads: shaped like the sources campaigns follow
(e-petitions, Mastodon, GitHub) and like hostile ones (slow, endless, redirecting)."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = Callable[[BaseHTTPRequestHandler], None]


class Source:
    """A loopback HTTP server: `routes` (path without query -> a function writing the
    answer); each request is counted by path, with its headers."""

    def __init__(self, port: int = 0):
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[float, str, dict[str, str]]] = []
        """(wall-clock time, path, headers) of each request, as it came."""
        self.queries: list[str] = []
        """The query string of each request, in the same order."""
        source = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # as real servers: an answer's header and body not held 40 ms apart

            def do_GET(self):  # noqa: N802 - http.server's name
                path, _, query = self.path.partition("?")
                source.queries.append(query)
                source.requests.append((time.time(), path, {k.lower(): v for k, v in self.headers.items()}))
                route = source.routes.get(path)
                if route is None:
                    send(self, 404, b"not found", "text/plain")
                    return
                try:
                    route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_POST = do_GET  # noqa: N815 - a route answers any method; it may read the body itself

            def log_message(self, *args):
                pass

        self._server = _Server(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def hits(self, path: str) -> int:
        return sum(1 for _, asked, _ in self.requests if asked == path)

    def times_of(self, path: str) -> list[float]:
        return [moment for moment, asked, _ in self.requests if asked == path]

    def headers_of(self, path: str) -> list[dict[str, str]]:
        return [headers for _, asked, headers in self.requests if asked == path]

    def __enter__(self) -> Source:
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    """As a real server's backlog (socketserver's 5 drops a burst's connections: SYNs retried a second later)."""

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client gone, as at a collector's stop
            super().handle_error(request, client_address)


def send(handler, status: int, body: bytes, content_type: str = "application/json", headers: dict | None = None):
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def json_route(document, headers: dict | None = None) -> Route:
    body = json.dumps(document).encode() if not isinstance(document, bytes) else document
    return lambda handler: send(handler, 200, body, headers=headers)


def e_petition(count: int) -> dict:
    """The shape of petition.parliament.uk/petitions/<id>.json (trimmed to what is read and around it)."""
    return {
        "links": {"self": "https://petition.parliament.uk/petitions/700000.json"},
        "data": {
            "type": "petition",
            "id": 700000,
            "attributes": {"action": "Restore the internet", "state": "open", "signature_count": count},
        },
    }


def mastodon_account(followers: int) -> dict:
    """The shape of /api/v1/accounts/<id> on a Mastodon server."""
    return {"id": "109", "username": "coupures", "acct": "coupures", "followers_count": followers, "statuses_count": 40}


def github_repository(stars: int) -> dict:
    """The shape of api.github.com/repos/<owner>/<name>."""
    return {"id": 1, "full_name": "coupures/dz", "stargazers_count": stars, "forks_count": 3}
