"""The campaign site: `/` and `/<slug>` (server-rendered, every language, no JavaScript),
`/<slug>/share.png` (the share image) and the Atom feeds."""

from __future__ import annotations

from itertools import groupby

from flask import Blueprint, Response, abort, render_template, request, url_for

from voipdown.counting import Status, count_at, now
from voipdown.embed import snippets
from voipdown.feed import atom_feed
from voipdown.languages import LANGUAGES, SUPPORTED
from voipdown.render.card import render_share_card
from voipdown.texts import BLOCKED_SINCE, LIFTED, SITES_COUNT, UPCOMING, count_message, format_day, phrase
from voipdown.timeline import PARTICIPANT_KINDS
from voipdown.web.caching import DAY_SECONDS, cached
from voipdown.web.http_cache import count_response
from voipdown.web.links import absolute, counter_links
from voipdown.web.negotiation import requested_language
from voipdown.web.state import current_timeline, service

blueprint = Blueprint("site", __name__)
KIND_HEADINGS = {"blog": "Blogs", "company": "Companies", "media": "Media", "other": "Other sites"}
PAGE_POLICY = (
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none';"
    " form-action 'self'"
)


def _asked(slug: str, endpoint: str):
    """The counter named `slug`, the language asked for, the instant and the count then.
    An old slug is answered with a 301 to the current one; an unknown one with a 404."""
    counter, is_alias = current_timeline().find(slug)
    if counter is None:
        abort(404)
    if is_alias:
        params = {"lang": request.args["lang"]} if request.args.get("lang") in SUPPORTED else {}
        location = url_for(endpoint, slug=counter.slug, **params)
        abort(Response(status=301, mimetype="text/plain", headers={"Location": location}))
    lang = requested_language(counter.default_lang)
    instant = now()
    return counter, lang, instant, count_at(counter, instant)


def _finish(response: Response, counter, count, instant, shared: bool = False) -> Response:
    """Headers every counter response of the site carries; `shared` ones may be read by any origin."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    if shared:
        response.headers["Access-Control-Allow-Origin"] = "*"
    response.vary.add("Accept-Language")
    return count_response(response, counter, count, instant)


def status_sentence(counter, count, lang: str) -> str:
    if count.status is Status.ENDED:
        return phrase(lang, LIFTED, days=count.days, date=counter.end)
    if count.status is Status.UPCOMING:
        return phrase(lang, UPCOMING, date=counter.start)
    return phrase(lang, BLOCKED_SINCE, date=counter.start)


@blueprint.get("/")
def home():
    return counter_page(current_timeline().default_slug)


@blueprint.get("/<slug>")
def counter_page(slug: str):
    counter, lang, instant, count = _asked(slug, "site.counter_page")
    links = counter_links(counter.slug, lang)
    title = counter.title_in(lang)
    message = count_message(count, lang, counter.start)
    sentence = f"{title}: {message}"
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
        message=message,
        status=status_sentence(counter, count, lang),
        events=[
            (
                event,
                format_day(event.date, lang),
                event.title.get(lang) or event.title[counter.default_lang],
                event.title.get(lang) is not None,
            )
            for event in counter.events
        ],
        press=[(article, format_day(article.date, lang)) for article in counter.press],
        kinds=[(KIND_HEADINGS[kind], kinds[kind]) for kind in PARTICIPANT_KINDS if kind in kinds],
        sites_count=phrase(lang, SITES_COUNT, count=len(counter.participants)),
        snippet=snippets(sentence, links, lang, "bottom-left", "auto", (0, 0)).script.split("\n")[0],
        links=links,
        languages=[(code, LANGUAGES[code].autonym, LANGUAGES[code].direction) for code in SUPPORTED],
        page_url=links.page,
        alternate=lambda code: absolute("site.counter_page", slug=counter.slug, lang=code),
        share_image=absolute("site.share_image", slug=counter.slug, lang=lang),
        feed=absolute("site.counter_feed", slug=counter.slug, lang=lang),
        api=absolute("api.show_counter", slug=counter.slug, lang=lang),
    )
    response = Response(html)
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    return _finish(response, counter, count, instant)


@blueprint.get("/<slug>/share.png")
def share_image(slug: str):
    counter, lang, instant, count = _asked(slug, "site.share_image")
    state = service()
    if state.font is None:
        abort(503)
    key = f"share:{counter.slug}:{lang}:{count.as_of.isoformat()}:{current_timeline().version}"

    def build() -> bytes:
        return render_share_card(
            state.font,
            title=counter.title_in(lang),
            message=count_message(count, lang, counter.start),
            status=status_sentence(counter, count, lang),
            rtl=LANGUAGES[lang].direction == "rtl",
        )

    return _finish(
        Response(cached(key, build, DAY_SECONDS), mimetype="image/png"), counter, count, instant, shared=True
    )


@blueprint.get("/feed.atom")
def default_feed():
    return counter_feed(current_timeline().default_slug)


@blueprint.get("/<slug>/feed.atom")
def counter_feed(slug: str):
    counter, lang, instant, count = _asked(slug, "site.counter_feed")
    body = atom_feed(
        counter,
        count,
        lang,
        self_url=absolute("site.counter_feed", slug=counter.slug, lang=lang),
        page_url=absolute("site.counter_page", slug=counter.slug, lang=lang),
    )
    response = Response(body, content_type="application/atom+xml; charset=utf-8")
    return _finish(response, counter, count, instant, shared=True)
