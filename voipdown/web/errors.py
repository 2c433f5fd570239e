"""Errors, answered in the format of the route that failed: a JSON error object, an error
badge, a script comment or a page; never a stack trace or the client's own input."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from voipdown.languages import language
from voipdown.texts import BAD_ADDRESS, NO_SUCH_PAGE, NOT_ANSWERING, phrase
from voipdown.web.freshness import cache_error
from voipdown.web.links import absolute
from voipdown.web.negotiation import accepted_language, negotiated
from voipdown.web.response_kinds import KINDS, Kind, kind_of
from voipdown.web.state import current_timeline

log = logging.getLogger(__name__)


class Refusal(Exception):
    """A request we do not answer as asked; `message` is ours, never the client's input."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        lang: str | None = None,
        values: Mapping[str, str] | None = None,
        parameter: str | None = None,
        headers: Mapping[str, str] | None = None,
        details: Mapping[str, object] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.parameter = parameter
        """For `bad_parameter`: the name of the parameter (ours, never the client's)."""
        self.lang = lang
        """The language to say it in, when the request's language is known."""
        self.values = values or {}
        """The parameters that were valid (an error badge keeps the asked style)."""
        self.headers = dict(headers or {})
        self.details = dict(details or {})
        """More members of the JSON error object (ours: an index, a field name)."""


class Moved(Exception):
    """An old alias: a 301 to the counter's current address."""

    def __init__(self, location: str):
        super().__init__(location)
        self.location = location


def json_error(status: int, code: str, message: str, details: Mapping[str, object] | None = None) -> Response:
    response = jsonify(error={"code": code, "message": message, **(details or {})})
    response.status_code = status
    return cache_error(response)


def register(app: Flask, image_error: Callable[[Refusal], Response]) -> None:
    """Answer every error in its route's format; `image_error` draws the image routes' ones."""

    def answer(refusal: Refusal) -> Response:
        # Only an address no route matched negotiates its format (and so varies on Accept).
        matched = request.endpoint in KINDS
        kind = kind_of(request.endpoint, None if matched else ("text/html" if _wants_a_page() else "application/json"))
        if kind is Kind.IMAGE:
            return image_error(refusal)
        if kind in (Kind.PAGE, Kind.BUILDER, Kind.FRAME):
            return _error_page(refusal)
        if kind is Kind.SCRIPT:
            body = f"/* VoIP Down: {refusal.message} */\n"
            return cache_error(Response(body, status=refusal.status, mimetype="text/javascript"))
        named = {"parameter": refusal.parameter} if refusal.parameter else {}
        return json_error(refusal.status, refusal.code, refusal.message, {**named, **refusal.details})

    @app.errorhandler(Refusal)
    def refused(refusal: Refusal):
        response = answer(refusal)
        response.headers.update(refusal.headers)
        return response

    @app.errorhandler(Moved)
    def moved(moved: Moved):
        # Rebuilt from canonical values only: nothing of the query string is reflected. A write
        # is sent on with a 308, which keeps its method and body.
        status = 301 if request.method in ("GET", "HEAD") else 308
        return Response(status=status, mimetype="text/plain", headers={"Location": moved.location})

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = (error.name or "error").lower().replace(" ", "_")
        allow = {"Allow": ", ".join(error.valid_methods)} if error.code == 405 and error.valid_methods else {}
        return refused(Refusal(error.code or 500, code, error.name or "Error", headers=allow))

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unhandled error")
        return answer(Refusal(500, "internal_error", "The service failed to answer; the error is logged."))


def _wants_a_page() -> bool:
    """For an address no route matched: a browser asking for a page (not a tool). Both
    answers then vary on Accept, so that no cache gives one to the other."""
    if request.method not in ("GET", "HEAD") or request.path.startswith(
        ("/api/", "/badge/", "/chart/", "/embed/", "/static/")
    ):
        return False
    negotiated("Accept")
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def _error_page(refusal: Refusal) -> Response:
    lang = refusal.lang or accepted_language(current_timeline())
    if refusal.status == 400:
        heading = phrase(lang, BAD_ADDRESS, parameter=refusal.parameter or "?")
    elif refusal.status < 500:
        heading = phrase(lang, NO_SUCH_PAGE)
    else:
        heading = phrase(lang, NOT_ANSWERING)
    html = render_template(
        "error.html",
        lang=lang,
        dir=language(lang).direction,
        heading=heading,
        home=absolute("site.home", lang=lang),  # absolute: a static host serves 404.html at any depth
        t=lambda msgid: phrase(lang, msgid),
    )
    return cache_error(Response(html, status=refusal.status))
