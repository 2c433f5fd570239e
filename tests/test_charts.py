"""Tally charts: the layout's decisions (ticks, ranges, dots), the SVG and PNG drawn from
it, their sizes on the wire, the route's answers, and another renderer's view of the SVG."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import os
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pytest
from PIL import Image, ImageChops, ImageFilter, ImageStat

from tests.timelines import ONGOING
from voipdown.chart_content import chart_spec, tally_chart, time_ticks, value_ticks
from voipdown.clock import pinned_clock
from voipdown.render.chart_layout import Marked, chart_layout
from voipdown.render.chart_png import render_chart_png
from voipdown.render.chart_svg import line_path, render_chart_svg
from voipdown.tallies.model import Point, StoredSample, timeline_points, to_ms
from voipdown.tallies.reader import VERSION_TTL
from voipdown.timeline import load_timeline
from voipdown.web.tally_answers import SETTLED

UTC = dt.timezone.utc
DOCS = Path(__file__).parent.parent / "docs"
T0 = dt.datetime(2026, 11, 20, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


def points(values, step=dt.timedelta(minutes=1), start=T0):
    return [Point(start + n * step, start + n * step, value) for n, value in enumerate(values)]


def a_day_of_minutes():
    """A day of per-minute running totals, 100 to 220 more each minute (the 2016 press range)."""
    total, values = 0, []
    for minute in range(1440):
        total += 100 + (minute * 37) % 121
        values.append(total)
    return points(values)


@pytest.fixture(scope="module")
def font():
    from voipdown.render.font import find_font, open_font

    return open_font(find_font())


def layout(font, pts, size="large", lang="en", events=()):
    spec = chart_spec(
        font,
        pts,
        size=size,
        lang=lang,
        timezone="Africa/Casablanca",
        sentence="Calls: many",
        events=[Marked(instant, title) for instant, title in events],
        color="#1d4ed8",
    )
    return chart_layout(font, spec)


def test_time_ticks_fall_on_the_counters_wall_clock():
    # Two days in Casablanca across the end of Ramadan 2026 (on 22 March at 02:00 the clock
    # went from UTC+0 to UTC+1): every tick is a whole hour of the local clock, either side.
    start, end = dt.datetime(2026, 3, 21, 12, tzinfo=UTC), dt.datetime(2026, 3, 23, 12, tzinfo=UTC)
    from voipdown.zones import load_zone

    zone = load_zone("Africa/Casablanca")
    ticks = time_ticks(start, end, "Africa/Casablanca", most=6)
    assert 2 <= len(ticks) <= 7
    for instant, kind in ticks:
        local = instant.astimezone(zone)
        assert (local.minute, local.second) == (0, 0) and local.hour % 12 == 0
        assert kind == ("day" if local.hour == 0 else "time")
    days = time_ticks(start, end, "Africa/Casablanca", most=6, whole_days=True)
    assert {kind for _, kind in days} == {"day"}  # samples known to the day: no hour shown
    months = time_ticks(dt.datetime(2016, 1, 1, tzinfo=UTC), dt.datetime(2016, 12, 31, tzinfo=UTC), "UTC", most=6)
    assert [(instant.month, kind) for instant, kind in months] == [
        (1, "month-year"),
        (4, "month"),
        (7, "month"),
        (10, "month"),
    ]  # every third month, the year said in January
    assert all(instant.day == 1 for instant, _ in months)


def test_value_ticks_are_round_and_cover_the_values():
    assert value_ticks(0, 27_000) == [0, 10_000, 20_000, 30_000]
    assert value_ticks(12, 12) == [12]
    ticks = value_ticks(-35, 180)
    assert ticks[0] <= -35 and ticks[-1] >= 180 and len({b - a for a, b in itertools.pairwise(ticks)}) == 1


@pytest.mark.parametrize("count", [1, 2, 5])
def test_one_two_or_a_flat_series_is_drawn_inside_the_plot(font, count):
    for size in ("small", "large"):
        chart = layout(font, points([40] * count, step=dt.timedelta(days=1)), size=size)
        left, top, right, bottom = chart.plot
        assert len(chart.dots) == count  # few samples: each is a dot, so none is taken for a trend
        for x, y in chart.line:
            assert left <= x <= right and top < y < bottom  # a flat series sits inside, not on an edge
        if count == 1:
            assert chart.line[0][0] == pytest.approx((left + right) / 2)
        svg = render_chart_svg(chart, font)
        assert svg.count("<circle") >= count and "NaN" not in svg and "inf" not in svg


def test_no_sample_is_an_empty_chart_that_says_so(font):
    chart = layout(font, [])
    svg = render_chart_svg(chart, font)
    assert chart.line == () and ElementTree.fromstring(svg).get("aria-label") == "Calls: many"
    assert render_chart_png(chart, font, 1).startswith(b"\x89PNG")


def test_many_samples_are_drawn_from_real_ones_only(font):
    day = a_day_of_minutes()
    chart = layout(font, day, size="small")
    assert len(chart.line) <= 2 * chart.width and len(chart.dots) == 1  # only the latest is a dot
    xs = [x for x, _ in chart.line]
    assert xs == sorted(xs) and chart.line[-1] == chart.dots[0]
    assert line_path([(1, 2), (1.04, 2.01), (3, 1)]) == "M1 2l2-1"  # a point on the previous one is left out


def test_events_are_marked_where_they_happened(font):
    day = points([1, 5, 9], step=dt.timedelta(hours=12))
    inside, outside = T0 + dt.timedelta(hours=12), T0 - dt.timedelta(days=3)
    chart = layout(font, day, events=[(inside, "Blocked"), (inside, "Reported"), (outside, "Earlier")])
    assert [mark.title for mark in chart.events] == ["Blocked · Reported"]
    left, _, right, _ = chart.plot
    assert chart.events[0].x == pytest.approx((left + right) / 2, abs=0.1)
    svg = ElementTree.fromstring(render_chart_svg(chart, font))
    assert [title.text for title in svg.iter(SVG + "title")][1:] == ["Blocked · Reported"]


def test_the_bundled_tallies_in_every_language(font):
    from voipdown.settings import bundled_timeline

    timeline = load_timeline(bundled_timeline())
    counter = timeline.counters["voip-ma"]
    tally = counter.tallies["maroc-telecom"]
    pts = timeline_points(tally)
    february = {"fr": "26 févr.", "ar": "26 فبراير", "zgh": "26 ⴱⵕⴰ", "en": "Feb 26"}  # CLDR's, in each language
    for lang in ("fr", "ar", "zgh", "en"):
        chart = tally_chart(font, counter, tally, pts, lang, "large")
        texts = [label.line.text for label in chart.labels]
        assert february[lang] in texts, (lang, texts)
        assert texts[0] == chart.sentence and tally.title[lang] in texts[0]  # the title says the latest value
        assert "27" in chart.sentence
        assert not any(":" in text for text in texts[1:])  # samples known to the day: no hour on the axis
        for label in chart.labels:  # nothing cut at the edges
            width = label.line.advance * label.px / font.units_per_em
            assert 0 <= label.x and label.x + width <= chart.width, (lang, label.line.text)
        assert len(chart.events) >= 2  # #OpeUnlike's days are marked


# Through the service.


@pytest.fixture
def served(make_app, tmp_path):
    app = make_app(ONGOING, VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3"))
    store = app.extensions["voipdown"].tallies.store
    return app, store


def wire_size(client, path) -> int:
    response = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers.get("Content-Encoding") == "gzip", path
    return len(response.data)


def test_sizes_on_the_wire_for_a_day_of_per_minute_samples(served):
    app, store = served
    now = dt.datetime.now(UTC).replace(second=0, microsecond=0)
    start = now - dt.timedelta(minutes=1439)
    store.add("shutdown", "calls", [StoredSample(to_ms(p.instant - T0 + start), p.value) for p in a_day_of_minutes()])
    client = app.test_client()
    for lang in ("fr", "ar", "zgh", "en"):
        assert wire_size(client, f"/chart/shutdown/calls.svg?lang={lang}") <= 1024, lang
        assert wire_size(client, f"/chart/shutdown/calls.svg?lang={lang}&size=large") <= 4096, lang


def test_the_route_answers_images_and_refuses_as_images(served):
    app, store = served
    client = app.test_client()
    svg = client.get("/chart/shutdown/calls.svg?lang=fr")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert ElementTree.fromstring(svg.data).get("aria-label") == "Appels signalés: 12 personnes"
    assert svg.headers["Cache-Control"] == "public, max-age=60, s-maxage=60, stale-while-revalidate=60"
    assert (
        client.get("/chart/shutdown/calls.svg?lang=fr", headers={"If-None-Match": svg.headers["ETag"]}).status_code
        == 304
    )
    png = client.get("/chart/shutdown/calls.png?size=large&scale=1&lang=en")
    assert png.status_code == 200 and Image.open(io.BytesIO(png.data)).size == (640, 320)
    assert Image.open(io.BytesIO(client.get("/chart/shutdown/calls.png").data)).size == (240, 48)  # scale 2
    store.add("shutdown", "calls", [StoredSample(to_ms(dt.datetime.now(UTC)), 99)])
    with pinned_clock(dt.datetime.now(UTC) + dt.timedelta(seconds=VERSION_TTL)):  # travelled, not slept
        after = client.get("/chart/shutdown/calls.svg?lang=fr")
    assert ElementTree.fromstring(after.data).get("aria-label") == "Appels signalés: 99 personnes"
    for path, status in (
        ("/chart/shutdown/nothing.svg", 404),
        ("/chart/nobody/calls.svg", 404),
        ("/chart/shutdown/calls.gif", 404),
        ("/chart/shutdown/calls.svg?size=huge", 400),
        ("/chart/shutdown/calls.png?scale=9", 400),
    ):
        response = client.get(path)
        assert response.status_code == status, path
        assert response.mimetype in ("image/svg+xml", "image/png") and b"huge" not in response.data
    moved = client.get("/chart/old-shutdown/calls.svg?size=large&x=<b>")
    assert moved.status_code == 301 and moved.headers["Location"] == "/chart/shutdown/calls.svg?size=large"
    with pinned_clock(dt.datetime.now(UTC) + SETTLED + dt.timedelta(seconds=1)):  # every change settled: dated too
        assert "Last-Modified" in client.get("/chart/shutdown/calls.svg?lang=fr").headers


def test_librsvg_draws_the_svg_as_we_draw_the_png(make_app, tmp_path):
    """Another renderer (librsvg, as GNOME and many wikis use) reads our SVG and draws what our
    PNG shows: the same ink in the same places, in Arabic too."""
    app = make_app(None, VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3"))
    client = app.test_client()
    for lang in ("ar", "zgh"):
        path = f"/chart/voip-ma/maroc-telecom.{{}}?lang={lang}&size=large"
        svg = client.get(path.format("svg")).data
        ours = Image.open(io.BytesIO(client.get(path.format("png") + "&scale=1").data)).convert("L")
        drawn = subprocess.run(["rsvg-convert", "--format=png"], input=svg, capture_output=True, check=True).stdout
        theirs = Image.open(io.BytesIO(drawn)).convert("RGBA")
        flat = Image.new("RGBA", theirs.size, "white")
        flat.alpha_composite(theirs)
        theirs = flat.convert("L")
        assert theirs.size == ours.size == (640, 320)
        difference = ImageChops.difference(ours, theirs)
        assert ImageStat.Stat(difference).mean[0] < 3, lang  # anti-aliasing differs, nothing else
        ink = ImageChops.invert(ours).point(lambda v: 255 if v > 64 else 0)
        assert ink.getbbox() is not None and ImageStat.Stat(ink).mean[0] > 1  # it draws something


@pytest.fixture(scope="module")
def bundled_live(make_app, tmp_path_factory):
    from tests.browser import LiveServer

    app = make_app(None, VOIPDOWN_TALLY_STORE=str(tmp_path_factory.mktemp("charts") / "t.sqlite3"))
    with LiveServer(app) as server:
        server.app = app
        yield server


@pytest.mark.parametrize("lang", ("fr", "ar", "zgh", "en"))
def test_chromium_draws_the_svg_as_we_draw_the_png(browser, bundled_live, lang):
    """Chromium rasterizes our chart SVGs, sparkline and large, like our PNGs (at 2x), in every
    language; the large ones are kept in docs/ when VOIPDOWN_UPDATE_DOCS is set."""
    from tests.browser import FAR_OFF, FAR_OFF_SHARE, MEAN_TOLERANCE, chromium_shot

    context = browser.new_context(device_scale_factor=2)
    page = context.new_page()
    client = bundled_live.app.test_client()
    for size in ("small", "large"):
        path = f"/chart/voip-ma/maroc-telecom.{{}}?lang={lang}&size={size}"
        shot = chromium_shot(page, bundled_live.url + path.format("svg")).convert("RGBA")
        ours = Image.open(io.BytesIO(client.get(path.format("png")).data)).convert("RGBA")
        assert shot.size == ours.size, (size, shot.size, ours.size)
        difference = ImageChops.difference(shot, ours)  # the badges' tolerances: anti-aliasing only
        assert max(ImageStat.Stat(difference).mean) <= MEAN_TOLERANCE, (lang, size, ImageStat.Stat(difference).mean)
        # A thin line's edges differ between two anti-aliasing rasterizers; a pixel's
        # neighbourhood does not, unless the geometry does.
        gray = ImageChops.difference(shot.filter(ImageFilter.BoxBlur(1)), ours.filter(ImageFilter.BoxBlur(1)))
        gray = gray.convert("L")
        far = sum(n for value, n in enumerate(gray.histogram()) if value > FAR_OFF) / (gray.width * gray.height)
        assert far <= FAR_OFF_SHARE, (lang, size, far)
        if size == "large" and os.environ.get("VOIPDOWN_UPDATE_DOCS"):
            shot.save(DOCS / f"chart-{lang}.png")
    context.close()


def test_a_chart_kept_for_its_version_reads_no_sample(served, monkeypatch):
    """A tally of many samples: once drawn for this store version, its chart is answered from
    the kept drawing in every language and size asked before, without reading the samples."""
    app, store = served
    store.add("shutdown", "calls", [StoredSample(to_ms(T0) + n * 60_000, n) for n in range(20_000)])
    client = app.test_client()
    paths = ["/chart/shutdown/calls.svg?lang=ar", "/chart/shutdown/calls.png?lang=fr&size=large"]
    with pinned_clock(dt.datetime.now(UTC) + dt.timedelta(seconds=1)):
        first = [client.get(path).data for path in paths]
    reads = []
    window = store.window
    monkeypatch.setattr(store, "window", lambda *args: reads.append(args) or window(*args))
    with pinned_clock(dt.datetime.now(UTC) + dt.timedelta(seconds=3)):  # past the brief replay
        again = [client.get(path).data for path in paths]
    assert again == first and reads == []
