"""`/api/openapi.json`: an OpenAPI 3.1 description of every endpoint, kept true by tests
(every route is described, and Schemathesis checks the answers against it)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from voipdown import __version__
from voipdown.counting import Status
from voipdown.tallies.collect.extract import KINDS as FAILURE_KINDS
from voipdown.tallies.model import MAX_SAMPLE_VALUE, UNITS
from voipdown.tallies.push import MAX_SAMPLES
from voipdown.timeline import Timeline
from voipdown.web.freshness import MAX_LIFETIME, cache_for, conditional
from voipdown.web.health_fields import health_schema
from voipdown.web.json_schema import TEXT, exactly, words
from voipdown.web.parameters import parameters_of
from voipdown.web.response_kinds import KINDS, Kind
from voipdown.web.state import current_timeline, served

blueprint = Blueprint("openapi", __name__)


def _param(name: str, where: str = "query", enum=None, schema=None, required=False, description="") -> dict:
    param = {"name": name, "in": where, "required": required or where == "path", "schema": schema or {"type": "string"}}
    if enum is not None:
        param["schema"] = words(["", *enum])  # empty: as if absent
    if description:
        param["description"] = description
    return param


SLUG = _param("slug", "path", description="A counter's slug (or an old alias, answered with a 301).")
ERROR = {"$ref": "#/components/schemas/Error"}
CACHED = {
    "ETag": {"schema": {"type": "string"}},
    "Cache-Control": {"schema": {"type": "string"}},
}


NUMBER_OR_NULL = {"type": ["integer", "null"]}
DAY_OR_INSTANT = {"type": "string", "description": "A date (2016-02-29) when only the day is known, else RFC 3339."}
DIRECTION = words(["ltr", "rtl"])
STATUS = words(status.value for status in Status)


_VALUE = {
    "type": "integer",
    "minimum": -MAX_SAMPLE_VALUE,
    "maximum": MAX_SAMPLE_VALUE,
    "description": "The running total.",
}
_AT = {"type": "string", "format": "date-time", "description": "RFC 3339 with its offset; not before start."}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def schemas(timeline: Timeline) -> dict:
    """Every JSON answer's schema, complete: each property typed, each array with its items,
    nothing else allowed (Schemathesis checks the answers; a generated client reads them)."""
    lang = words(timeline.site.languages)
    shields = exactly(
        {
            "schemaVersion": {"type": "integer", "enum": [1]},
            "label": TEXT,
            "message": TEXT,
            "color": TEXT,
            "cacheSeconds": {"type": "integer", "minimum": 0},
        },
        optional=("cacheSeconds",),
    )
    return {
        "Error": exactly(
            {
                "error": exactly(
                    {
                        "code": TEXT,
                        "message": TEXT,
                        "parameter": {**TEXT, "description": "With bad_parameter: which one."},
                        "index": {"type": "integer", "description": "A push's sample at fault."},
                        "field": {**TEXT, "description": "That sample's field at fault."},
                    },
                    optional=("parameter", "index", "field"),
                )
            }
        ),
        "CounterSummary": exactly(
            {
                "slug": TEXT,
                "title": TEXT,
                "status": STATUS,
                "days": {"type": "integer", "minimum": 0},
                "url": {**TEXT, "description": "The counter's JSON."},
            }
        ),
        "CounterList": exactly(
            {"lang": lang, "default_counter": TEXT, "counters": {"type": "array", "items": _ref("CounterSummary")}}
        ),
        "Counter": exactly(
            {
                "slug": TEXT,
                "status": STATUS,
                "days": {"type": "integer", "minimum": 0},
                "start": {"type": "string", "format": "date"},
                "end": {"type": ["string", "null"], "format": "date"},
                "timezone": TEXT,
                "as_of": {"type": "string", "format": "date"},
                "next_change": {"type": ["string", "null"], "format": "date-time"},
                "lang": lang,
                "dir": DIRECTION,
                "label": TEXT,
                "message": TEXT,
                "title": TEXT,
                "url": {"type": ["string", "null"]},
                "links": exactly({"self": TEXT, "tallies": TEXT}, optional=("tallies",)),
            }
        ),
        "Shields": shields,
        "TallyCollect": {
            **exactly(
                {
                    "source": {**TEXT, "description": "The source's host name."},
                    "every": {"type": "integer", "minimum": 10, "description": "Seconds between two rounds."},
                    "state": words(["pending", "ok", "failing"]),
                    "since": {"type": ["string", "null"], "format": "date-time"},
                    "last_success": {"type": ["string", "null"], "format": "date-time"},
                    "last_error": {"anyOf": [_ref("CollectError"), {"type": "null"}]},
                    "next": {"type": ["string", "null"], "format": "date-time"},
                }
            ),
            "description": "Present only for a tally the service collects from its source itself.",
        },
        "CollectError": exactly({"kind": words(FAILURE_KINDS), "at": {"type": "string", "format": "date-time"}}),
        "Tally": exactly(
            {
                "slug": TEXT,
                "counter": TEXT,
                "title": TEXT,
                "url": {"type": ["string", "null"], "description": "Where to act (a petition), if any."},
                "unit": words(UNITS),
                "value": NUMBER_OR_NULL,
                "at": {"type": ["string", "null"], "description": DAY_OR_INSTANT["description"]},
                "at_precision": {"anyOf": [words(["day", "instant"]), {"type": "null"}]},
                "start": DAY_OR_INSTANT,
                "change": NUMBER_OR_NULL,
                "rate_per_minute": {"type": ["number", "null"]},
                "rate_per_hour": {"type": ["number", "null"]},
                "samples": {"type": "integer", "minimum": 0},
                "interval": {"type": "integer", "minimum": 1},
                "closed": {"type": "boolean"},
                "stale": {"type": "boolean"},
                "lang": lang,
                "dir": DIRECTION,
                "label": TEXT,
                "message": TEXT,
                "links": exactly({"self": TEXT, "counter": TEXT}),
                "collect": _ref("TallyCollect"),
                "store": {
                    "type": "string",
                    "description": "Present only when the tally store could not be read: the figures are the"
                    " timeline's and the last stored ones this server saw, and the answer lives 5 seconds in every"
                    " cache.",
                },
            },
            optional=("collect", "store"),
        ),
        "TallyList": exactly({"tallies": {"type": "array", "items": _ref("Tally")}}),
        "Source": exactly({"name": TEXT, "url": TEXT}, optional=("url",)),
        "Sample": exactly(
            {
                "at": DAY_OR_INSTANT,
                "value": {"type": "integer"},
                "source": {**_ref("Source"), "description": "Where the timeline's sample comes from."},
            },
            optional=("source",),
        ),
        "Samples": exactly(
            {
                "samples": {"type": "array", "items": _ref("Sample")},
                "downsampled": {"type": "boolean", "description": "Whether samples were left out (see points)."},
            }
        ),
        "PushResult": exactly(
            {
                "accepted": {"type": "integer", "minimum": 0},
                "duplicates": {"type": "integer", "minimum": 0},
                "tally": _ref("Tally"),
            }
        ),
        "PushOne": {
            **exactly({"value": _VALUE, "at": _AT}, optional=("at",)),
            "description": "One value, at the service's now or at `at`.",
        },
        "PushMany": exactly(
            {"samples": {"type": "array", "minItems": 1, "maxItems": MAX_SAMPLES, "items": _ref("PushedSample")}}
        ),
        "PushedSample": exactly({"at": _AT, "value": _VALUE}),
        "Health": health_schema(),
    }


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _content(media: str, description: str = "OK") -> dict:
    return {"description": description, "content": {media: {"schema": {"type": "string"}}}}


def _redirect() -> dict:
    return {
        "description": "An old slug: moved to the current one.",
        "headers": {"Location": {"schema": {"type": "string"}}},
    }


ERROR_CONTENT = {
    Kind.DATA: {"application/json": {"schema": ERROR}},
    Kind.IMAGE: {
        "image/svg+xml": {"schema": {"type": "string"}},
        "image/png": {"schema": {"type": "string", "contentMediaType": "image/png"}},
    },
    Kind.SCRIPT: {"text/javascript": {"schema": {"type": "string"}}},
    Kind.PAGE: {"text/html": {"schema": {"type": "string"}}},
    Kind.BUILDER: {"text/html": {"schema": {"type": "string"}}},
    Kind.FRAME: {"text/html": {"schema": {"type": "string"}}},
}
"""An error's format is its route's kind's (voipdown/web/errors.py)."""
ERROR_MEANINGS = {
    400: "A bad parameter, named",
    401: "No token, or not this tally's (WWW-Authenticate: Bearer)",
    403: "The tally takes no pushes",
    404: "No such counter (or tally, or sample)",
    409: "A sample at this instant is stored with another value",
    413: "More than 256 KiB or 1,000 samples",
    415: "Not application/json or text/csv",
    500: "The service failed",
    503: "Unavailable (no font, or the tally store: Retry-After)",
}


