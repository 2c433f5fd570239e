"""The JSON API over the app's test client, with the clock travelled."""

import datetime as dt

import pytest
import time_machine

EXPECTED_KEYS = {
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
    "links",
}


@pytest.fixture
def travel():
    with time_machine.travel(dt.datetime(2024, 3, 9, 23, 30, tzinfo=dt.timezone.utc), tick=False) as traveller:
        yield traveller


def test_counter_fields(client, travel):
    # 23:30 UTC on 9 March 2024 is already 10 March in Casablanca (UTC+1).
    response = client.get("/api/v1/counters/shutdown?lang=fr")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == EXPECTED_KEYS
    assert body["status"] == "ongoing"
    assert body["as_of"] == "2024-03-10"
    assert body["days"] == 9
    assert body["next_change"] == "2024-03-11T00:00:00+00:00"
    assert body["start"] == "2024-03-01" and body["end"] is None
    assert body["timezone"] == "Africa/Casablanca"
    assert body["message"] == "depuis 9 jours" and body["label"] == "Coupure d’exemple"
    assert body["dir"] == "ltr" and body["lang"] == "fr"
    assert body["url"] == "https://campaign.example.org"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Vary"] == "Accept-Encoding"  # ?lang= chose the language: not Accept-Language
    assert client.get("/api/v1/counters/shutdown").headers["Vary"] == "Accept-Encoding, Accept-Language"
    assert "Set-Cookie" not in response.headers


def test_arabic_is_rtl_and_json_is_readable(client, travel):
    response = client.get("/api/v1/counters/shutdown?lang=ar")
    body = response.get_json()
    assert body["dir"] == "rtl" and body["message"] == "منذ 9 أيام"
    assert "منذ".encode() in response.data  # not \\u escapes


def test_ended_and_upcoming(client, travel):
    lifted = client.get("/api/v1/counters/lifted").get_json()
    assert (lifted["status"], lifted["days"], lifted["next_change"]) == ("ended", 100, None)
    assert lifted["message"] == "lifted after 100 days"
    future = client.get("/api/v1/counters/future").get_json()
    assert (future["status"], future["days"]) == ("upcoming", 0)
    assert future["message"] == "ابتداءً من 1 يناير 2099"


@pytest.mark.parametrize(
    "header, expected",
    [
        ("ar-MA,ar;q=0.9,fr;q=0.5", "ar"),
        ("zgh-Tfng-MA", "zgh"),
        ("en-GB,en;q=0.9", "en"),
        ("de-DE,de;q=0.9", "fr"),  # nothing supported: the counter's default
        ("", "fr"),
    ],
)
def test_accept_language(client, header, expected):
    response = client.get("/api/v1/counters/shutdown", headers={"Accept-Language": header})
    assert response.get_json()["lang"] == expected


def test_query_lang_wins_over_accept_language(client):
    response = client.get("/api/v1/counters/shutdown?lang=en", headers={"Accept-Language": "ar"})
    assert response.get_json()["lang"] == "en"


def test_unknown_parameters_are_ignored(client, travel):
    plain = client.get("/api/v1/counters/shutdown?lang=fr").get_json()
    noisy = client.get("/api/v1/counters/shutdown?lang=fr&utm_source=x&fbclid=y&_=123").get_json()
    assert noisy == plain


@pytest.mark.parametrize("value", ["kab", "<script>alert(1)</script>", "fr,ar", "x" * 5000])
def test_bad_lang_is_400_without_echo(client, value):
    response = client.get("/api/v1/counters/shutdown", query_string={"lang": value})
    assert response.status_code == 400
    assert response.is_json
    error = response.get_json()["error"]
    assert error["code"] == "bad_parameter"
    assert "fr, ar, zgh, en" in error["message"]
    assert value not in response.get_data(as_text=True)


