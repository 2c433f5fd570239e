"""The OpenAPI description is true: every route is in it, and every answer matches it."""

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.timelines import CALLS_TOKEN, EVERY_STATUS, ONGOING
from voipdown.timeline import parse_timeline
from voipdown.web.openapi import document


@pytest.fixture(scope="module")
def bundled(make_app):
    """The service on the bundled timeline, discovery off."""
    return make_app(None, VOIPDOWN_DISCOVERY="off")


# The description, made at collection (Schemathesis needs it then) from the timeline the
# live server (tests/conftest.py) answers from; the answers come over real HTTP.
SCHEMA = schemathesis.openapi.from_dict(document(parse_timeline(EVERY_STATUS.encode())))


def test_every_route_is_described_and_nothing_else(bundled):
    described = set(bundled.test_client().get("/api/openapi.json").get_json()["paths"])
    routes = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule) for rule in bundled.url_map.iter_rules()}
    assert routes == described


@SCHEMA.parametrize()
# Derandomized: the same cases every run, so CI is repeatable; raise max_examples to explore more.
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_answers_match_the_description(case, live_server):
    case.call_and_validate(base_url=live_server.url)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(bundled, method):
    client = bundled.test_client()
    for path in ("/api/v1/counters/voip-ma", "/badge/voip-ma.svg", "/voip-ma", "/embed/voip-ma.js", "/healthz"):
        response = client.open(path, method=method)
        assert response.status_code == 405, (method, path)


# Pushes with the tally's real token, so that Schemathesis's bodies reach the parser and the
# store, on a server of its own (the ONGOING timeline, whose `calls` tally takes pushes).
PUSH_SCHEMA = schemathesis.openapi.from_dict(document(parse_timeline(ONGOING.encode()))).include(
    path_regex=r"/tallies/\{name\}/samples$"
)


@pytest.fixture(scope="module")
def push_server(make_app, tmp_path_factory):
    from tests.browser import LiveServer

    app = make_app(ONGOING, VOIPDOWN_TALLY_STORE=str(tmp_path_factory.mktemp("push") / "t.sqlite3"))
    with LiveServer(app) as server:
        yield server


@PUSH_SCHEMA.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_pushes_match_the_description(case, push_server):
    case.path_parameters = {"slug": "shutdown", "name": "calls"}
    response = case.call(base_url=push_server.url, headers={"Authorization": f"Bearer {CALLS_TOKEN}"})
    # Every check but two: a schema cannot say "not before the tally's start, at most five
    # minutes ahead" nor a CSV's lines, so a schema-valid push may rightly be a 400; and an
    # invalid one may rightly be a 413 (more than 1,000 samples), which Schemathesis does not
    # count as a refusal. The statuses, types and bodies of every answer are still checked
    # against the description, and tests/test_tally_push.py checks each refusal's code.
    case.validate_response(
        response,
        excluded_checks=[schemathesis.checks.positive_data_acceptance, schemathesis.checks.negative_data_rejection],
    )
    assert response.status_code < 500, response.text
