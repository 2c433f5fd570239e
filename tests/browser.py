"""Real headless Chromium (Debian's), driven by Playwright, for tests that look at what we render."""

import os
import threading

from werkzeug.serving import make_server

CHROMIUM = os.environ.get("VOIPDOWN_TEST_CHROMIUM", "/usr/bin/chromium")
# As this machine needs them: no sandbox as root, no GPU, no background traffic to a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--font-render-hinting=none",
]


class LiveServer:
    """The app on a real loopback HTTP server, in a thread, for the browser to load."""

    def __init__(self, app):
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._thread.join(timeout=10)