def _errors(endpoint: str, *statuses: int) -> dict:
    content = ERROR_CONTENT[KINDS[endpoint]]
    return {str(status): {"description": ERROR_MEANINGS[status], "content": content} for status in statuses}


def _html_page(endpoint: str, summary: str, params: list, redirect=True) -> dict:
    responses = {"200": _content("text/html", summary), **_errors(endpoint, 400, 404)}
    if redirect:
        responses["301"] = _redirect()
    return {"get": {"summary": summary, "parameters": params, "responses": responses}}


def _image_responses(endpoint: str, what: str) -> dict:
    return {
        "200": {"description": what, "content": ERROR_CONTENT[Kind.IMAGE], "headers": CACHED},
        "301": _redirect(),
        **_errors(endpoint, 400, 404, 500, 503),
    }


PUSH_BODY = {"oneOf": [_ref("PushOne"), _ref("PushMany")]}
"""A push's JSON body: one value (at the service's now, or at `at`), or many samples."""


def query(endpoint: str, timeline: Timeline) -> list[dict]:
    """The query parameters of `endpoint`, from the one table (voipdown/web/parameters.py)."""
    described = []
    for parameter in parameters_of(endpoint):
        formats = f" ({', '.join(parameter.formats).upper()} only)" if parameter.formats else ""
        description = f"{parameter.description}{formats} Absent or empty: {parameter.default}."
        required = parameter.free_form and parameter.default == "required"
        schema = parameter.schema
        if schema is not None and not required:
            schema = {"anyOf": [schema, words([""])]}  # empty: as if absent
        described.append(
            _param(
                parameter.name,
                enum=parameter.values(timeline),
                schema=schema,
                description=description,
                required=required,
            )
        )
    return described