def test_unknown_counter_is_404_json(client):
    response = client.get("/api/v1/counters/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "unknown_counter"


def test_alias_redirects_permanently_with_canonical_parameters(client):
    response = client.get("/api/v1/counters/old-shutdown?lang=ar&utm_source=<b>")
    assert response.status_code == 301
    assert response.headers["Location"] == "/api/v1/counters/shutdown?lang=ar"
    shields = client.get("/api/v1/counters/old-shutdown/shields.json")
    assert shields.status_code == 301
    assert shields.headers["Location"] == "/api/v1/counters/shutdown/shields.json"


def test_list_of_counters(client, travel):
    body = client.get("/api/v1/counters?lang=en").get_json()
    assert body["default_counter"] == "shutdown"
    summary = {item["slug"]: (item["status"], item["days"], item["title"]) for item in body["counters"]}
    assert summary == {
        "shutdown": ("ongoing", 9, "Example shutdown"),
        "lifted": ("ended", 100, "Lifted example"),
        "future": ("upcoming", 0, "قريبًا"),
    }
    assert client.get("/api/v1/counters?lang=xx").status_code == 400


def test_shields_endpoint_schema(client, travel):
    body = client.get("/api/v1/counters/shutdown/shields.json?lang=en").get_json()
    assert body["schemaVersion"] == 1
    assert body["label"] == "Example shutdown" and body["message"] == "for 9 days"
    assert body["color"] == "#b91c1c"  # our palette's red, as on our badge
    # An hour: the next Casablanca midnight (00:00+00:00 on the 11th) is 24.5 hours from 23:30Z on the 9th
    assert body["cacheSeconds"] == 3600
    assert client.get("/api/v1/counters/lifted/shields.json").get_json()["color"] == "#15803d"


def test_public_url_makes_absolute_links(make_app, ongoing_path):

    app = make_app(ongoing_path, VOIPDOWN_PUBLIC_URL="https://count.example.org/")
    body = app.test_client().get("/api/v1/counters/shutdown?lang=en").get_json()
    assert body["links"]["self"] == "https://count.example.org/api/v1/counters/shutdown.en.json"


def test_forwarded_headers_are_ignored_unless_trusted(make_app, ongoing_path):

    headers = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
    untrusted = make_app(ongoing_path).test_client()
    assert "evil.example" not in untrusted.get("/api/v1/counters", headers=headers).get_data(as_text=True)
    trusted = make_app(ongoing_path, VOIPDOWN_TRUST_PROXY="1").test_client()
    assert "https://evil.example/" in trusted.get("/api/v1/counters", headers=headers).get_data(as_text=True)


def test_methods_and_unknown_routes_answer_json(client):
    response = client.post("/api/v1/counters/shutdown")
    assert response.status_code == 405 and response.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]
    missing = client.get("/api/v2/<script>")
    assert missing.status_code == 404 and "<script>" not in missing.get_data(as_text=True)


def test_healthz(client):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["timeline"] == "ok"
    assert body["version"]


def test_texts_are_computed_once_per_local_day_and_timeline_version(client, ongoing_path, monkeypatch):
    from tests.timelines import ONGOING, rewrite
    from voipdown.web import api

    calls = []

    def counting(*args):
        calls.append(args[1].as_of)
        return real(*args)

    real = api.describe_count
    monkeypatch.setattr(api, "describe_count", counting)
    day = dt.datetime(2024, 3, 9, 12, tzinfo=dt.timezone.utc)
    with time_machine.travel(day, tick=False) as traveller:
        first = client.get("/api/v1/counters/shutdown?lang=en").get_json()
        assert client.get("/api/v1/counters/shutdown?lang=en").get_json() == first
        assert len(calls) == 1
        client.get("/api/v1/counters/shutdown?lang=ar")
        assert len(calls) == 2
        traveller.move_to(dt.datetime(2024, 3, 9, 23, 0, 1, tzinfo=dt.timezone.utc))  # Casablanca's next day
        after_midnight = client.get("/api/v1/counters/shutdown?lang=en").get_json()
        assert after_midnight["days"] == first["days"] + 1 and len(calls) == 3
        rewrite(ongoing_path, ONGOING.replace('en = "Example shutdown"', 'en = "Edited"'))
        assert client.get("/api/v1/counters/shutdown?lang=en").get_json()["title"] == "Edited"
        assert len(calls) == 4
