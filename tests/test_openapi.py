"""The OpenAPI description is true: every route is in it, and every answer matches it."""

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.timelines import EVERY_STATUS
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
