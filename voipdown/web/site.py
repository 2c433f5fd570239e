"""The campaign site: `/` and `/<slug>` (server-rendered, every language, no JavaScript),
`/<slug>/tallies/<name>` (a tally's chart and samples), `/<slug>/share.png` (the share
image) and the Atom feeds."""

from __future__ import annotations

from itertools import groupby

from flask import Blueprint, Response, render_template, request

from voipdown.embed_code import snippets
from voipdown.feed import atom_feed, feed_authority
from voipdown.languages import language
from voipdown.palette import STATUS_COLORS, status_css
from voipdown.render.card import render_share_card
from voipdown.render.favicon import favicon_ico
from voipdown.tallies.model import from_ms, shown
from voipdown.tallies.reader import TallyReading
from voipdown.texts import (
    CHANGE_SINCE,
    CLOSED_TALLY,
    COLLECT_FAILING,
    COLLECTED,
    COLLECTED_SINCE,
    PER_HOUR,
    PER_MINUTE,
    SAMPLES_PAGE,
    SITES_COUNT,
    STALE_TALLY,
    UNREAD_TALLY,
    count_message,
    counter_sentence,
    event_title,
    format_day,
    format_moment,
    format_number,
    label_and_message,
    phrase,
    signed_number,
    status_sentence,
    tally_action,
    tally_message,
)
from voipdown.timeline import PARTICIPANT_KINDS
from voipdown.web.errors import Refusal
from voipdown.web.freshness import cache_for, conditional, count_response
from voipdown.web.links import absolute, counter_links
from voipdown.web.negotiation import negotiated
from voipdown.web.path_forms import link
from voipdown.web.resolver import resolve, resolve_default
from voipdown.web.server_cache import DAY_SECONDS, cached
from voipdown.web.slots import long_read
from voipdown.web.state import served, service
from voipdown.web.tally_answers import asked_tally, freshness, reader, tally_answer
from voipdown.zones import load_zone

blueprint = Blueprint("site", __name__)
KIND_HEADINGS = {"blog": "Blogs", "company": "Companies", "media": "Media", "other": "Other sites"}


@blueprint.get("/")
def home():
    return _page(resolve_default("site.home"))


@blueprint.get("/<slug>")
def counter_page(slug: str):
    return _page(resolve("site.counter_page", slug))


def _page(asked) -> Response:
    counter, count, lang = asked.counter, asked.count, asked.lang
    links = counter_links(counter.slug, lang)
    title = counter.title_in(lang)
    kinds = {
        kind: list(group)
        for kind, group in groupby(
            sorted(counter.participants, key=lambda p: PARTICIPANT_KINDS.index(p.kind)), key=lambda p: p.kind
        )
    }
    tallies = list(counter.tallies.values())
    readings = [reader().summary(tally, asked.instant) for tally in tallies]
    html = render_template(
        "counter.html",
        t=lambda msgid: phrase(lang, msgid),
        lang=lang,
        dir=language(lang).direction,
        locale=str(language(lang).locale),
        counter=counter,
        title=title,
        message=count_message(counter, count, lang),
        sentence=counter_sentence(counter, count, lang),
        status=status_sentence(counter, count, lang),
        status_class=count.status.value,
        status_css=status_css(),
        events=[
            (event, format_day(event.date, lang, counter.locale_in(lang)), *event_title(event, counter, lang))
            for event in counter.events
        ],
        press=[(article, format_day(article.date, lang, counter.locale_in(lang))) for article in counter.press],
        kinds=[(KIND_HEADINGS[kind], kinds[kind]) for kind in PARTICIPANT_KINDS if kind in kinds],
        sites_count=phrase(lang, SITES_COUNT, count=len(counter.participants), locale=counter.locale_in(lang)),
        snippet=snippets(
            counter_sentence(counter, count, lang), links, lang, "bottom-left", "auto", (0, 0)
        ).script.split("\n")[0],
        links=links,
        languages=[(code, language(code).autonym, language(code).direction) for code in asked.timeline.site.languages],
        language_link=lambda code: link("site.counter_page", slug=counter.slug, lang=code),
        page_url=links.page,
        alternate=lambda code: absolute("site.counter_page", slug=counter.slug, lang=code),
        share_image=absolute("site.share_image", slug=counter.slug, lang=lang),
        feed=absolute("site.counter_feed", slug=counter.slug, lang=lang),
        api=absolute("api.show_counter", slug=counter.slug, lang=lang),
        tallies=[_tally_view(counter, tally, reading, lang) for tally, reading in zip(tallies, readings, strict=True)],
    )
    response = Response(html)
    if any(not tally.closed for tally in tallies) or not all(reading.store_answered for reading in readings):
        # A live tally on the page: kept no longer than a tally answer, never replayed.
        at_most = freshness(readings, tallies, served().modified).seconds
        return count_response(response, asked, replayable=False, at_most=at_most)
    return count_response(response, asked)


