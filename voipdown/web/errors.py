"""Errors as JSON: `{"error": {"code": ..., "message": ...}}`, never a stack trace or echoed input."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from voipdown.web.http_cache import cache_error

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error the client can act on; `message` is ours, never the client's input."""

    def __init__(self, status: int, code: str, message: str, parameter: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.parameter = parameter
        """For `bad_parameter`: the name of the parameter (ours, never the client's)."""


def error_response(status: int, code: str, message: str):
    response = jsonify(error={"code": code, "message": message})
    response.status_code = status
    return cache_error(response)


def register(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        return error_response(error.status, error.code, error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 404 and _wants_a_page():
            return _not_found_page()
        code = (error.name or "error").lower().replace(" ", "_")
        response = error_response(error.code or 500, code, error.name or "Error")
        if error.code == 405 and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unhandled error")
        return error_response(500, "internal_error", "The service failed to answer; the error is logged.")


def _wants_a_page() -> bool:
    """A browser asking for a page (not the API, not an image or script)."""
    return (
        request.method in ("GET", "HEAD")
        and not request.path.startswith(("/api/", "/badge/", "/embed/", "/static/"))
        and request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"
    )


def _not_found_page():
    from voipdown.languages import LANGUAGES, SUPPORTED
    from voipdown.texts import phrase

    lang = request.accept_languages.best_match(SUPPORTED) or "fr"
    html = render_template(
        "not_found.html", lang=lang, dir=LANGUAGES[lang].direction, t=lambda msgid: phrase(lang, msgid)
    )
    response = Response(html, status=404)
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    response.vary.add("Accept-Language")
    response.vary.add("Accept")
    return cache_error(response)
