"""The embed: `/embed/<slug>.js` (the script), `/embed/<slug>/frame` (no-JavaScript
iframe), `/embed` (the builder) and `/static/embed/<file>` (the builder's own script)."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, Response, render_template

from voipdown.badge_content import counter_badge, tally_badge
from voipdown.clock import now
from voipdown.embed_code import POSITIONS, THEMES, TallyLinks, asset, embed_script, embed_texts, snippets
from voipdown.embed_code import tally_script as embed_tally_script
from voipdown.isolation import isolate
from voipdown.languages import language
from voipdown.palette import status_css
from voipdown.texts import (
    count_message,
    counter_sentence,
    label_and_message,
    lasting_sentence,
    phrase,
    tally_action,
    tally_message,
)
from voipdown.web.errors import Refusal
from voipdown.web.freshness import conditional, count_response
from voipdown.web.links import absolute, counter_links
from voipdown.web.path_forms import link, template
from voipdown.web.resolver import resolve
from voipdown.web.server_cache import DAY_SECONDS, cached
from voipdown.web.state import service
from voipdown.web.tally_answers import reader, tally_answer

blueprint = Blueprint("embed", __name__)
BUILDER_ASSETS = {"builder.js": "text/javascript; charset=utf-8"}


def _badge_size(counter, count, lang) -> tuple[int, int]:
    font = service().font
    if font is None:
        return 0, 0
    layout = counter_badge(font, counter, count, lang, "flat", None)
    return layout.width, layout.height


def _tally_links(counter, tally, lang: str) -> TallyLinks:
    """What a tally's snippets show: its page, its badge (sized at its current value) and title."""
    font = service().font
    value = reader().summary(tally, now()).latest_value
    layout = tally_badge(font, tally, value, lang, "flat", None) if font else None
    return TallyLinks(
        name=tally.name,
        script=absolute("embed.tally_script", slug=counter.slug, lang=lang),
        page=absolute("site.tally_page", slug=counter.slug, name=tally.name, lang=lang),
        badge_svg=absolute("badges.badge", name=f"{counter.slug}/{tally.name}.svg", lang=lang),
        badge_png=absolute("badges.badge", name=f"{counter.slug}/{tally.name}.png", lang=lang),
        sentence=tally.title_in(lang),
        size=(layout.width, layout.height) if layout else (0, 0),
    )


def _tallies(counter, languages: tuple[str, ...]) -> dict[str, dict]:
    """What the script needs to show a tally live: its interval, and per language its label,
    its page and its JSON (asked again every interval, in their path forms: a static host
    serves them too), or, for a closed tally, its message instead of the JSON, which cannot
    change (a closed tally takes no pushes): then it asks nothing."""
    described = {}
    for tally in counter.tallies.values():
        texts = {}
        value = reader().summary(tally, now()).latest_value if tally.closed else None
        for lang in languages:
            words = {
                "label": isolate(tally.title_in(lang), lang),
                "page": absolute("site.tally_page", slug=counter.slug, name=tally.name, lang=lang),
            }
            if not tally.closed:
                words["api"] = absolute("tallies.show_tally", slug=counter.slug, name=tally.name, lang=lang)
            action = tally_action(tally, lang)
            if action:
                words["action"] = isolate(action, lang)
            if tally.closed:
                words["message"] = isolate(tally_message(value, tally.unit, lang, tally.locale_in(lang)), lang)
            texts[lang] = words
        described[tally.name] = {"interval": tally.interval, "texts": texts}
        if tally.url:
            described[tally.name]["url"] = tally.url
    return described


def script_languages(asked) -> tuple[str, ...]:
    """A script's languages: the one asked (`lang`: what snippets use, the smallest), else
    every one of the site's, the reader's page choosing."""
    lang = asked.value("lang")
    return (lang,) if lang else asked.timeline.site.languages


def _script_response(asked, kind: str, write) -> Response:
    """A script of `asked.counter`: `write(texts)` given its texts in its languages."""
    counter, count = asked.counter, asked.count
    languages = script_languages(asked)
    key = f"embed:{kind}:{counter.slug}:{','.join(languages)}:{count.as_of.isoformat()}:{asked.timeline.version}"

    def build() -> str:
        texts = {
            lang: embed_texts(
                counter, count, lang, counter_links(counter.slug, lang), _badge_size(counter, count, lang)
            )
            for lang in languages
        }
        return write(texts)

    # Its addresses are absolute: stored only when they come from VOIPDOWN_PUBLIC_URL, never
    # from the request's Host header, which anyone can vary to fill the cache.
    body = cached(key, build, DAY_SECONDS) if service().settings.public_url else build()
    return count_response(Response(body, content_type="text/javascript; charset=utf-8"), asked)


