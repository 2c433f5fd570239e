"""Every free-form parameter of every route, given the values that broke it once and whatever
Hypothesis makes: a 200, or a 400 naming that parameter, never a 5xx or a traceback."""

from __future__ import annotations

import logging

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.timelines import CALLS_TOKEN, ONGOING
from voipdown.web.parameters import PARAMETERS

EXTREMES = [
    "9999-12-31T23:59:59-23:59",  # past the calendar's end once in UTC
    "0001-01-01T00:00:00+23:59",  # before its start
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "2026-02-30T00:00:00Z",  # no such day
    "2026-11-23T25:00:00Z",
    "²",  # a digit to str.isdigit, not to int
    "①",
    "١٢",  # Arabic-Indic digits
    "9" * 40,
    "-1",
    "0",
    "+5",
    " 5",
    "5 ",
    "1e3",
    "0x10",
    "\x00",
    "<b>probe</b>",
]
"""Values that reached int() or fromisoformat() and raised, or could have."""

ADDRESSES = {
    "tallies.samples": "/api/v1/counters/shutdown/tallies/calls/samples",
    "tallies.samples_csv": "/api/v1/counters/shutdown/tallies/calls/samples.csv",
    "site.tally_page": "/shutdown/tallies/calls",
    "tallies.delete_sample": "/api/v1/counters/shutdown/tallies/calls/samples",
}
CASES = [(parameter.name, endpoint) for parameter in PARAMETERS if parameter.free_form for endpoint in parameter.routes]


def test_every_free_form_parameter_is_covered():
    assert {endpoint for _, endpoint in CASES} == set(ADDRESSES)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from voipdown import create_app

    folder = tmp_path_factory.mktemp("extreme")
    (folder / "timeline.toml").write_text(ONGOING, encoding="utf-8")
    app = create_app(
        {
            "VOIPDOWN_TIMELINE": str(folder / "timeline.toml"),
            "VOIPDOWN_TALLY_STORE": str(folder / "t.sqlite3"),
            "VOIPDOWN_RELOAD_INTERVAL": 0,
            "VOIPDOWN_DISCOVERY": "off",
        }
    )
    return app.test_client()


def answered(client, name: str, endpoint: str, value: str):
    method = "DELETE" if endpoint == "tallies.delete_sample" else "GET"
    headers = {"Authorization": f"Bearer {CALLS_TOKEN}"} if method == "DELETE" else {}
    return client.open(ADDRESSES[endpoint], method=method, query_string={name: value}, headers=headers)


def check(response, name: str, endpoint: str, value: str) -> None:
    assert response.status_code < 500, (name, endpoint, value, response.status_code)
    if response.status_code == 400 and response.is_json:
        error = response.get_json()["error"]
        assert (error["code"], error["parameter"]) == ("bad_parameter", name), error
    if response.status_code == 400 and len(value) >= 12:  # shorter ones may be in our own words
        assert value not in response.get_data(as_text=True), value  # what was sent is never said back


@pytest.mark.parametrize("name, endpoint", CASES)
@pytest.mark.parametrize("value", EXTREMES)
def test_the_values_that_broke_them(client, caplog, name, endpoint, value):
    with caplog.at_level(logging.ERROR):
        response = answered(client, name, endpoint, value)
    check(response, name, endpoint, value)
    assert response.status_code in (200, 400, 404), (name, value, response.status_code)
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("name, endpoint", CASES)
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(value=st.one_of(st.text(max_size=40), st.integers().map(str), st.datetimes().map(lambda d: d.isoformat() + "Z")))
@example(value="2026-11-23T12:00:00+14:00")
def test_whatever_hypothesis_makes(client, name, endpoint, value):
    check(answered(client, name, endpoint, value), name, endpoint, value)
