"""Which request headers chose an answer, so that the answer says so (`Vary`) and no more.

A header goes into `Vary` only when it decided something: `Accept-Language` when no valid
`?lang=` chose the language and the answer has words in it, `Accept` when a format was
chosen by it, `Accept-Encoding` when the body may be compressed. A badge asked with
`?lang=ar` has one body whatever the visitor's languages, so a shared cache keeps one copy.
"""

from __future__ import annotations

from flask import Response, request

from voipdown.timeline import Timeline
from voipdown.web.freshness import private_copy

NEGOTIATED_KEY = "voipdown.negotiated"


def negotiated(header: str) -> None:
    """Note that `header` chose something in this request's answer."""
    request.environ.setdefault(NEGOTIATED_KEY, set()).add(header)


def accepted_language(timeline: Timeline) -> str:
    """The best of Accept-Language among the site's languages, else the default counter's:
    never an error. Noted as negotiated: call it only for a language the answer uses."""
    negotiated("Accept-Language")
    return request.accept_languages.best_match(timeline.site.languages) or timeline.default_counter.default_lang


def vary(response: Response) -> Response:
    """Add to `Vary` the headers this request's answer was chosen by; an answer the Host
    header wrote into is the reader's alone (freshness.private_copy), not varied on."""
    chosen = request.environ.get(NEGOTIATED_KEY, set())
    for header in sorted(chosen - {"Host"}):
        response.vary.add(header)
    if "Host" in chosen:
        private_copy(response)
    return response
