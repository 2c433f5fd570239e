"""What kind of answer each route gives, and the security headers of each kind.

The kind decides the headers (one policy per kind, applied to every answer by one hook
in the app factory) and the format of an error (voipdown/web/errors.py). A test fails if
a route has no kind.
"""

from __future__ import annotations

from enum import Enum
from urllib.parse import urlsplit

from flask import Response


class Kind(Enum):
    IMAGE = "image"
    """Badges and the share image: hot-linked from anywhere, read by any origin."""
    SCRIPT = "script"
    """The embed script and the builder's script: run inside other pages."""
    FRAME = "frame"
    """The no-JavaScript counter: framed by any page."""
    PAGE = "page"
    """The site's pages: no script runs, never framed."""
    BUILDER = "builder"
    """The embed builder: a page whose preview runs our embed script and frame."""
    DATA = "data"
    """JSON and Atom: for other tools, read by any origin."""


KINDS: dict[str, Kind] = {
    "api.list_counters": Kind.DATA,
    "api.show_counter": Kind.DATA,
    "api.shields": Kind.DATA,
    "tallies.list_tallies": Kind.DATA,
    "tallies.show_tally": Kind.DATA,
    "tallies.push_samples": Kind.DATA,
    "tallies.samples": Kind.DATA,
    "tallies.samples_csv": Kind.DATA,
    "tallies.shields": Kind.DATA,
    "tallies.delete_sample": Kind.DATA,
    "openapi.openapi": Kind.DATA,
    "health.healthz": Kind.DATA,
    "site.default_feed": Kind.DATA,
    "site.counter_feed": Kind.DATA,
    "badges.badge": Kind.IMAGE,
    "charts.chart": Kind.IMAGE,
    "site.share_image": Kind.IMAGE,
    "site.favicon": Kind.IMAGE,
    "site.robots": Kind.DATA,
    "embed.script": Kind.SCRIPT,
    "embed.tally_script": Kind.SCRIPT,
    "embed.builder_asset": Kind.SCRIPT,
    "embed.frame": Kind.FRAME,
    "site.home": Kind.PAGE,
    "site.counter_page": Kind.PAGE,
    "site.tally_page": Kind.PAGE,
    "badges.gallery": Kind.PAGE,
    "embed.builder": Kind.BUILDER,
}
"""Every endpoint's kind."""

SHARED_KINDS = (Kind.IMAGE, Kind.SCRIPT, Kind.DATA)
"""Read by scripts of any origin (CORS): public, and never personal."""

PAGE_POLICY = (
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none';"
    " form-action 'self'"
)


def origin_of(url: str) -> str:
    """`https://host[:port]` of an address: a CSP source with a path matches that path alone,
    so a service under a sub-path (VOIPDOWN_PUBLIC_URL=https://host/campaign) names its origin."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(kind: Kind, origin: str) -> str | None:
    """The CSP of `kind`; `origin` is where our own scripts and images are served from."""
    if kind is Kind.IMAGE:
        return "default-src 'none'; style-src 'unsafe-inline'"  # an SVG opened on its own runs nothing
    if kind is Kind.FRAME:
        # Framed by any page, by design: no frame-ancestors (even "*" refuses a parent such as
        # about:blank or file:) and no X-Frame-Options.
        return "default-src 'none'; style-src 'unsafe-inline'"
    if kind is Kind.PAGE:
        return PAGE_POLICY
    if kind is Kind.BUILDER:
        return (
            f"default-src 'none'; script-src 'self' {origin}; img-src 'self' {origin}; connect-src 'self' {origin};"
            " style-src 'self' 'unsafe-inline'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none';"
            " form-action 'self'"
        )
    if kind is Kind.DATA:
        return "default-src 'none'; frame-ancestors 'none'"
    return None  # a script's own CSP means nothing: the page that runs it decides


REFERRER_POLICIES = {
    Kind.FRAME: "no-referrer",
    Kind.PAGE: "strict-origin-when-cross-origin",
    Kind.BUILDER: "strict-origin-when-cross-origin",
}


def kind_of(endpoint: str | None, mimetype: str | None) -> Kind:
    """The kind of the route; for an address no route matched, the format of its answer."""
    if endpoint in KINDS:
        return KINDS[endpoint]
    return Kind.PAGE if mimetype == "text/html" else Kind.DATA


def headers_of(kind: Kind, origin: str, method: str = "GET") -> dict[str, str]:
    """The headers of `kind`: the only place they are decided (the service's answers, and a
    static build's `_headers`, voipdown/web/freeze.py)."""
    headers = {"X-Content-Type-Options": "nosniff"}
    policy = content_security_policy(kind, origin)
    if policy:
        headers["Content-Security-Policy"] = policy
    if kind in REFERRER_POLICIES:
        headers["Referrer-Policy"] = REFERRER_POLICIES[kind]
    if kind in SHARED_KINDS and method in ("GET", "HEAD"):
        headers["Access-Control-Allow-Origin"] = "*"
    return headers


def secure(response: Response, kind: Kind, origin: str, method: str) -> Response:
    """Set the headers of `kind` on `response`."""
    response.headers.update(headers_of(kind, origin, method))
    return response
