"""The web layer's contracts, tied to the URL map: every route finds its counter the same
way, reads only the parameters of the table, has a kind (and so its headers and its error
format), and no slug can hide a route."""

import re
from pathlib import Path

import pytest
from flask import Request, url_for
from werkzeug.datastructures import ImmutableMultiDict

from tests.helpers import flask_calls
from tests.timelines import ONGOING
from voipdown.timeline import RESERVED_SLUGS, SLUG_PATTERN, parse_timeline
from voipdown.web import parameters
from voipdown.web.parameters import BY_NAME, PARAMETERS, REPLAY_KEY, Parameter, parameters_of
from voipdown.web.response_kinds import KINDS, Kind, content_security_policy

WEB = Path(__file__).parent.parent / "voipdown" / "web"

# How to reach a counter's route by its slug: the route's path values (or query, for the builder).
ADDRESSES = {
    "api.show_counter": lambda slug: {"slug": slug},
    "api.shields": lambda slug: {"slug": slug},
    "tallies.list_tallies": lambda slug: {"slug": slug},
    "tallies.show_tally": lambda slug: {"slug": slug, "name": "calls"},
    "tallies.samples": lambda slug: {"slug": slug, "name": "calls"},
    "tallies.samples_csv": lambda slug: {"slug": slug, "name": "calls"},
    "tallies.shields": lambda slug: {"slug": slug, "name": "calls"},
    "badges.badge": lambda slug: {"name": f"{slug}.png"},
    "charts.chart": lambda slug: {"slug": slug, "file": "calls.png"},
    "embed.script": lambda slug: {"name": f"{slug}.js"},
    "embed.tally_script": lambda slug: {"slug": slug},
    "embed.frame": lambda slug: {"slug": slug},
    "embed.builder": lambda slug: {"counter": slug},
    "site.counter_page": lambda slug: {"slug": slug},
    "site.tally_page": lambda slug: {"slug": slug, "name": "calls"},
    "site.share_image": lambda slug: {"slug": slug},
    "site.counter_feed": lambda slug: {"slug": slug},
}
"""Every route that names a counter."""
WITHOUT_COUNTER = {
    "site.favicon",
    "site.robots",
    "api.list_counters",
    "site.home",
    "site.default_feed",
    "badges.gallery",
    "health.healthz",
    "openapi.openapi",
    "embed.builder_asset",
}
WRITES = {"tallies.push_samples", "tallies.delete_sample"}
"""Routes that change something: checked by tests/test_tally_push.py (the order of their refusals)."""
FORMATS = {
    Kind.DATA: ("application/json",),
    Kind.IMAGE: ("image/png", "image/svg+xml"),
    Kind.SCRIPT: ("text/javascript",),
    Kind.PAGE: ("text/html",),
    Kind.FRAME: ("text/html",),
    Kind.BUILDER: ("text/html",),
}


def endpoints(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules()}


def test_every_route_is_known_to_the_contract(app):
    assert endpoints(app) == set(KINDS)
    assert endpoints(app) == set(ADDRESSES) | WITHOUT_COUNTER | WRITES
    for parameter in PARAMETERS:
        assert set(parameter.routes) <= endpoints(app), parameter.name


def test_every_first_path_segment_is_a_reserved_slug(app):
    segments = {rule.rule.split("/")[1] for rule in app.url_map.iter_rules()}
    words = {segment for segment in segments if SLUG_PATTERN.match(segment)}
    assert words and words <= RESERVED_SLUGS, words - RESERVED_SLUGS


def valid_values(endpoint, fmt="png"):
    """An allowed value of every parameter `endpoint` reads (the counter aside), in the
    timeline the `app` fixture serves."""
    timeline = parse_timeline(ONGOING.encode())
    return {
        p.name: p.values(timeline)[-1] for p in parameters_of(endpoint, fmt) if not p.names_counter and not p.free_form
    }


def address(endpoint, slug, **query):
    values = {**ADDRESSES[endpoint](slug), **query}
    return url_for(endpoint, **values)


