"""The bundled 2016 Moroccan history: complete, sourced, and in four languages."""

import datetime as dt

import pytest

from voipdown.languages import SHIPPED
from voipdown.settings import bundled_timeline
from voipdown.timeline import is_http_url, load_timeline


@pytest.fixture(scope="module")
def voip_ma():
    timeline = load_timeline(bundled_timeline())
    assert timeline.default_slug == "voip-ma"
    return timeline.counters["voip-ma"]


def test_dates_of_the_block(voip_ma):
    assert voip_ma.start == dt.date(2016, 1, 5)
    assert voip_ma.end == dt.date(2016, 11, 4)
    assert (voip_ma.end - voip_ma.start).days == 304
    assert voip_ma.timezone == "Africa/Casablanca"


def test_every_event_is_sourced_and_translated(voip_ma):
    assert len(voip_ma.events) >= 12
    for event in voip_ma.events:
        assert event.sources, event
        assert set(event.title) == set(SHIPPED), event.date
        for source in event.sources:
            assert source.url is None or is_http_url(source.url)
    assert [event.date for event in voip_ma.events] == sorted(event.date for event in voip_ma.events)
    assert voip_ma.events[0].date == voip_ma.start and voip_ma.events[-1].date == voip_ma.end


def test_titles_in_every_language_and_script(voip_ma):
    assert set(voip_ma.title) == set(SHIPPED)
    assert any("\u0600" <= ch <= "\u06ff" for ch in voip_ma.title["ar"])
    assert any("\u2d30" <= ch <= "\u2d7f" for ch in voip_ma.title["zgh"])


def test_press_of_the_2016_campaign(voip_ma):
    assert len(voip_ma.press) == 21
    assert all(is_http_url(article.url) for article in voip_ma.press)
    assert {article.lang for article in voip_ma.press} == {"fr", "ar"}


def test_participants_of_the_2016_campaign(voip_ma):
    # 193 entries in 2016, three of them repeating a site: see the comment in the file.
    assert len(voip_ma.participants) == 190
    kinds = [participant.kind for participant in voip_ma.participants]
    assert kinds.count("company") == 49 and kinds.count("blog") == 141
    assert any(participant.url == "http://lgeek.info" for participant in voip_ma.participants)
