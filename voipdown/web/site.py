"""The campaign site: `/` and `/<slug>`, server-rendered, in every language."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, url_for

from voipdown.counting import count_at, now
from voipdown.languages import LANGUAGES, SUPPORTED
from voipdown.texts import count_message, format_number, phrase
from voipdown.web.negotiation import requested_language
from voipdown.web.state import service

blueprint = Blueprint("site", __name__)


@blueprint.get("/")
def home():
    return counter_page(service().timelines.current().default_slug)


@blueprint.get("/<slug>")
def counter_page(slug: str):
    counter, is_alias = service().timelines.current().find(slug)
    if counter is None:
        abort(404)
    if is_alias:
        params = {"lang": request.args["lang"]} if request.args.get("lang") in SUPPORTED else {}
        return Response(status=301, mimetype="text/plain", headers={"Location": url_for("site.counter_page", slug=counter.slug, **params)})
    lang = requested_language(counter.default_lang)
    count = count_at(counter, now())
    html = render_template(
        "counter.html",
        t=lambda msgid: phrase(lang, msgid),
        lang=lang,
        dir=LANGUAGES[lang].direction,
        counter=counter,
        title=counter.title_in(lang),
        days=format_number(count.days, lang),
        message=count_message(count, lang, counter.start),
        languages=[(code, LANGUAGES[code].autonym) for code in SUPPORTED],
    )
    response = Response(html)
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    response.vary.add("Accept-Language")
    return response
