"""The few pieces of JSON Schema that the OpenAPI description and `/healthz`'s table are
written with, so that "a string among these words" or "an object with exactly these
properties" is said one way everywhere."""

from __future__ import annotations

from collections.abc import Iterable

TEXT = {"type": "string"}


def words(values: Iterable[str]) -> dict:
    """A string that is one of `values`."""
    return {"type": "string", "enum": list(values)}


def exactly(properties: dict, optional: Iterable[str] = ()) -> dict:
    """An object with exactly these properties, all required but `optional`."""
    left_out = set(optional)
    return {
        "type": "object",
        "required": [name for name in properties if name not in left_out],
        "properties": properties,
        "additionalProperties": False,
    }
