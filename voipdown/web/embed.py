"""The embed: `/embed/<slug>.js` (the script), `/embed/<slug>/frame` (no-JavaScript
iframe), `/embed` (the builder) and `/static/embed/<file>` (the builder's own script)."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, abort, render_template, request, url_for

from voipdown.badges import counter_badge
from voipdown.counting import count_at, now
from voipdown.embed import POSITIONS, THEMES, asset, embed_script, embed_texts, snippets
from voipdown.languages import LANGUAGES, SUPPORTED
from voipdown.texts import count_message, phrase
from voipdown.web.caching import DAY_SECONDS, cached
from voipdown.web.errors import ApiError
from voipdown.web.http_cache import cache_error, count_response
from voipdown.web.links import counter_links
from voipdown.web.negotiation import accepted_language, choice, requested_language
from voipdown.web.state import current_timeline, service

blueprint = Blueprint("embed", __name__)
BUILDER_ASSETS = {"builder.js": "text/javascript; charset=utf-8"}


def _redirect(endpoint: str, **values) -> Response:
    """A 301 to the counter's current slug, keeping only our own parameters, validated."""
    params = {name: request.args[name] for name in ("lang", "theme") if request.args.get(name)}
    if "lang" in params and params["lang"] not in SUPPORTED:
        params.pop("lang")
    if "theme" in params and params["theme"] not in THEMES:
        params.pop("theme")
    return Response(status=301, mimetype="text/plain", headers={"Location": url_for(endpoint, **values, **params)})


def _badge_size(counter, count, lang) -> tuple[int, int]:
    font = service().font
    if font is None:
        return 0, 0
    layout = counter_badge(font, counter, count, lang, "flat", None)
    return layout.width, layout.height


@blueprint.get("/embed/<name>")
def script(name: str):
    slug, dot, ext = name.rpartition(".")
    if not dot or ext != "js":
        abort(404)
    counter, is_alias = current_timeline().find(slug)
    if is_alias:
        return _redirect("embed.script", name=f"{counter.slug}.js")
    if counter is None:
        response = Response("/* VoIP Down: no counter has this name. */\n", status=404, mimetype="text/javascript")
        return cache_error(_script_headers(response))
    timeline = current_timeline()
    instant = now()
    count = count_at(counter, instant)
    key = f"embed:{counter.slug}:{count.as_of.isoformat()}:{timeline.version}"

    def build() -> str:
        texts = {
            lang: embed_texts(
                counter, count, lang, counter_links(counter.slug, lang), _badge_size(counter, count, lang)
            )
            for lang in SUPPORTED
        }
        return embed_script(counter, texts)

    # Its addresses are absolute: stored only when they come from VOIPDOWN_PUBLIC_URL, never
    # from the request's Host header, which anyone can vary to fill the cache.
    body = cached(key, build, DAY_SECONDS) if service().settings.public_url else build()
    response = _script_headers(Response(body, mimetype="text/javascript"))
    return count_response(response, counter, count, instant)


def _base() -> str:
    return service().settings.public_url or request.host_url


def _script_headers(response: Response) -> Response:
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blueprint.get("/embed/<slug>/frame")
def frame(slug: str):
    counter, is_alias = current_timeline().find(slug)
    if is_alias:
        return _redirect("embed.frame", slug=counter.slug)
    if counter is None:
        abort(404)
    lang = requested_language(counter.default_lang)
    theme = choice("theme", THEMES) or "auto"
    instant = now()
    count = count_at(counter, instant)
    html = render_template(
        "frame.html",
        lang=lang,
        dir=LANGUAGES[lang].direction,
        theme=theme,
        label=counter.title_in(lang),
        message=count_message(count, lang, counter.start),
        page=counter_links(counter.slug, lang).page,
    )
    response = Response(html)
    # Framed by any page, by design: no frame-ancestors (even "*" refuses a parent such as
    # about:blank or file:) and no X-Frame-Options.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.vary.add("Accept-Language")
    return count_response(response, counter, count, instant)


@blueprint.get("/embed")
def builder():
    timeline = current_timeline()
    default = timeline.default_counter
    ui_lang = accepted_language(default.default_lang)
    try:
        slug = request.args.get("counter", "") or default.slug
        counter = timeline.counters.get(slug)
        if counter is None:
            raise ApiError(400, "bad_parameter", "", parameter="counter")
        lang = choice("lang", SUPPORTED) or counter.default_lang
        position = choice("position", POSITIONS) or "inline"
        theme = choice("theme", THEMES) or "auto"
    except ApiError as error:
        return _builder_error(ui_lang, error.parameter)
    if request.args.get("lang"):
        ui_lang = lang
    count = count_at(counter, now())
    links = counter_links(counter.slug, lang)
    size = _badge_size(counter, count, lang)
    sentence = f"{counter.title_in(lang)}: {count_message(count, lang, counter.start)}"
    chosen = snippets(sentence, links, lang, position, theme, size)
    html = render_template(
        "builder.html",
        t=lambda msgid: phrase(ui_lang, msgid),
        ui_lang=ui_lang,
        dir=LANGUAGES[ui_lang].direction,
        counters=[(c.slug, c.title_in(ui_lang)) for c in timeline.counters.values()],
        languages=[(code, LANGUAGES[code].autonym) for code in SUPPORTED],
        positions=POSITIONS,
        themes=THEMES,
        chosen={"counter": counter.slug, "lang": lang, "position": position, "theme": theme},
        snippets=chosen,
        preview=chosen.script,
        script_src=links.script,
    )
    response = Response(html)
    origin = _base().rstrip("/")
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; script-src 'self' {origin}; img-src 'self' {origin}; style-src 'self' 'unsafe-inline';"
        " frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    response.vary.add("Accept-Language")
    return response


def _builder_error(ui_lang: str, parameter: str | None):
    response = Response(
        f"{phrase(ui_lang, 'invalid {parameter}', parameter=parameter or 'parameter')}\n",
        status=400,
        mimetype="text/plain",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blueprint.get("/static/embed/<name>")
def builder_asset(name: str):
    if name not in BUILDER_ASSETS:
        abort(404)
    body = asset(name)
    response = Response(body, mimetype="text/javascript")
    response.headers["Content-Type"] = BUILDER_ASSETS[name]
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["ETag"] = hashlib.sha256(body.encode()).hexdigest()[:16]
    return response
