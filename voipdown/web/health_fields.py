"""What `/healthz` says, field by field: one table that the answer is checked against, that
the OpenAPI description types, and that docs/deploy.md writes out (tests keep all three one)."""

from __future__ import annotations

from dataclasses import dataclass

from voipdown.web.json_schema import TEXT, exactly, words


@dataclass(frozen=True)
class HealthField:
    name: str
    schema: dict
    meaning: str
    always: bool = True
    """False: present only when it has something to say (an error, a warning)."""


HEALTH_FIELDS: tuple[HealthField, ...] = (
    HealthField(
        "status",
        words(["ok", "degraded"]),
        "`degraded` when the timeline is stale, the font missing, a store or the shared cache failing:"
        " point monitoring here",
    ),
    HealthField("version", TEXT, "the service's version"),
    HealthField(
        "timeline",
        words(["ok", "stale"]),
        "`stale`: the timeline file on disk is invalid and the last good one is served",
    ),
    HealthField("timeline_version", TEXT, "a digest of the timeline served (changes with every good edit)"),
    HealthField(
        "timeline_errors",
        {"type": "array", "items": TEXT},
        "with `stale`: each problem, with the file's name, line and field",
        always=False,
    ),
    HealthField("tzdata", TEXT, "the version of the time-zone database the counts use (`2026f`)"),
    HealthField("font", TEXT, "the font file badges and images are drawn with, or `missing`"),
    HealthField("font_error", TEXT, "with `missing`: why (images answer 503 until a font is there)", always=False),
    HealthField(
        "participants",
        words(["ok", "error", "off"]),
        "the store of participating sites: `off` when `VOIPDOWN_DISCOVERY` is `off`",
    ),
    HealthField("participants_error", TEXT, "with `error`: what failed", always=False),
    HealthField(
        "participants_dropped",
        {"type": "integer", "minimum": 1},
        "sightings of new hosts not kept (beyond the pending or hourly cap) since the start",
        always=False,
    ),
    HealthField(
        "tallies",
        words(["ok", "error"]),
        "the tally store (SQLite or Redis): `error` makes `status` `degraded`",
    ),
    HealthField(
        "tallies_error", TEXT, "with `error`: what failed and what to do (removed file, full disk...)", always=False
    ),
    HealthField(
        "collect",
        exactly(
            {
                "tallies": {"type": "integer", "minimum": 0},
                "failing": {"type": "integer", "minimum": 0},
                "here": words(["on", "off"]),
            }
        ),
        "`tallies`: how many the service collects itself; `failing`: how many failed their last round;"
        " `here`: whether this process collects (`VOIPDOWN_COLLECT`)",
    ),
    HealthField("public_url", TEXT, "`VOIPDOWN_PUBLIC_URL`, or what being unset costs"),
    HealthField(
        "cache",
        words(["memory", "redis", "error"]),
        "the shared answer cache: each worker's memory, or Redis (`VOIPDOWN_REDIS_URL`)",
    ),
    HealthField("cache_error", TEXT, "with `error`: why Redis cannot be used (answers are made afresh)", always=False),
    HealthField(
        "feed_ids",
        words(["stable", "host-dependent"]),
        "`host-dependent`: a counter's feed ids follow the request's Host (no `url`, no public URL)",
    ),
    HealthField("feed_ids_warning", TEXT, "with `host-dependent`: which counters, and what to set", always=False),
)
"""Every field `/healthz` may write, in the order it writes them."""


def health_schema() -> dict:
    """The JSON Schema of a `/healthz` answer."""
    return exactly(
        {field.name: {**field.schema, "description": field.meaning} for field in HEALTH_FIELDS},
        optional=(field.name for field in HEALTH_FIELDS if not field.always),
    )