@blueprint.get("/embed/<name>")
def script(name: str):
    """The count's script: what a page showing the count downloads, without any tally code."""
    slug, dot, ext = name.rpartition(".")
    if not dot or ext != "js":
        raise Refusal(404, "not_found", "An embed script's address ends in .js.")
    asked = resolve("embed.script", slug, address=lambda slug: {"name": f"{slug}.js"})
    counter = asked.counter
    live = absolute("embed.tally_script", slug=counter.slug, lang=asked.value("lang")) if counter.tallies else None
    return _script_response(asked, "count", lambda texts: embed_script(counter, asked.count, texts, live))


@blueprint.get("/embed/<slug>/tallies.js")
def tally_script(slug: str):
    """The script that shows one of the counter's tallies live (`data-tally`), or its count."""
    asked = resolve("embed.tally_script", slug)
    counter, languages = asked.counter, script_languages(asked)
    return _script_response(
        asked,
        "tallies",
        lambda texts: embed_tally_script(counter, asked.count, texts, _tallies(counter, languages)),
    )


@blueprint.get("/embed/<slug>/frame")
def frame(slug: str):
    asked = resolve("embed.frame", slug)
    counter, count, lang = asked.counter, asked.count, asked.lang
    tally = counter.tallies.get(asked.value("tally") or "")  # another counter's tally: the count
    words = {
        "lang": lang,
        "dir": language(lang).direction,
        "theme": asked.value("theme", "auto"),
        "status_css": status_css(),
    }
    if tally is None:
        html = render_template(
            "frame.html",
            **words,
            label=counter.title_in(lang),
            message=count_message(counter, count, lang),
            sentence=counter_sentence(counter, count, lang),
            status_class=count.status.value,
            page=counter_links(counter.slug, lang).page,
        )
        return count_response(Response(html), asked)
    reading = reader().summary(tally, asked.instant)
    message = tally_message(reading.latest_value, tally.unit, lang, tally.locale_in(lang))
    html = render_template(
        "frame.html",
        **words,
        label=tally.title_in(lang),
        message=message,
        sentence=label_and_message(tally.title_in(lang), message),
        status_class="tally",
        page=absolute("site.tally_page", slug=counter.slug, name=tally.name, lang=lang),
        action=tally_action(tally, lang),
        action_url=tally.url,
    )
    return tally_answer(Response(html), [reading], tally)


@blueprint.get("/embed")
def builder():
    asked = resolve("embed.builder")
    counter, count = asked.counter, asked.count
    # Two choices: the builder's own language (lang, as on every page: else the reader's),
    # and the snippet's, for the blogger's readers (else the builder's).
    ui_lang = asked.lang
    lang = asked.value("snippet_lang", ui_lang)
    position = asked.value("position", "inline")
    theme = asked.value("theme", "auto")
    tally = counter.tallies.get(asked.value("tally") or "")  # another counter's tally: the count
    # The frame keeps the theme and the tally chosen.
    frame = absolute(
        "embed.frame",
        slug=counter.slug,
        lang=lang,
        theme=None if theme == "auto" else theme,
        tally=tally.name if tally else None,
    )
    links = replace(counter_links(counter.slug, lang), frame=frame)
    chosen_query = {
        "counter": counter.slug,
        "tally": tally.name if tally else None,
        "position": None if position == "inline" else position,
        "theme": None if theme == "auto" else theme,
    }
    chosen = snippets(
        lasting_sentence(counter, count, lang),
        links,
        lang,
        position,
        theme,
        _badge_size(counter, count, lang),
        _tally_links(counter, tally, lang) if tally else None,
    )
    html = render_template(
        "builder.html",
        t=lambda msgid: phrase(ui_lang, msgid),
        lang=ui_lang,
        dir=language(ui_lang).direction,
        counters=[(c.slug, c.title_in(ui_lang)) for c in asked.timeline.counters.values()],
        languages=[(code, language(code).autonym, language(code).direction) for code in asked.timeline.site.languages],
        language_link=lambda code: link("embed.builder", **{**chosen_query, "lang": code, "snippet_lang": lang}),
        positions=POSITIONS,
        themes=THEMES,
        tallies=[(name, t.title_in(ui_lang)) for name, t in counter.tallies.items()],
        chosen={
            "counter": counter.slug,
            "lang": lang,
            "position": position,
            "theme": theme,
            "tally": tally.name if tally else "",
        },
        snippets=chosen,
        # A new choice opens its page's path form: a static build has every one of them.
        path_template=template("embed.builder", always=("counter", "lang", "snippet_lang")),
        preview=chosen.script,
        script_src=links.script,
    )
    # Its snippets hold the count's words; a tally's, its badge's size at its current value.
    return count_response(Response(html), asked, replayable=tally is None)


@blueprint.get("/static/embed/<name>")
def builder_asset(name: str):
    if name not in BUILDER_ASSETS:
        raise Refusal(404, "not_found", "No such file.")
    body = asset(name)
    response = Response(body, content_type=BUILDER_ASSETS[name])
    response.headers["Cache-Control"] = "public, max-age=3600"
    return conditional(response, None)  # a strong, quoted ETag, and a 304 when the client has it