def _tally_view(counter, tally, reading: TallyReading, lang: str) -> dict:
    """What the pages say of a tally, in `lang`: value, change, rates, state, note, sources."""
    summary = reading.summary
    latest = summary.latest
    title = tally.title_in(lang)
    message = tally_message(latest.value if latest else None, tally.unit, lang, tally.locale_in(lang))
    rates = [
        phrase(lang, template, rate=rate, locale=counter.locale_in(lang))
        for template, rate in ((PER_MINUTE, summary.rate_per_minute), (PER_HOUR, summary.rate_per_hour))
        if rate is not None
    ]
    note_lang = lang if lang in tally.note else counter.default_lang
    sources = {sample.source.name: sample.source for sample in tally.samples if sample.source is not None}
    return {
        "name": tally.name,
        "title": title,
        "message": message,
        "sentence": label_and_message(title, message),
        "change": signed_number(summary.change, lang, counter.locale_in(lang))
        if summary.change is not None and summary.samples > 1
        else None,
        "change_label": (
            phrase(lang, CHANGE_SINCE, date=_day_of(summary.earliest, counter.timezone), locale=counter.locale_in(lang))
            if summary.earliest
            else None
        ),
        "rates": rates,
        "latest": format_moment(latest.at, lang, counter.timezone, counter.locale_in(lang)) if latest else None,
        "latest_iso": shown(latest.at) if latest else None,
        "state": _state(tally, reading, lang),
        "provenance": _provenance(counter, tally, reading, lang),
        "note": tally.note.get(note_lang),
        "note_lang": None if note_lang == lang else note_lang,
        "sources": list(sources.values()),
        "url": tally.url,
        "action": tally_action(tally, lang),
        "sparkline": link("charts.chart", slug=counter.slug, file=f"{tally.name}.svg", lang=lang),
        "chart": link("charts.chart", slug=counter.slug, file=f"{tally.name}.svg", lang=lang, size="large"),
        "page": link("site.tally_page", slug=counter.slug, name=tally.name, lang=lang),
    }


def _provenance(counter, tally, reading: TallyReading, lang: str) -> str | None:
    """Where a collected tally's figures come from, how often, and since when."""
    if tally.collect is None:
        return None
    state, locale = reading.collect, counter.locale_in(lang)
    words = {"source": tally.collect.host, "interval": tally.collect.every, "locale": locale}
    if state is not None and state.first_ms is not None:
        since = from_ms(state.first_ms).astimezone(load_zone(counter.timezone)).date()
        return phrase(lang, COLLECTED_SINCE, date=since, **words)
    return phrase(lang, COLLECTED, **words)


def _state(tally, reading: TallyReading, lang: str) -> str | None:
    """What a reader should know of the figures' freshness, if anything."""
    if not reading.store_answered:
        return phrase(lang, UNREAD_TALLY)
    if reading.collect is not None and reading.collect.state == "failing":
        return phrase(lang, COLLECT_FAILING, source=tally.collect.host)
    if reading.summary.stale:
        return phrase(lang, STALE_TALLY)
    return phrase(lang, CLOSED_TALLY) if tally.closed else None


def _day_of(point, timezone: str):
    """The day of a sample on the counter's calendar."""
    return point.at if point.precision == "day" else point.instant.astimezone(load_zone(timezone)).date()


ROWS_PER_PAGE = 50