@pytest.mark.parametrize("endpoint", sorted(ADDRESSES))
def test_one_order_for_every_route(app, client, endpoint):
    """A bad parameter (400), then an unknown counter (404), then an alias (301 keeping the
    validated parameters and nothing else): each error in the route's own format."""
    expected = FORMATS[KINDS[endpoint]]
    given = valid_values(endpoint)
    with app.test_request_context():
        checks = [(address(endpoint, "no-such"), 404)]
        for name in given:  # a route without parameters (the script) has no bad one
            bad = {**given, name: "qqzz"}
            checks += [(address(endpoint, "no-such", **bad), 400), (address(endpoint, "old-shutdown", **bad), 400)]
        alias = address(endpoint, "old-shutdown", **given, x="<b>", utm_source="y")
        canonical = address(endpoint, "shutdown", **given)
    for path, status in checks:
        response = client.get(path, headers={"Accept": "text/html"})
        assert response.status_code == status, path
        assert response.mimetype in expected, (path, response.mimetype)
        assert b"no-such" not in response.data and b"qqzz" not in response.data
    moved = client.get(alias)
    assert moved.status_code == 301 and moved.headers["Location"] == canonical
    assert client.get(canonical).status_code == 200


@pytest.mark.parametrize("endpoint", sorted(ADDRESSES))
def test_a_redirect_keeps_only_what_the_route_reads(app, client, endpoint):
    with app.test_request_context():
        alias = address(endpoint, "old-shutdown", lang="ar", style="plastic", position="inline", scale="1")
    location = client.get(alias).headers["Location"]
    kept = {name for name, _ in re.findall(r"[?&](\w+)=([^&]*)", location)}
    assert kept == {p.name for p in parameters_of(endpoint, "png")} & {"lang", "style", "position", "scale", "counter"}


class RecordingRequest(Request):
    """A request whose query parameters remember which names the view read."""

    @property
    def args(self):
        read = self.environ.setdefault("test.read", set())

        class Recording(ImmutableMultiDict):
            def get(self, key, default=None, type=None):
                read.add(key)
                return super().get(key, default, type)

            def __getitem__(self, key):
                read.add(key)
                return super().__getitem__(key)

            def __contains__(self, key):
                read.add(key)
                return super().__contains__(key)

            def getlist(self, key, type=None):
                read.add(key)
                return super().getlist(key, type)

            def __iter__(self):
                read.add("*every name*")
                return super().__iter__()

            def items(self, multi=False):
                read.add("*every name*")
                return super().items(multi)

        return Recording(super().args)


def test_routes_read_only_the_parameters_of_the_table(app):
    """A view that reads a parameter the table does not give it would be answered, when
    replayed, with another request's body: this fails first."""
    app.request_class = RecordingRequest
    timeline = parse_timeline(ONGOING.encode())
    every = {p.name: p.values(timeline)[0] for p in PARAMETERS if not p.names_counter and not p.free_form}
    reached = set()
    with app.test_request_context():
        paths = {endpoint: address(endpoint, "shutdown") for endpoint in ADDRESSES}
        paths |= {endpoint: url_for(endpoint) for endpoint in WITHOUT_COUNTER if endpoint != "embed.builder_asset"}
        paths["embed.builder_asset"] = url_for("embed.builder_asset", name="builder.js")
    for endpoint, path in paths.items():
        separator = "&" if "?" in path else "?"
        query = "&".join(f"{name}={value}" for name, value in every.items()) + "&utm_source=z"
        response = app.test_client().get(path + separator + query, environ_overrides={"test.read": set()})
        assert response.status_code < 500, endpoint
        read = response.request.environ.get("test.read", set())
        reached.add(endpoint)
        allowed = {p.name for p in parameters_of(endpoint)}
        assert read <= allowed, (endpoint, read - allowed)
    assert reached == set(KINDS) - WRITES


def test_the_replay_key_is_the_table():
    assert set(REPLAY_KEY) == {p.name for p in PARAMETERS if not p.free_form}


def test_a_route_with_a_free_form_parameter_is_never_replayed(make_app, monkeypatch):
    app = make_app(ONGOING)
    client = app.test_client()
    calls = flask_calls(app, monkeypatch)
    client.get("/api/v1/counters/shutdown")
    client.get("/api/v1/counters/shutdown")
    assert len(calls) == 1  # replayed, until a free-form parameter joins the route
    since = Parameter("since", ("api.show_counter",), ("2024-01-01",), "ever", "A date.", free_form=True)
    monkeypatch.setattr(parameters, "PARAMETERS", (*PARAMETERS, since))
    client.get("/api/v1/counters/shutdown?lang=en")
    client.get("/api/v1/counters/shutdown?lang=en")
    assert len(calls) == 3


def test_an_empty_lang_is_answered_by_accept_language_when_replayed(client):
    arabic = client.get("/api/v1/counters/shutdown?lang=", headers={"Accept-Language": "ar"}).get_json()
    english = client.get("/api/v1/counters/shutdown?lang=", headers={"Accept-Language": "en"}).get_json()
    assert (arabic["lang"], english["lang"]) == ("ar", "en")


