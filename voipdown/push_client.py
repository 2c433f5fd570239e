"""`voipdown tally push`: a sample sent to a service's push API, as a feeder script would,
with the refusals' own messages and a busy service (503) asked again after its Retry-After.

The token is sent, never printed; what is printed is the service's answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import httpx

RETRIES = 3
"""A 503 is asked again at most this many times."""
MAX_WAIT = 60.0
"""Seconds waited for a Retry-After at most."""


@dataclass(frozen=True)
class Answer:
    status: int
    """The HTTP status; 0 when the service could not be reached."""
    body: dict
    """The answer's JSON (an error's `{"error": {"code", "message"}}`), or {} if it had none."""

    @property
    def ok(self) -> bool:
        return self.status in (200, 201)

    def said(self) -> str:
        """The refusal in the service's words: « 401 unauthorized: A push needs … »."""
        error = self.body.get("error") if isinstance(self.body.get("error"), dict) else {}
        return f"{self.status} {error.get('code', 'error')}: {error.get('message', 'no message')}"


def push(
    base: str,
    slug: str,
    name: str,
    value: int,
    token: str,
    at: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Answer:
    """POST one sample; a 503 asked again after its Retry-After, at most RETRIES times."""
    url = f"{base.rstrip('/')}/api/v1/counters/{quote(slug, safe='')}/tallies/{quote(name, safe='')}/samples"
    sample = {"value": value} if at is None else {"at": at, "value": value}
    headers = {"Authorization": f"Bearer {token}", "User-Agent": "voipdown tally push"}
    for attempt in range(RETRIES + 1):
        try:
            response = httpx.post(url, json=sample, headers=headers, timeout=20, trust_env=False)
        except httpx.HTTPError as error:
            host = urlsplit(base).hostname or base
            return Answer(
                0, {"error": {"code": "unreachable", "message": f"cannot reach {host} ({type(error).__name__})"}}
            )
        try:
            body = response.json()
        except ValueError:
            body = {}
        answer = Answer(response.status_code, body if isinstance(body, dict) else {})
        if response.status_code != 503 or attempt == RETRIES:
            return answer
        sleep(min(_seconds(response.headers.get("retry-after")), MAX_WAIT))
    return answer


def _seconds(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value else 1.0
    except ValueError:
        return 1.0
