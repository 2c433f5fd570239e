"""Push tokens: made here, kept by the timeline only as SHA-256 hashes, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 32


def new_token() -> str:
    """A fresh random token (32 bytes, URL-safe base64): shown once, never stored."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_sha256(token: str) -> str:
    """What the timeline keeps of a token (`token_sha256 = "..."`)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str | None, expected_sha256: str | None) -> bool:
    """Whether `token` is the one whose hash the timeline holds, in constant time."""
    if not token or not expected_sha256:
        return False
    return hmac.compare_digest(token_sha256(token), expected_sha256)
