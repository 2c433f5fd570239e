"""The campaign site: `/` and `/<slug>` (server-rendered, every language, no JavaScript),
`/<slug>/share.png` (the share image) and the Atom feeds."""

from __future__ import annotations

from itertools import groupby

from flask import Blueprint, Response, render_template, request

from voipdown.embed_code import snippets
from voipdown.feed import atom_feed, feed_authority
from voipdown.languages import LANGUAGES, SUPPORTED
from voipdown.render.card import render_share_card
from voipdown.render.favicon import favicon_ico
from voipdown.render.styles import STATUS_COLORS, status_css
from voipdown.texts import (
    SITES_COUNT,
    count_message,
    counter_sentence,
    event_title,
    format_day,
    phrase,
    status_sentence,
)
from voipdown.timeline import PARTICIPANT_KINDS
from voipdown.web.errors import Refusal
from voipdown.web.freshness import cache_for, conditional, count_response
from voipdown.web.links import absolute, counter_links
from voipdown.web.resolver import resolve, resolve_default
from voipdown.web.server_cache import DAY_SECONDS, cached
from voipdown.web.state import service

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
    html = render_template(
        "counter.html",
        t=lambda msgid: phrase(lang, msgid),
        lang=lang,
        dir=LANGUAGES[lang].direction,
        locale=str(LANGUAGES[lang].locale),
        counter=counter,
        title=title,
        message=count_message(count, lang, counter.start),
        sentence=counter_sentence(counter, count, lang),
        status=status_sentence(counter, count, lang),
        status_class=count.status.value,
        status_css=status_css(),
        events=[(event, format_day(event.date, lang), *event_title(event, counter, lang)) for event in counter.events],
        press=[(article, format_day(article.date, lang)) for article in counter.press],
        kinds=[(KIND_HEADINGS[kind], kinds[kind]) for kind in PARTICIPANT_KINDS if kind in kinds],
        sites_count=phrase(lang, SITES_COUNT, count=len(counter.participants)),
        snippet=snippets(
            counter_sentence(counter, count, lang), links, lang, "bottom-left", "auto", (0, 0)
        ).script.split("\n")[0],
        links=links,
        languages=[(code, LANGUAGES[code].autonym, LANGUAGES[code].direction) for code in SUPPORTED],
        page_url=links.page,
        alternate=lambda code: absolute("site.counter_page", slug=counter.slug, lang=code),
        share_image=absolute("site.share_image", slug=counter.slug, lang=lang),
        feed=absolute("site.counter_feed", slug=counter.slug, lang=lang),
        api=absolute("api.show_counter", slug=counter.slug, lang=lang),
    )
    response = Response(html)
    return count_response(response, asked)


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
            message=count_message(count, lang, counter.start),
            status=status_sentence(counter, count, lang),
            colors=STATUS_COLORS[count.status.value],
            rtl=LANGUAGES[lang].rtl,
        )

    response = Response(cached(key, build, DAY_SECONDS), mimetype="image/png")
    return count_response(response, asked)


ROBOTS = """\
# VoIP Down: every page, badge and feed may be read and indexed.
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


def _feed(asked) -> Response:
    counter, lang = asked.counter, asked.lang
    body = atom_feed(
        counter,
        asked.count,
        lang,
        self_url=absolute("site.counter_feed", slug=counter.slug, lang=lang),
        page_url=absolute("site.counter_page", slug=counter.slug, lang=lang),
        authority=feed_authority(counter, service().settings.public_url) or request.host.split(":")[0],
    )
    response = Response(body, content_type="application/atom+xml; charset=utf-8")
    return count_response(response, asked)