@blueprint.get("/<slug>/tallies/<name>")
def tally_page(slug: str, name: str):
    """A tally's own page: its figures, its large chart, and every sample in a table, newest first."""
    asked, tally = asked_tally(slug, name, "site.tally_page")
    counter, lang = asked.counter, asked.lang
    summary = reader().summary(tally, asked.instant)
    pages = max(1, -(-summary.count // ROWS_PER_PAGE))
    page = asked.whole_number("page", 1, pages, 1)
    newest_first = reader().page(tally, page, ROWS_PER_PAGE, gate=long_read(summary.count, lang))
    view = _tally_view(counter, tally, summary, lang)
    rows = [
        (
            point,
            format_moment(point.at, lang, counter.timezone, counter.locale_in(lang)),
            format_number(point.value, lang, counter.locale_in(lang)),
        )
        for point in newest_first.points
    ]

    def page_link(number: int) -> str:
        return link(
            "site.tally_page", slug=counter.slug, name=tally.name, lang=lang, page=number if number > 1 else None
        )

    html = render_template(
        "tally.html",
        t=lambda msgid: phrase(lang, msgid),
        lang=lang,
        dir=language(lang).direction,
        counter=counter,
        counter_title=counter.title_in(lang),
        tally=view,
        rows=rows,
        shown=shown,
        caption=phrase(lang, SAMPLES_PAGE, page=format_number(page, lang), pages=format_number(pages, lang)),
        newer=page_link(page - 1) if page > 1 else None,
        older=page_link(page + 1) if page < pages else None,
        csv=link("tallies.samples_csv", slug=counter.slug, name=tally.name),
        languages=[(code, language(code).autonym, language(code).direction) for code in asked.timeline.site.languages],
        language_link=lambda code: link("site.tally_page", slug=counter.slug, name=tally.name, lang=code),
        page_url=absolute("site.tally_page", slug=counter.slug, name=tally.name, lang=lang),
        alternate=lambda code: absolute("site.tally_page", slug=counter.slug, name=tally.name, lang=code),
        status_css=status_css(),
    )
    return tally_answer(Response(html), [summary, newest_first], tally)


@blueprint.get("/<slug>/share.png")
def share_image(slug: str):
    asked = resolve("site.share_image", slug)
    counter, count, lang = asked.counter, asked.count, asked.lang
    state = service()
    if state.font is None:
        raise Refusal(503, "no_font", "No font to draw the share image with.", lang)
    key = f"share:{counter.slug}:{lang}:{count.as_of.isoformat()}:{asked.timeline.version}"

    def build() -> bytes:
        return render_share_card(
            state.font,
            title=counter.title_in(lang),
            message=count_message(counter, count, lang),
            status=status_sentence(counter, count, lang),
            signature=asked.timeline.site.name_in(lang),
            colors=STATUS_COLORS[count.status.value],
            rtl=language(lang).rtl,
        )

    response = Response(cached(key, build, DAY_SECONDS), mimetype="image/png")
    return count_response(response, asked)


ROBOTS = """\
# Every page, badge and feed may be read and indexed.
User-agent: *
Allow: /
"""
STATIC_LIFETIME = 86_400


@blueprint.get("/favicon.ico")
def favicon():
    response = Response(favicon_ico(), content_type="image/vnd.microsoft.icon")
    return conditional(cache_for(response, STATIC_LIFETIME), None)


@blueprint.get("/robots.txt")
def robots():
    response = Response(ROBOTS, content_type="text/plain; charset=utf-8")
    return conditional(cache_for(response, STATIC_LIFETIME), None)


@blueprint.get("/feed.atom")
def default_feed():
    return _feed(resolve_default("site.default_feed"))


@blueprint.get("/<slug>/feed.atom")
def counter_feed(slug: str):
    return _feed(resolve("site.counter_feed", slug))


def _request_host() -> str:
    negotiated("Host")
    return request.host.split(":")[0]


def _address_of(asked) -> str:
    """The address the document was asked by (its path form): a feed's `rel="self"`, which
    a feed reader compares with where it fetched it."""
    path_values = {"slug": asked.counter.slug} if asked.endpoint == "site.counter_feed" else {}
    return absolute(asked.endpoint, **path_values, **asked.values)


def _feed(asked) -> Response:
    counter, lang = asked.counter, asked.lang
    body = atom_feed(
        counter,
        asked.count,
        lang,
        self_url=_address_of(asked),
        page_url=absolute("site.counter_page", slug=counter.slug, lang=lang),
        authority=feed_authority(counter, service().settings.public_url) or _request_host(),
        author=asked.timeline.site.name_in(lang),
    )
    response = Response(body, content_type="application/atom+xml; charset=utf-8")
    return count_response(response, asked)