def document(timeline: Timeline) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "VoIP Down",
            "version": __version__,
            "description": "Days since a digital-rights event, as JSON, badges, an embed and pages.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "paths": {
            "/api/v1/counters": {
                "get": {
                    "summary": "Every counter",
                    "parameters": query("api.list_counters", timeline),
                    "responses": {
                        "200": _json(_ref("CounterList")),
                        **_errors("api.list_counters", 400),
                    },
                }
            },
            "/api/v1/counters/{slug}": {
                "get": {
                    "summary": "One counter",
                    "parameters": [SLUG, *query("api.show_counter", timeline)],
                    "responses": {
                        "200": {**_json(_ref("Counter")), "headers": CACHED},
                        "301": _redirect(),
                        **_errors("api.show_counter", 400, 404),
                    },
                }
            },
            "/api/v1/counters/{slug}/shields.json": {
                "get": {
                    "summary": "shields.io's endpoint-badge schema",
                    "parameters": [SLUG, *query("api.shields", timeline)],
                    "responses": {
                        "200": _json(_ref("Shields")),
                        "301": _redirect(),
                        **_errors("api.shields", 400, 404),
                    },
                }
            },
            "/api/v1/counters/{slug}/tallies": {
                "get": {
                    "summary": "The counter's tallies",
                    "parameters": [SLUG, *query("tallies.list_tallies", timeline)],
                    "responses": {
                        "200": _json(_ref("TallyList")),
                        "301": _redirect(),
                        **_errors("tallies.list_tallies", 400, 404),
                    },
                }
            },
            "/api/v1/counters/{slug}/tallies/{name}": {
                "get": {
                    "summary": "One tally: its latest value, change and rates",
                    "parameters": [SLUG, _param("name", "path"), *query("tallies.show_tally", timeline)],
                    "responses": {
                        "200": {**_json(_ref("Tally")), "headers": CACHED},
                        "301": _redirect(),
                        **_errors("tallies.show_tally", 400, 404),
                    },
                }
            },
            "/api/v1/counters/{slug}/tallies/{name}/samples.csv": {
                "get": {
                    "summary": "A tally's samples as CSV (at,value)",
                    "parameters": [SLUG, _param("name", "path"), *query("tallies.samples_csv", timeline)],
                    "responses": {
                        "200": _content("text/csv"),
                        "301": _redirect(),
                        **_errors("tallies.samples_csv", 400, 404),
                    },
                }
            },
            "/api/v1/counters/{slug}/tallies/{name}/shields.json": {
                "get": {
                    "summary": "A tally in shields.io's endpoint-badge schema",
                    "parameters": [SLUG, _param("name", "path"), *query("tallies.shields", timeline)],
                    "responses": {
                        "200": _json(_ref("Shields")),
                        "301": _redirect(),
                        **_errors("tallies.shields", 400, 404),
                    },
                }
            },
            "/api/v1/counters/{slug}/tallies/{name}/samples": {
                "get": {
                    "summary": "A tally's samples, downsampled to real ones when there are many",
                    "parameters": [SLUG, _param("name", "path"), *query("tallies.samples", timeline)],
                    "responses": {
                        "200": _json(_ref("Samples")),
                        "301": _redirect(),
                        **_errors("tallies.samples", 400, 404),
                    },
                },
                "post": {
                    "summary": "Push samples (the tally's token as a Bearer token)",
                    "security": [{"token": []}],
                    "parameters": [SLUG, _param("name", "path"), *query("tallies.push_samples", timeline)],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": PUSH_BODY},
                            "text/csv": {
                                "schema": {
                                    "type": "string",
                                    "format": "binary",  # bytes, as a generated client sends a file
                                    "description": "A header `at,value`, then one sample a line (LF or CRLF):"
                                    " what samples.csv writes.",
                                }
                            },
                        },
                    },
                    "responses": {
                        "201": _json(_ref("PushResult"), "Stored"),
                        "200": _json(_ref("PushResult"), "Only duplicates"),
                        "308": _redirect(),
                        **_errors("tallies.push_samples", 400, 401, 403, 404, 409, 413, 415, 503),
                    },
                },
                "delete": {
                    "summary": "Remove one pushed sample (to correct a mistake)",
                    "security": [{"token": []}],
                    "parameters": [SLUG, _param("name", "path"), *query("tallies.delete_sample", timeline)],
                    "responses": {
                        "204": {"description": "Removed"},
                        "308": _redirect(),
                        **_errors("tallies.delete_sample", 400, 401, 403, 404, 503),
                    },
                },
            },
            "/badge/{name}": {
                "get": {
                    "summary": "A badge: <slug>.svg or <slug>.png",
                    "parameters": [
                        _param("name", "path", description="<slug>.svg or <slug>.png"),
                        *query("badges.badge", timeline),
                    ],
                    "responses": _image_responses("badges.badge", "The badge"),
                }
            },
            "/chart/{slug}/{file}": {
                "get": {
                    "summary": "A tally's chart: a sparkline, or with ?size=large dates and events",
                    "parameters": [
                        SLUG,
                        _param("file", "path", description="<tally>.svg or <tally>.png"),
                        *query("charts.chart", timeline),
                    ],
                    "responses": _image_responses("charts.chart", "The chart"),
                }
            },
            "/badges": {
                "get": {
                    "summary": "Gallery of every style and language",
                    "responses": {"200": _content("text/html"), **_errors("badges.gallery", 503)},
                }
            },
            "/embed": {
                "get": {
                    "summary": "The embed builder",
                    "parameters": query("embed.builder", timeline),
                    "responses": {
                        "200": _content("text/html"),
                        "301": _redirect(),
                        **_errors("embed.builder", 400, 404),
                    },
                }
            },
            "/embed/{name}": {
                "get": {
                    "summary": "The embed script: <slug>.js (<slug>.<lang>.js: one language's texts)",
                    "parameters": [_param("name", "path"), *query("embed.script", timeline)],
                    "responses": {
                        "200": _content("text/javascript"),
                        "301": _redirect(),
                        **_errors("embed.script", 400, 404),
                    },
                }
            },
            "/embed/{slug}/tallies.js": {
                "get": {
                    "summary": "The embed script that shows one of the counter's tallies live (data-tally)",
                    "parameters": [SLUG, *query("embed.tally_script", timeline)],
                    "responses": {
                        "200": _content("text/javascript"),
                        "301": _redirect(),
                        **_errors("embed.tally_script", 400, 404),
                    },
                }
            },
            "/embed/{slug}/frame": _html_page(
                "embed.frame", "The no-JavaScript frame", [SLUG, *query("embed.frame", timeline)]
            ),
            "/static/embed/{name}": {
                "get": {
                    "summary": "The builder's script",
                    "parameters": [_param("name", "path")],
                    "responses": {"200": _content("text/javascript"), **_errors("embed.builder_asset", 404)},
                }
            },
            "/": _html_page("site.home", "The default counter's page", query("site.home", timeline), redirect=False),
            "/{slug}": _html_page(
                "site.counter_page", "A counter's page", [SLUG, *query("site.counter_page", timeline)]
            ),
            "/{slug}/tallies/{name}": _html_page(
                "site.tally_page",
                "A tally's page: its figures, its chart and its samples, newest first",
                [SLUG, _param("name", "path"), *query("site.tally_page", timeline)],
            ),
            "/{slug}/share.png": {
                "get": {
                    "summary": "The share image (1200x630)",
                    "parameters": [SLUG, *query("site.share_image", timeline)],
                    "responses": {
                        "200": _content("image/png"),
                        "301": _redirect(),
                        **_errors("site.share_image", 400, 404, 503),
                    },
                }
            },
            "/feed.atom": {
                "get": {
                    "summary": "The default counter's Atom feed",
                    "parameters": query("site.default_feed", timeline),
                    "responses": {"200": _content("application/atom+xml"), **_errors("site.default_feed", 400)},
                }
            },
            "/{slug}/feed.atom": {
                "get": {
                    "summary": "A counter's Atom feed",
                    "parameters": [SLUG, *query("site.counter_feed", timeline)],
                    "responses": {
                        "200": _content("application/atom+xml"),
                        "301": _redirect(),
                        **_errors("site.counter_feed", 400, 404),
                    },
                }
            },
            "/favicon.ico": {
                "get": {"summary": "The site's icon", "responses": {"200": _content("image/vnd.microsoft.icon")}}
            },
            "/robots.txt": {
                "get": {"summary": "Every page may be read and indexed", "responses": {"200": _content("text/plain")}}
            },
            "/healthz": {
                "get": {
                    "summary": "Health: always 200",
                    "responses": {"200": _json(_ref("Health"))},
                }
            },
            "/api/openapi.json": {
                "get": {"summary": "This description", "responses": {"200": _json({"type": "object"})}}
            },
        },
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas(timeline),
        },
    }


@blueprint.get("/api/openapi.json")
def openapi():
    # Changes with the timeline (its slugs): an hour's lifetime, as a count's, and an ETag.
    response = cache_for(jsonify(document(current_timeline())), MAX_LIFETIME)
    return conditional(response, served().modified)
