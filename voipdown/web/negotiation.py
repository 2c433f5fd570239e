"""Reading the request: the language asked for, and canonical query parameters."""

from __future__ import annotations

from flask import request

from voipdown.languages import SUPPORTED
from voipdown.web.errors import ApiError


def bad_parameter(name: str, allowed: str) -> ApiError:
    """A 400 that says what is allowed and does not repeat what was sent."""
    return ApiError(400, "bad_parameter", f"Invalid value for '{name}': {allowed}.")


def requested_language(default: str) -> str:
    """`?lang=` if given (400 if unsupported), else the best of Accept-Language, else `default`."""
    raw = request.args.get("lang", "")
    if raw:
        lang = raw.strip().lower()
        if lang not in SUPPORTED:
            raise bad_parameter("lang", f"use one of {', '.join(SUPPORTED)}")
        return lang
    return request.accept_languages.best_match(SUPPORTED) or default
