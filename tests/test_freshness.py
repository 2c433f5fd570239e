"""HTTP caching: lifetimes to the next local midnight, strong validators, 304s."""

import datetime as dt

import pytest
import time_machine

from tests.timelines import EVERY_STATUS, rewrite

COUNT_BEARING = [
    "/badge/{slug}.svg",
    "/badge/{slug}.png",
    "/api/v1/counters/{slug}",
    "/api/v1/counters/{slug}/shields.json",
    "/embed/{slug}.js",
    "/embed/{slug}/frame",
    "/{slug}",
    "/{slug}/share.png",
    "/{slug}/feed.atom",
]


@pytest.fixture
def client(make_app, write_timeline):

    path = write_timeline(EVERY_STATUS)
    app = make_app(path, VOIPDOWN_RELOAD_INTERVAL=0, VOIPDOWN_PUBLIC_URL="https://counter.example")
    app.config["TIMELINE_PATH"] = path
    return app.test_client()


def directives(response) -> dict:
    parts = [part.strip() for part in response.headers["Cache-Control"].split(",")]
    return {
        key: (int(value) if value.isdigit() else value) for key, _, value in (part.partition("=") for part in parts)
    }


@pytest.mark.parametrize("path", COUNT_BEARING)
def test_validators_and_304(client, path):
    url = path.format(slug="ongoing") + ("?lang=ar" if "?" not in path else "")
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")  # strong
    assert first.headers["Last-Modified"]
    cache = directives(first)
    assert cache["public"] == "" and cache["max-age"] == cache["s-maxage"] and cache["stale-while-revalidate"] == 60
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    since = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304 and since.data == b""
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_lifetime_ends_at_the_next_casablanca_midnight(client):
    # 22:40 UTC on 9 March 2024 is 23:40 in Casablanca (UTC+1): 20 minutes left.
    with time_machine.travel(dt.datetime(2024, 3, 9, 22, 40, tzinfo=dt.timezone.utc), tick=False):
        near = directives(client.get("/badge/ongoing.svg"))
    assert near["max-age"] == 20 * 60 and near["s-maxage"] == 20 * 60
    with time_machine.travel(dt.datetime(2024, 3, 9, 12, 0, tzinfo=dt.timezone.utc), tick=False):
        far = directives(client.get("/badge/ongoing.svg"))
    assert far["max-age"] == 3600  # capped: an edit shows within the hour


def test_ended_counters_keep_longer_when_stale(client):
    cache = directives(client.get("/api/v1/counters/ended"))
    assert cache["max-age"] == 3600 and cache["stale-while-revalidate"] == 86_400


def test_last_modified_is_the_start_of_the_local_day(make_app, write_timeline):
    import os

    path = write_timeline(EVERY_STATUS, "old.toml")
    edited = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc).timestamp()
    os.utime(path, (edited, edited))  # a file edited long before the day asked about
    client = make_app(path).test_client()
    with time_machine.travel(dt.datetime(2024, 3, 9, 23, 30, tzinfo=dt.timezone.utc), tick=False):
        response = client.get("/api/v1/counters/ongoing")
    # 10 March began in Casablanca at 23:00 UTC on the 9th (UTC+1).
    assert response.last_modified == dt.datetime(2024, 3, 9, 23, 0, tzinfo=dt.timezone.utc)


def test_a_timeline_edit_changes_the_etag(client):
    before = client.get("/badge/ongoing.svg?lang=en").headers["ETag"]
    path = client.application.config["TIMELINE_PATH"]
    rewrite(
        path,
        EVERY_STATUS.replace(
            'en = "VoIP block in Morocco" }\n\n[counters.ended]', 'en = "VoIP ban in Morocco" }\n\n[counters.ended]'
        ),
    )
    after = client.get("/badge/ongoing.svg?lang=en", headers={"If-None-Match": before})
    assert after.status_code == 200 and after.headers["ETag"] != before


@pytest.mark.parametrize(
    "url, status, cache_control",
    [
        ("/badge/nothing.svg", 404, "public, max-age=300"),
        ("/api/v1/counters/nothing", 404, "public, max-age=300"),
        ("/badge/ongoing.svg?style=neon", 400, "public, max-age=3600"),
        ("/api/v1/counters/ongoing?lang=xx", 400, "public, max-age=3600"),
    ],
)
def test_error_lifetimes(client, url, status, cache_control):
    response = client.get(url)
    assert response.status_code == status and response.headers["Cache-Control"] == cache_control


def test_failures_are_not_stored(client, monkeypatch):
    from voipdown.web import badges

    monkeypatch.setattr(badges, "counter_badge", lambda *args: 1 / 0)
    response = client.get("/badge/ongoing.svg?lang=fr&color=teal")
    assert response.status_code == 500 and response.headers["Cache-Control"] == "no-store"


HOST_BEARING = [
    "/api/v1/counters/ongoing?lang=en",
    "/embed/ongoing.js",
    "/embed/ongoing/frame?lang=fr",
    "/ongoing?lang=ar",
    "/ongoing/feed.atom?lang=fr",
    "/embed?lang=en",
]
"""Answers that write absolute addresses: of the request's own host, without VOIPDOWN_PUBLIC_URL."""


@pytest.mark.parametrize("path", HOST_BEARING)
def test_without_a_public_url_an_answer_holding_the_host_is_the_readers_alone(make_app, path):
    """One request with `Host: evil.example` must not put that host's addresses into what a
    shared cache gives every reader: such an answer is private, replayed or not."""
    client = make_app(EVERY_STATUS, VOIPDOWN_RELOAD_INTERVAL=0).test_client()
    for _ in range(2):  # drawn, then replayed
        response = client.get(path, headers={"Host": "evil.example"})
        assert response.status_code == 200, path
        control = directives(response)
        assert "private" in control and "public" not in control and "s-maxage" not in control, (path, control)
        assert "Host" not in response.headers.get("Vary", "")
    public = make_app(EVERY_STATUS, VOIPDOWN_RELOAD_INTERVAL=0, VOIPDOWN_PUBLIC_URL="https://counter.example")
    answer = public.test_client().get(path, headers={"Host": "evil.example"})
    assert "public" in directives(answer) and b"evil.example" not in answer.data, path


def test_without_a_public_url_images_stay_public(make_app):
    client = make_app(EVERY_STATUS, VOIPDOWN_RELOAD_INTERVAL=0).test_client()
    for path in ("/badge/ongoing.svg?lang=ar", "/badge/ongoing.png", "/ongoing/share.png"):
        assert "public" in directives(client.get(path, headers={"Host": "evil.example"})), path
    health = client.get("/healthz").get_json()
    assert health["public_url"].startswith("unset") and health["status"] == "ok"
