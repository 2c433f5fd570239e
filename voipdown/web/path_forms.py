"""Addresses without query strings, for static hosts (which ignore `?lang=`) and for one
snippet that works against a build and the live service alike.

An address's *path form* writes its parameters' values as dotted parts of its last segment,
in the parameter table's order (voipdown/web/parameters.py), before its extension:

    /voip-ma?lang=fr                          /voip-ma.fr.html
    /?lang=ar                                 /index.ar.html
    /badge/voip-ma.svg?lang=ar&style=plastic  /badge/voip-ma.ar.plastic.svg
    /api/v1/counters/voip-ma?lang=en          /api/v1/counters/voip-ma.en.json
    /voip-ma/tallies/inwi?lang=fr&page=2      /voip-ma/tallies/inwi.fr.2.html

A route whose address has no extension gets its kind's (`.html` for pages, `.json` for
data); one with an extension keeps it. `PathForms` answers a path form as its query form,
before anything else reads the request, so both share one replay entry and the same bytes;
`path_form` writes one. Slugs and tally names hold no dot, so a dot always parts values.
A value that two of a route's parameters could take is written only where reading it back
gives the same parameters; elsewhere the query form stays (a tally named as a theme).
"""

from __future__ import annotations

import posixpath
from urllib.parse import parse_qsl, urlencode

from flask import Flask, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, RequestRedirect

from voipdown.web.parameters import BY_NAME, WHOLE_NUMBER, Parameter, parameters_of
from voipdown.web.state import SERVED_KEY, current_timeline

FORMS: dict[str, str | None] = {
    "site.home": "html",
    "site.counter_page": "html",
    "site.tally_page": "html",
    "badges.gallery": "html",
    "embed.builder": "html",
    "embed.frame": "html",
    "api.list_counters": "json",
    "api.show_counter": "json",
    "tallies.list_tallies": "json",
    "tallies.show_tally": "json",
    "tallies.samples": "json",
    "site.default_feed": None,
    "site.counter_feed": None,
    "site.share_image": None,
    "badges.badge": None,
    "charts.chart": None,
    "api.shields": None,
    "tallies.shields": None,
    "tallies.samples_csv": None,
    "embed.script": None,
    "embed.tally_script": None,
}
"""The endpoints with a path form, and the extension it adds (None: its address has one)."""


def _in_path(parameter: Parameter) -> bool:
    return bool(parameter.in_path)


def _takes(parameter: Parameter, value: str, allowed: tuple[str, ...] | None) -> bool:
    return WHOLE_NUMBER.fullmatch(value) is not None if allowed is None else value in allowed


def read_values(endpoint: str, fmt: str | None, parts: list[str], timeline) -> dict[str, str] | None:
    """The parameters that `parts` write for `endpoint`, each taking the first of its turn in
    the table's order that has it among its values; None when a part is nobody's."""
    values: dict[str, str] = {}
    remaining = [p for p in parameters_of(endpoint, fmt) if _in_path(p)]
    for part in parts:
        for index, parameter in enumerate(remaining):
            if _takes(parameter, part, parameter.values(timeline)):
                values[parameter.name] = part
                del remaining[: index + 1]
                break
        else:
            return None
    return values


def _match(url_map: Map, path: str) -> tuple[str, dict] | None:
    try:
        return url_map.bind("localhost").match(path, method="GET")
    except (HTTPException, RequestRedirect):
        return None


def query_form(url_map: Map, path: str, timeline) -> tuple[str, dict[str, str]] | None:
    """The address and parameters that `path` is the path form of, or None for any other."""
    head, _, last = path.rpartition("/")
    stem, *parts, ext = last.split(".") if "." in last else (last, "")
    if not stem or not ext or (not parts and ext not in ("html", "json")):
        return None
    bare = f"{head}/" if head == "" and stem == "index" else f"{head}/{stem}"
    for candidate, wanted in ((bare, ext), (f"{head}/{stem}.{ext}", None)):
        matched = _match(url_map, candidate)
        if matched is None or matched[0] not in FORMS or FORMS[matched[0]] != wanted:
            continue
        values = read_values(matched[0], ext if wanted is None else None, parts, timeline)
        if values is not None:
            return candidate, values
    return None