def test_security_headers_are_set_in_one_place():
    for module in WEB.glob("*.py"):
        if module.name != "response_kinds.py":
            source = module.read_text(encoding="utf-8")
            for header in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "Allow-Origin"):
                assert header not in source, (module.name, header)


@pytest.mark.parametrize("endpoint", sorted(ADDRESSES))
def test_answers_and_errors_carry_their_kinds_headers(app, client, endpoint):
    kind = KINDS[endpoint]
    with app.test_request_context():
        paths = (address(endpoint, "shutdown"), address(endpoint, "no-such"), address(endpoint, "shutdown", lang="x"))
    for path in paths:
        response = client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers.get("Content-Security-Policy") == content_security_policy(kind, "http://localhost")
        assert ("Access-Control-Allow-Origin" in response.headers) == (kind in (Kind.IMAGE, Kind.SCRIPT, Kind.DATA))


def test_policies_by_kind():
    assert content_security_policy(Kind.IMAGE, "o") == "default-src 'none'; style-src 'unsafe-inline'"
    assert "frame-ancestors" not in content_security_policy(Kind.FRAME, "o")
    for kind in (Kind.PAGE, Kind.BUILDER, Kind.DATA):
        assert "frame-ancestors 'none'" in content_security_policy(kind, "o")
    assert "script-src" not in content_security_policy(Kind.PAGE, "o")
    assert "script-src 'self' o;" in content_security_policy(Kind.BUILDER, "o")


def test_openapi_parameters_come_from_the_table(app, client):
    document = client.get("/api/openapi.json").get_json()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        method = next(m for m in ("GET", "POST", "DELETE") if m in rule.methods).lower()
        described = document["paths"][path][method].get("parameters", [])
        query = {p["name"] for p in described if p["in"] == "query"}
        assert query == {p.name for p in parameters_of(rule.endpoint)}, rule.endpoint


def every_address(app) -> dict[str, str]:
    with app.test_request_context():
        paths = {endpoint: address(endpoint, "shutdown") for endpoint in ADDRESSES}
        paths |= {endpoint: url_for(endpoint) for endpoint in WITHOUT_COUNTER if endpoint != "embed.builder_asset"}
        paths["embed.builder_asset"] = url_for("embed.builder_asset", name="builder.js")
    return paths


@pytest.mark.parametrize("query", ["", "lang=en"])
def test_an_answer_varies_on_accept_language_exactly_when_it_depends_on_it(make_app, query):
    """Asked by two visitors whose languages differ: where the bodies differ, Vary says
    Accept-Language; where they cannot (a valid ?lang=, or no words), it does not, so a
    shared cache keeps one copy."""
    app = make_app(ONGOING)
    for endpoint, path in every_address(app).items():
        if endpoint == "health.healthz":
            continue  # no-store
        path += ("&" if "?" in path else "?") + query if query else ""
        arabic = app.test_client().get(path, headers={"Accept-Language": "ar"})
        english = app.test_client().get(path, headers={"Accept-Language": "en"})
        assert arabic.status_code == english.status_code == 200, endpoint
        varies = "Accept-Language" in arabic.headers.get("Vary", "")
        assert varies == ("Accept-Language" in english.headers.get("Vary", "")), endpoint
        if arabic.data != english.data:
            assert varies, endpoint
        if query and BY_NAME["lang"].read_by(endpoint):
            assert not varies and arabic.data == english.data, endpoint


def test_errors_vary_on_what_chose_them(client):
    page = client.get("/a/b/c", headers={"Accept": "text/html"})
    tool = client.get("/a/b/c", headers={"Accept": "application/json"})
    assert page.mimetype == "text/html" and tool.mimetype == "application/json"
    assert "Accept" in page.headers["Vary"] and "Accept" in tool.headers["Vary"]
    assert "Accept-Language" in page.headers["Vary"]  # the page's words
    unknown_counter = client.get("/no-such-counter", headers={"Accept": "text/html"})
    assert "Accept" not in unknown_counter.headers["Vary"].split(", ")  # a page route answers a page to all
    api = client.get("/api/v1/counters/nothing")
    assert "Vary" not in api.headers  # one JSON error for everyone
    badge = client.get("/badge/nothing.svg?lang=ar")
    assert badge.headers["Vary"] == "Accept-Encoding"  # its language was asked for
