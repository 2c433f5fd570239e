"""Text answers compressed by the service: Brotli or gzip as the client accepts, once per
body, with Vary and an ETag per encoding; replayed answers too."""

import gzip

import brotli
import pytest

from tests.helpers import flask_calls
from tests.timelines import EVERY_STATUS
from voipdown.web import compression
from voipdown.web.compression import chosen_encoding

TEXT = [
    "/badge/ongoing.svg?lang=ar&style=for-the-badge",
    "/api/v1/counters/ongoing?lang=ar",
    "/api/v1/counters?lang=en",
    "/embed/ongoing.js",
    "/ongoing?lang=zgh",
    "/ongoing/feed.atom?lang=fr",
    "/embed/ongoing/frame?lang=ar",
    "/embed?lang=en",
    "/badges",
    "/api/openapi.json",
    "/static/embed/builder.js",
    "/nope?lang=ar",  # an error page is text too
]
DECODE = {"br": brotli.decompress, "gzip": gzip.decompress}


@pytest.fixture
def app(make_app):
    return make_app(EVERY_STATUS)


@pytest.mark.parametrize(
    "header, expected",
    [
        ("gzip, deflate, br", "br"),
        ("br;q=0, gzip", "gzip"),
        ("gzip;q=0.5, br;q=0.1", "br"),  # ours first, whatever the order: both are fine
        ("identity", None),
        ("*", "br"),
        ("*;q=0", None),
        ("", None),
        (None, None),
    ],
)
def test_the_encoding_chosen(header, expected):
    assert chosen_encoding(header) == expected


@pytest.mark.parametrize("path", TEXT)
@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_text_answers_are_compressed_and_decode_to_the_same_body(app, path, encoding):
    plain = app.test_client().get(path)
    packed = app.test_client().get(path, headers={"Accept-Encoding": f"{encoding}, identity;q=0.5"})
    assert packed.status_code == plain.status_code
    assert packed.headers["Content-Encoding"] == encoding
    assert "Content-Encoding" not in plain.headers
    assert DECODE[encoding](packed.data) == plain.data
    assert len(packed.data) < len(plain.data)
    assert "Accept-Encoding" in packed.headers["Vary"] and "Accept-Encoding" in plain.headers["Vary"]
    if plain.status_code == 200:
        suffix = {"br": "br", "gzip": "gz"}[encoding]
        assert packed.headers["ETag"] == plain.headers["ETag"][:-1] + f'-{suffix}"'


@pytest.mark.parametrize("path", [p for p in TEXT if "nope" not in p])
def test_each_encodings_etag_revalidates_its_own_copy(app, path):
    client = app.test_client()
    for _ in range(2):  # the first answer comes from Flask, the second (where replayed) from the replay layer
        br = client.get(path, headers={"Accept-Encoding": "br"})
        assert (
            client.get(path, headers={"Accept-Encoding": "br", "If-None-Match": br.headers["ETag"]}).status_code == 304
        )
        other = client.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": br.headers["ETag"]})
        assert other.status_code == 200 and other.headers["Content-Encoding"] == "gzip"


def test_replayed_answers_keep_each_client_its_encoding(app, monkeypatch):
    client = app.test_client()
    calls = flask_calls(app, monkeypatch)
    path = "/badge/ended.svg?lang=fr"
    for _ in range(3):
        for header, encoding in (("br", "br"), ("gzip", "gzip"), ("identity", None)):
            response = client.get(path, headers={"Accept-Encoding": header})
            assert response.headers.get("Content-Encoding") == encoding
    assert len(calls) == 3  # one drawing per encoding, then replays


def test_a_body_is_compressed_once(app, monkeypatch):
    monkeypatch.setattr(compression, "KEPT", compression._Kept())
    done = []
    real = brotli.compress
    monkeypatch.setattr(compression.brotli, "compress", lambda body, **kw: done.append(1) or real(body, **kw))
    client = app.test_client()
    for n in range(5):  # errors: never replayed, so each request reaches Flask with the same body
        client.get(f"/ongoing?lang=qz&_={n}", headers={"Accept-Encoding": "br"})
        client.get("/a/b/c", headers={"Accept-Encoding": "br", "Accept": "text/html"})
    assert len(done) == 2


def test_images_and_small_answers_are_left_alone(app):
    png = app.test_client().get("/badge/ongoing.png", headers={"Accept-Encoding": "br, gzip"})
    assert "Content-Encoding" not in png.headers and "Accept-Encoding" not in png.headers.get("Vary", "")
    small = app.test_client().get("/api/v1/counters/nothing", headers={"Accept-Encoding": "br"})
    assert len(small.data) < compression.MIN_SIZE and "Content-Encoding" not in small.headers
