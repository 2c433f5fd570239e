"""Path forms (voipdown/web/path_forms.py): every address a build holds is answered with
the same bytes as its query form, and no path, however made, gets a 5xx."""

from __future__ import annotations

from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.timelines import ONGOING


def test_every_path_form_is_answered_as_its_query_form(make_app, tmp_path):
    from voipdown.web.freeze import addresses
    from voipdown.web.path_forms import query_form

    app = make_app(ONGOING, VOIPDOWN_PUBLIC_URL="https://count.example.org", VOIPDOWN_TALLY_STORE=str(tmp_path / "t"))
    client = app.test_client()
    with app.test_request_context():
        paths = sorted(set(addresses()))
        timeline = app.extensions["voipdown"].timelines.snapshot().timeline
        forms = {path: query_form(app.url_map, path, timeline) for path in paths}
    written = [path for path, form in forms.items() if form is not None and form[1]]
    assert len(written) > 300  # most addresses carry a value in their path
    for path in written:
        address, values = forms[path]
        by_path, by_query = client.get(path), client.get(f"{address}?{urlencode(values)}")
        assert by_path.status_code == by_query.status_code == 200, path
        assert by_path.data == by_query.data, path


PARTS = st.sampled_from(
    [
        "fr",
        "ar",
        "zgh",
        "en",
        "xx",
        "plastic",
        "flat",
        "red",
        "2",
        "9",
        "0",
        "²",
        "large",
        "dark",
        "calls",
        "shutdown",
        "",
        "index",
        "%00",
        "..",
        "inline",
        "1" * 12,
    ]
)
STEMS = st.sampled_from(
    [
        "/",
        "/shutdown",
        "/badge/shutdown",
        "/badge/shutdown/calls",
        "/chart/shutdown/calls",
        "/api/v1/counters/shutdown",
        "/api/v1/counters",
        "/embed/shutdown",
        "/embed/shutdown/frame",
        "/shutdown/tallies/calls",
        "/shutdown/share",
        "/feed",
        "/embed",
        "/nothing",
    ]
)
EXTENSIONS = st.sampled_from(["html", "json", "svg", "png", "js", "atom", "csv", ""])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stem=STEMS, parts=st.lists(PARTS, max_size=5), ext=EXTENSIONS)
def test_no_path_made_of_dotted_parts_gets_a_server_error(app, stem, parts, ext):
    last = stem.rstrip("/") + "/index" if stem == "/" else stem
    path = ".".join([last, *parts, ext]) if ext else ".".join([last, *parts])
    answer = app.test_client().get(path)
    assert answer.status_code < 500, path
    assert b"Traceback" not in answer.data


def test_path_forms_read_cold_from_many_threads_are_each_their_query_form(make_app, tmp_path):
    """The middleware's store of read-back path forms (PathForms._known), empty, hit by many
    threads at once with the same and different addresses, and one full enough to start afresh."""
    from tests.concurrency import THREADS, hammer
    from voipdown.web.path_forms import PathForms

    app = make_app(ONGOING, VOIPDOWN_PUBLIC_URL="https://count.example.org", VOIPDOWN_TALLY_STORE=str(tmp_path / "t"))
    client = app.test_client()
    langs = ("fr", "ar", "zgh", "en")
    asked = [(langs[n % 4], n % 2 == 1) for n in range(THREADS)]  # a language; a badge or a page
    paths = [f"/badge/shutdown.{lang}.svg" if badge else f"/shutdown.{lang}.html" for lang, badge in asked]
    queries = [f"/badge/shutdown.svg?lang={lang}" if badge else f"/shutdown?lang={lang}" for lang, badge in asked]
    expected = {path: client.get(query).data for path, query in zip(paths, queries, strict=True)}
    answers = hammer(lambda n: client.get(paths[n]).data)
    assert all(answer == expected[path] for path, answer in zip(paths, answers, strict=True))
    middleware = app.wsgi_app
    while not isinstance(middleware, PathForms):
        middleware = middleware.wsgi_app
    assert 0 < len(middleware._known) <= len(set(paths))
    middleware.KNOWN_MAX = 3  # a store that fills up starts afresh, and answers stay right
    answers = hammer(lambda n: client.get(paths[n]).data)
    assert all(answer == expected[path] for path, answer in zip(paths, answers, strict=True))
    assert len(middleware._known) <= 3 + THREADS  # bounded: a full store is cleared (racing threads may each add one)
