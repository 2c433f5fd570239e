"""Reading the request: the language asked for, and canonical query parameters."""

from __future__ import annotations

from flask import request

from voipdown.languages import SUPPORTED
from voipdown.web.errors import ApiError


def bad_parameter(name: str, allowed: str) -> ApiError:
    """A 400 that says what is allowed and does not repeat what was sent."""
    return ApiError(400, "bad_parameter", f"Invalid value for '{name}': {allowed}.", parameter=name)


def requested_language(default: str) -> str:
    """`?lang=` if given (400 if unsupported), else the best of Accept-Language, else `default`."""
    lang = request.args.get("lang", "")
    if lang:  # empty means absent, as a form sends it; anything else must be exactly ours
        if lang not in SUPPORTED:
            raise bad_parameter("lang", f"use one of {', '.join(SUPPORTED)}")
        return lang
    return accepted_language(default)


def accepted_language(default: str) -> str:
    """The best of Accept-Language among ours, else `default`: never an error."""
    return request.accept_languages.best_match(SUPPORTED) or default


def choice(name: str, allowed) -> str | None:
    """An optional parameter that must be one of `allowed`; None when absent or empty."""
    raw = request.args.get(name, "")
    if not raw:
        return None
    if raw not in allowed:
        raise bad_parameter(name, f"use one of {', '.join(allowed)}")
    return raw
