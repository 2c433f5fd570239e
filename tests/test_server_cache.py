"""The server-side cache: in-process by default, Redis when configured, never in the way."""

import redis

from tests.servers import RedisServer


def stored_keys(monkeypatch) -> set:
    """The keys the service stores from now on (through flask-caching's public `set`)."""
    from voipdown.web.server_cache import cache

    keys: set = set()
    original = cache.set
    monkeypatch.setattr(cache, "set", lambda key, value, timeout=None: keys.add(key) or original(key, value, timeout))
    return keys


def test_junk_parameters_never_enter_the_cache(every_status_app, monkeypatch):
    client = every_status_app.test_client()
    client.get("/badge/ended.svg?lang=fr")
    keys = stored_keys(monkeypatch)
    for n in range(200):
        assert client.get(f"/badge/ended.svg?lang=fr&_={n}&utm_source=x{n}").status_code == 200
        client.get(f"/api/v1/counters/ended?lang=fr&fbclid={n}")
    client.get("/api/v1/counters/ended?lang=fr")
    assert len(keys) <= 1  # the JSON texts of the day, once


def test_host_header_does_not_fill_the_cache(every_status_app, monkeypatch):
    client = every_status_app.test_client()
    client.get("/embed/ended.js")
    keys = stored_keys(monkeypatch)
    for n in range(50):
        client.get("/embed/ended.js", headers={"Host": f"h{n}.example"})
    assert keys == set()


def test_redis_cache_shared_and_survives_redis_going_away(make_app, ongoing_path, monkeypatch):
    from voipdown.web.server_cache import CacheHealth

    monkeypatch.setattr(CacheHealth, "PAUSE", 0.0)  # no pause after a failure: Redis is asked again at once

    server = RedisServer().start()
    try:
        settings = {
            "VOIPDOWN_TIMELINE": str(ongoing_path),
            "VOIPDOWN_REDIS_URL": server.url,
            "VOIPDOWN_DISCOVERY": "off",
        }
        one, two = make_app(None, **settings).test_client(), make_app(None, **settings).test_client()
        body = one.get("/badge/shutdown.svg?lang=ar").data
        keys = redis.Redis.from_url(server.url).keys("voipdown:cache:*")
        assert any(b"badge:svg:shutdown:ar" in key for key in keys)
        assert two.get("/badge/shutdown.svg?lang=ar").data == body  # the other worker reads it
        assert one.get("/healthz").get_json()["cache"] == "redis"

        server.stop()  # killed mid-test: requests are served uncached, health says why
        for client in (one, two):
            assert client.get("/badge/shutdown.svg?lang=ar").data == body
            assert client.get("/badge/shutdown.png?lang=en").status_code == 200
            assert client.get("/api/v1/counters/shutdown").status_code == 200
        health = one.get("/healthz").get_json()
        assert health["status"] == "degraded" and health["cache"] == "error" and "cache_error" in health

        server.start()
        assert one.get("/badge/shutdown.svg?lang=zgh").status_code == 200
        assert one.get("/healthz").get_json()["cache"] == "redis"
        assert isinstance(one.application.extensions["voipdown_cache_health"], CacheHealth)
    finally:
        server.stop()