class PathForms:
    """WSGI middleware: a path form is answered as its query form (its values win over the
    query string's), before the replay layer keys the request. The timeline it
    reads the values with is the one the request is answered from (voipdown/web/state.py)."""

    KNOWN_MAX = 4_096
    """Path forms read back and kept; beyond, the store starts afresh (a timeline's path
    forms are a few thousand: only a flood of them, each valid, refills it). Threads that
    race past a full store may each add one before it is cleared again."""

    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app = wsgi_app
        self.app = app
        self._known: dict[tuple[str, str], tuple[str, dict[str, str]]] = {}
        """(timeline version, path) → its query form: reading one back costs more than
        answering a replayed badge. One dict operation each, atomic under the GIL; a cold
        race reads the same path twice and keeps one of two equal answers."""

    def _query_form(self, path: str, timeline) -> tuple[str, dict[str, str]] | None:
        key = (timeline.version, path)
        found = self._known.get(key)
        if found is None:
            found = query_form(self.app.url_map, path, timeline)
            if found is not None:  # only path forms: a flood of other addresses adds nothing
                if len(self._known) >= self.KNOWN_MAX:
                    self._known.clear()
                self._known[key] = found
        return found

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if "." in path.rpartition("/")[2]:
            snapshot = environ[SERVED_KEY] = self.app.extensions["voipdown"].timelines.snapshot()
            found = self._query_form(path, snapshot.timeline)
            if found is not None:
                address, values = found
                environ["PATH_INFO"] = address
                others = [(k, v) for k, v in parse_qsl(environ.get("QUERY_STRING", ""), True) if k not in values]
                environ["QUERY_STRING"] = urlencode([*values.items(), *others])
        return self.wsgi_app(environ, start_response)


def path_form(endpoint: str, **values) -> str:
    """`url_for(endpoint, **values)` with its parameters written in the path where they can be."""
    if endpoint not in FORMS:
        return url_for(endpoint, **values)
    ext = FORMS[endpoint]
    timeline = current_timeline()
    given = {name: str(value) for name, value in values.items() if value is not None}
    route = url_for(endpoint, **{n: v for n, v in given.items() if not _is_parameter(n)})
    fmt = None if ext else route.rpartition(".")[2]
    written = {p.name: given[p.name] for p in parameters_of(endpoint, fmt) if _in_path(p) and p.name in given}
    rest = {n: v for n, v in given.items() if _is_parameter(n) and n not in written}
    parts = [written[name] for name in written]
    if read_values(endpoint, fmt, parts, timeline) != written:
        return url_for(endpoint, **values)  # a value two parameters could take: the query form
    if ext and not parts and route.endswith("/"):
        path = route
    elif ext:
        path = (route + "index" if route.endswith("/") else route) + "".join(f".{p}" for p in parts) + f".{ext}"
    else:
        stem, _, suffix = route.rpartition(".")
        path = stem + "".join(f".{p}" for p in parts) + f".{suffix}"
    return path + (f"?{urlencode(rest)}" if rest else "")


def _is_parameter(name: str) -> bool:
    return name in BY_NAME


def relative(address: str) -> str:
    """`address` (from the service's root) as seen from the page being answered: the same
    files then work at any sub-path of any host (a GitHub Pages project site's `/<repo>/`)."""
    path, mark, query = address.partition("?")
    here = posixpath.dirname(request.script_root + request.path) or "/"
    written = posixpath.relpath(path, here)
    if path.endswith("/"):
        written = "./" if written == "." else written + "/"
    return written + mark + query


def link(endpoint: str, **values) -> str:
    """A link from one of our pages to another of our addresses: its path form, relative."""
    return relative(path_form(endpoint, **values))


def template(endpoint: str, always: tuple[str, ...]) -> str | None:
    """The relative address of `endpoint`'s path form with a `{name}` for each of its
    parameters, in the table's order, for a script to fill in from a form (the builder's
    choices, on a static host too): a parameter not in `always` is left out when it has its
    default. None when a value of one of those could be read as another's (a tally named
    like a theme): the form is then sent as it is, which only the live service understands."""
    timeline = current_timeline()
    written = [parameter for parameter in parameters_of(endpoint) if _in_path(parameter)]
    seen: set[str] = set()
    for parameter in written:
        if parameter.name not in always:
            values = set(parameter.values(timeline) or ())
            if values & seen:
                return None
            seen |= values
    parts = "".join(f".{{{parameter.name}}}" for parameter in written)
    return relative(url_for(endpoint)) + parts + f".{FORMS[endpoint]}"
