"""Real headless Chromium (Debian's), driven by Playwright, for tests that look at what we render."""

import html
import io
import os
import re
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
    """A WSGI app on a real loopback HTTP server, in a thread, for the browser to load."""

    def __init__(self, app, port: int = 0):
        self._server = make_server("127.0.0.1", port, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._thread.join(timeout=10)


HOST_SCRIPT = """
// The host page's own code: globals our embed must leave alone, and two probes.
var initCalls = 0;
function init() { initCalls += 1; return 'host init'; }
function updateCounter() { return 'host updateCounter'; }
window.hostOriginals = { init: init, updateCounter: updateCounter };
window.layoutShift = 0;
window.globalsBefore = Object.getOwnPropertyNames(window).concat(['globalsBefore']);
new PerformanceObserver(function (list) {
  list.getEntries().forEach(function (entry) { if (!entry.hadRecentInput) window.layoutShift += entry.value; });
}).observe({ type: 'layout-shift', buffered: true });
document.addEventListener('DOMContentLoaded', function () { init(); });
"""

# Styles that break careless widgets: every div, a, span and img restyled.
HOST_STYLE = """
div, a, span { all: unset; }
div { display: block; padding: 13px; margin: 7px; border: 4px dashed #0a0; font: italic 29px/2 serif;
  color: #f0f; background: #ff0; }
a { color: lime !important; font-size: 40px; text-decoration: line-through; letter-spacing: 9px; }
span { display: block; transform: rotate(3deg); font-family: monospace; color: red; }
img { border: 6px solid red; padding: 4px; margin: 0 5px; opacity: .5; filter: blur(1px); max-width: 100%;
  height: auto; vertical-align: middle; }
body { font: 18px/1.6 serif; }
"""


class HostSite(LiveServer):
    """Another origin, with its own strict Content-Security-Policy, that embeds our counter."""

    def __init__(self, service_origin: str, connect: bool = False):
        """`connect`: the policy lets the page's scripts read the service (connect-src), as a
        live tally needs (docs/embed.md)."""
        from werkzeug.wrappers import Request, Response

        self.pages: dict[str, str] = {}
        policy = (
            f"default-src 'self'; style-src 'self'; script-src 'self' {service_origin}; img-src 'self' {service_origin}"
        )
        if connect:
            policy += f"; connect-src 'self' {service_origin}"

        @Request.application
        def app(request):
            if request.path == "/host.js":
                return Response(HOST_SCRIPT, mimetype="text/javascript")
            if request.path == "/host.css":
                return Response(HOST_STYLE, mimetype="text/css")
            body = self.pages.get(request.path)
            if body is None:
                return Response("not found", status=404)
            response = Response(body, mimetype="text/html")
            response.headers["Content-Security-Policy"] = policy
            return response

        super().__init__(app)

    def page(self, path: str, body: str, lang: str = "fr") -> str:
        self.pages[path] = (
            f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Host</title>'
            '<link rel="stylesheet" href="/host.css"><script src="/host.js"></script></head>'
            f"<body><div><p>Un blog marocain.</p>{body}<p>Fin du billet.</p></div></body></html>"
        )
        return self.url + path


def builder_snippet(client, **params) -> str:
    """The script snippet the builder offers, with the live server's absolute addresses."""
    base = client.application.config["LIVE_URL"]
    page = client.get("/embed", query_string=params, base_url=base).get_data(as_text=True)
    return html.unescape(re.search(r'<textarea id="snippet-script"[^>]*>(.*?)</textarea>', page, re.S).group(1))


def watch(page):
    """Collect the page's uncaught errors and console errors (but for the browser's own favicon request)."""
    problems = {"errors": [], "console": []}

    def console(message):
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            problems["console"].append(message.text)

    page.on("pageerror", lambda error: problems["errors"].append(str(error)))
    page.on("console", console)
    return problems


def assert_host_untouched(page, problems) -> None:
    """Nothing moved, no global added, no error: the embed's guarantees to its host."""
    assert page.evaluate("Object.getOwnPropertyNames(window).filter(n => !globalsBefore.includes(n))") == []
    assert page.evaluate("window.layoutShift") == 0
    assert problems == {"errors": [], "console": []}


def shadow(page, selector_js: str):
    return page.evaluate(f"""() => [...document.querySelectorAll('voipdown-counter')].map(h => {{
        const r = h.shadowRoot; return {selector_js};
    }})""")


# Chromium's drawing of an SVG against our PNG of it. Both are anti-aliased fills of the same
# outlines at the same positions; they differ only in the rasterizers' sub-pixel coverage and
# rounding. Measured: mean below 2.5 per channel, and almost no pixel off by more than a quarter.
MEAN_TOLERANCE = 4.0
FAR_OFF = 64
FAR_OFF_SHARE = 0.005


def chromium_shot(page, url):
    """An image as Chromium draws it, alone on a page, with a transparent background."""
    from PIL import Image

    page.set_content(f'<html><body style="margin:0"><img id="badge" src="{url}"></body></html>')
    page.wait_for_function(
        "document.getElementById('badge').complete && document.getElementById('badge').naturalWidth > 0"
    )
    return Image.open(io.BytesIO(page.locator("#badge").screenshot(omit_background=True))).convert("RGBA")
