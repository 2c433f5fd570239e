"""Request bodies: read in one place, and a connection closed after a body left unread.

An early refusal (401, 403, 404, 413, 415) answers before reading the body, so that a client
without a token cannot hold a thread by sending it slowly. Left in the connection, those
bytes would be read as the next request's start: HTTP/1.1 says to close the connection then
(RFC 9112, 9.3), and the answer says so with `Connection: close`, which the server honours.
"""

from __future__ import annotations

from flask import Response, request

READ_MARK = "voipdown.body_read"


def read_body(limit: int) -> bytes:
    """At most `limit` + 1 bytes of the body, however its length was announced (one more than
    the limit tells a body too large); the body counts as read."""
    request.environ[READ_MARK] = True
    return request.stream.read(limit + 1)


def close_if_unread(response: Response) -> Response:
    """`Connection: close` when the request announced a body that no view read."""
    announced = request.content_length or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if announced and not request.environ.get(READ_MARK):
        response.headers["Connection"] = "close"
    return response
