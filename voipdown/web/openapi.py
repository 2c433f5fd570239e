"""`/api/openapi.json`: an OpenAPI 3.1 description of every endpoint, kept true by tests
(every route is described, and Schemathesis checks the answers against it)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from voipdown import __version__
from voipdown.embed import POSITIONS, THEMES
from voipdown.languages import SUPPORTED
from voipdown.render.styles import PALETTE, STYLES
from voipdown.web.state import current_timeline

blueprint = Blueprint("openapi", __name__)


def _param(name: str, where: str = "query", enum=None, schema=None, required=False, description="") -> dict:
    param = {"name": name, "in": where, "required": required or where == "path", "schema": schema or {"type": "string"}}
    if enum is not None:
        param["schema"] = {"type": "string", "enum": ["", *enum]}  # empty: as if absent
    if description:
        param["description"] = description
    return param


LANG = _param("lang", enum=SUPPORTED, description="Language; else Accept-Language, else the counter's own.")
SLUG = _param("slug", "path", description="A counter's slug (or an old alias, answered with a 301).")
ERROR = {"$ref": "#/components/schemas/Error"}
CACHED = {
    "ETag": {"schema": {"type": "string"}},
    "Cache-Control": {"schema": {"type": "string"}},
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


def _api_errors(*statuses: int) -> dict:
    return {str(status): _json(ERROR, "Error") for status in statuses}


def _page_errors(*statuses: int) -> dict:
    """Outside /api/, a browser that prefers HTML gets its 404 as a page."""
    errors = _api_errors(*statuses)
    if "404" in errors:
        errors["404"]["content"]["text/html"] = {"schema": {"type": "string"}}
    return errors


def _html_page(summary: str, params: list, errors=(400, 404), redirect=True) -> dict:
    responses = {"200": _content("text/html", summary), **_page_errors(*errors)}
    if redirect:
        responses["301"] = _redirect()
    return {"get": {"summary": summary, "parameters": params, "responses": responses}}


def _image_responses() -> dict:
    image = {
        "content": {
            "image/svg+xml": {"schema": {"type": "string"}},
            "image/png": {"schema": {"type": "string", "contentMediaType": "image/png"}},
        }
    }
    return {
        "200": {"description": "The badge", **image, "headers": CACHED},
        "301": _redirect(),
        "400": {"description": "A bad value: an error badge that names the parameter", **image},
        "404": {"description": "An unknown counter or format: an error badge", **image},
        "500": {"description": "Drawing failed: an error badge", **image},
        "503": {"description": "No font: a badge without words", **image},
    }


def document(slugs: tuple[str, ...]) -> dict:
    counter = {
        "type": "object",
        "required": [
            "slug",
            "status",
            "days",
            "start",
            "end",
            "timezone",
            "as_of",
            "next_change",
            "lang",
            "dir",
            "label",
            "message",
            "title",
            "url",
        ],
        "properties": {
            "slug": {"type": "string"},
            "status": {"type": "string", "enum": ["upcoming", "ongoing", "ended"]},
            "days": {"type": "integer", "minimum": 0},
            "start": {"type": "string", "format": "date"},
            "end": {"type": ["string", "null"], "format": "date"},
            "timezone": {"type": "string"},
            "as_of": {"type": "string", "format": "date"},
            "next_change": {"type": ["string", "null"], "format": "date-time"},
            "lang": {"type": "string", "enum": list(SUPPORTED)},
            "dir": {"type": "string", "enum": ["ltr", "rtl"]},
            "label": {"type": "string"},
            "message": {"type": "string"},
            "title": {"type": "string"},
            "url": {"type": ["string", "null"]},
            "links": {"type": "object", "properties": {"self": {"type": "string"}}},
        },
    }
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
                    "parameters": [LANG],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["lang", "default_counter", "counters"],
                                "properties": {
                                    "lang": {"type": "string"},
                                    "default_counter": {"type": "string"},
                                    "counters": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["slug", "title", "status", "days", "url"],
                                        },
                                    },
                                },
                            }
                        ),
                        **_api_errors(400),
                    },
                }
            },
            "/api/v1/counters/{slug}": {
                "get": {
                    "summary": "One counter",
                    "parameters": [SLUG, LANG],
                    "responses": {
                        "200": {**_json(counter), "headers": CACHED},
                        "301": _redirect(),
                        **_api_errors(400, 404),
                    },
                }
            },
            "/api/v1/counters/{slug}/shields.json": {
                "get": {
                    "summary": "shields.io's endpoint-badge schema",
                    "parameters": [SLUG, LANG],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["schemaVersion", "label", "message", "color"],
                                "properties": {
                                    "schemaVersion": {"const": 1},
                                    "label": {"type": "string"},
                                    "message": {"type": "string"},
                                    "color": {"type": "string"},
                                    "cacheSeconds": {"type": "integer"},
                                },
                            }
                        ),
                        "301": _redirect(),
                        **_api_errors(400, 404),
                    },
                }
            },
            "/badge/{name}": {
                "get": {
                    "summary": "A badge: <slug>.svg or <slug>.png",
                    "parameters": [
                        _param("name", "path", description="<slug>.svg or <slug>.png"),
                        LANG,
                        _param("style", enum=STYLES),
                        _param("color", enum=PALETTE),
                        _param("scale", enum=[str(n) for n in range(1, 5)], description="PNG only"),
                    ],
                    "responses": _image_responses(),
                }
            },
            "/badges": {
                "get": {
                    "summary": "Gallery of every style and language",
                    "responses": {"200": _content("text/html"), "503": _json(ERROR)},
                }
            },
            "/embed": {
                "get": {
                    "summary": "The embed builder",
                    "parameters": [
                        _param("counter", enum=slugs),
                        LANG,
                        _param("position", enum=POSITIONS),
                        _param("theme", enum=THEMES),
                    ],
                    "responses": {"200": _content("text/html"), "400": _content("text/plain", "A bad value, named")},
                }
            },
            "/embed/{name}": {
                "get": {
                    "summary": "The embed script: <slug>.js",
                    "parameters": [_param("name", "path")],
                    "responses": {
                        "200": _content("text/javascript"),
                        "301": _redirect(),
                        "404": {
                            "description": "No such counter",
                            "content": {
                                "text/javascript": {"schema": {"type": "string"}},
                                "application/json": {"schema": ERROR},
                            },
                        },
                    },
                }
            },
            "/embed/{slug}/frame": _html_page("The no-JavaScript frame", [SLUG, LANG, _param("theme", enum=THEMES)]),
            "/static/embed/{name}": {
                "get": {
                    "summary": "The builder's script",
                    "parameters": [_param("name", "path")],
                    "responses": {"200": _content("text/javascript"), "404": _json(ERROR)},
                }
            },
            "/": _html_page("The default counter's page", [LANG], redirect=False),
            "/{slug}": _html_page("A counter's page", [SLUG, LANG]),
            "/{slug}/share.png": {
                "get": {
                    "summary": "The share image (1200x630)",
                    "parameters": [SLUG, LANG],
                    "responses": {"200": _content("image/png"), "301": _redirect(), **_page_errors(400, 404, 503)},
                }
            },
            "/feed.atom": {
                "get": {
                    "summary": "The default counter's Atom feed",
                    "parameters": [LANG],
                    "responses": {"200": _content("application/atom+xml"), **_api_errors(400)},
                }
            },
            "/{slug}/feed.atom": {
                "get": {
                    "summary": "A counter's Atom feed",
                    "parameters": [SLUG, LANG],
                    "responses": {
                        "200": _content("application/atom+xml"),
                        "301": _redirect(),
                        **_page_errors(400, 404),
                    },
                }
            },
            "/healthz": {
                "get": {
                    "summary": "Health: always 200",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["status", "timeline", "version"],
                                "properties": {
                                    "status": {"type": "string", "enum": ["ok", "degraded"]},
                                    "timeline": {"type": "string", "enum": ["ok", "stale"]},
                                    "version": {"type": "string"},
                                },
                            }
                        )
                    },
                }
            },
            "/api/openapi.json": {
                "get": {"summary": "This description", "responses": {"200": _json({"type": "object"})}}
            },
        },
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                        }
                    },
                }
            }
        },
    }


@blueprint.get("/api/openapi.json")
def openapi():
    response = jsonify(document(tuple(current_timeline().counters)))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
