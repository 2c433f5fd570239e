"""What `/healthz` says, field by field: one table that the answer is checked against, that
the OpenAPI description types, and that docs/deploy.md writes out (tests keep all three one)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HealthField:
    name: str
    schema: dict
    meaning: str
    always: bool = True
    """False: present only when it has something to say (an error, a warning)."""


_TEXT = {"type": "string"}
HEALTH_FIELDS: tuple[HealthField, ...] = (
    HealthField(
        "status",
        {"type": "string", "enum": ["ok", "degraded"]},
        "`degraded` when the timeline is stale, the font missing, a store or the shared cache failing:"
        " point monitoring here",
    ),
    HealthField("version", _TEXT, "the service's version"),
    HealthField(
        "timeline",
        {"type": "string", "enum": ["ok", "stale"]},
        "`stale`: the timeline file on disk is invalid and the last good one is served",
    ),
    HealthField("timeline_version", _TEXT, "a digest of the timeline served (changes with every good edit)"),
    HealthField(
        "timeline_errors",
        {"type": "array", "items": _TEXT},
        "with `stale`: each problem, with the file's name, line and field",
        always=False,
    ),
    HealthField("tzdata", _TEXT, "the version of the time-zone database the counts use (`2026f`)"),
    HealthField("font", _TEXT, "the font file badges and images are drawn with, or `missing`"),
    HealthField("font_error", _TEXT, "with `missing`: why (images answer 503 until a font is there)", always=False),
    HealthField(
        "participants",
        {"type": "string", "enum": ["ok", "error", "off"]},
        "the store of participating sites: `off` when `VOIPDOWN_DISCOVERY` is `off`",
    ),
    HealthField("participants_error", _TEXT, "with `error`: what failed", always=False),
    HealthField(
        "participants_dropped",
        {"type": "integer", "minimum": 1},
        "sightings of new hosts not kept (beyond the pending or hourly cap) since the start",
        always=False,
    ),
    HealthField(
        "tallies",
        {"type": "string", "enum": ["ok", "error"]},
        "the tally store (SQLite or Redis): `error` makes `status` `degraded`",
    ),
    HealthField(
        "tallies_error", _TEXT, "with `error`: what failed and what to do (removed file, full disk...)", always=False
    ),
    HealthField(
        "collect",
        {
            "type": "object",
            "required": ["tallies", "failing", "here"],
            "additionalProperties": False,
            "properties": {
                "tallies": {"type": "integer", "minimum": 0},
                "failing": {"type": "integer", "minimum": 0},
                "here": {"type": "string", "enum": ["on", "off"]},
            },
        },
        "`tallies`: how many the service collects itself; `failing`: how many failed their last round;"
        " `here`: whether this process collects (`VOIPDOWN_COLLECT`)",
    ),
    HealthField("public_url", _TEXT, "`VOIPDOWN_PUBLIC_URL`, or what being unset costs"),
    HealthField(
        "cache",
        {"type": "string", "enum": ["memory", "redis", "error"]},
        "the shared answer cache: each worker's memory, or Redis (`VOIPDOWN_REDIS_URL`)",
    ),
    HealthField("cache_error", _TEXT, "with `error`: why Redis cannot be used (answers are made afresh)", always=False),
    HealthField(
        "feed_ids",
        {"type": "string", "enum": ["stable", "host-dependent"]},
        "`host-dependent`: a counter's feed ids follow the request's Host (no `url`, no public URL)",
    ),
    HealthField("feed_ids_warning", _TEXT, "with `host-dependent`: which counters, and what to set", always=False),
)
"""Every field `/healthz` may write, in the order it writes them."""


def health_schema() -> dict:
    """The JSON Schema of a `/healthz` answer."""
    return {
        "type": "object",
        "required": [field.name for field in HEALTH_FIELDS if field.always],
        "additionalProperties": False,
        "properties": {field.name: {**field.schema, "description": field.meaning} for field in HEALTH_FIELDS},
    }
