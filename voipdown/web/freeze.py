"""`voipdown build`: the whole campaign as files, for any static host.

Frozen-Flask asks the app itself for every address a reader may need, in its path form
(voipdown/web/path_forms.py), through Flask's test client, and writes each answer at its
path: the files are the live service's answers, byte for byte. Only a file whose bytes
changed is written (Frozen-Flask compares), so a host's history grows only with the count.

Links between our pages are relative, so one build works at any sub-path (a GitHub Pages
project site's `/<repo>/`) without knowing it; the addresses written for other sites (the
embed's, the snippets', the feeds', `og:image`) are absolute, from `--base-url`. So
`FREEZER_BASE_URL` stays unset: the app is asked at its root, as the live service is.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask
from flask_frozen import Freezer, MimetypeMismatchWarning, MissingURLGeneratorWarning

from voipdown.clock import pinned_clock
from voipdown.embed_code import POSITIONS, THEMES
from voipdown.palette import PALETTE
from voipdown.render.chart_layout import SIZES
from voipdown.render.styles import STYLES
from voipdown.web.path_forms import path_form
from voipdown.web.response_kinds import KINDS, Kind, headers_of, origin_of
from voipdown.web.state import current_timeline

KEPT = ("404.html", "_headers", ".git", ".git/*", "CNAME", ".nojekyll")
"""Files of OUT a build leaves alone: its own extras (written after the freezing) and a
host's (a repository, a custom domain)."""


@dataclass(frozen=True)
class Built:
    files: int
    written: int
    """Files whose bytes changed (or were new): the others kept their times."""


def addresses() -> Iterator[str]:
    """Every address a reader of the build may need, in its path form."""
    timeline = current_timeline()
    languages = timeline.site.languages
    yield "/"
    yield path_form("site.default_feed")
    yield path_form("api.list_counters")
    yield path_form("badges.gallery")
    yield path_form("embed.builder")
    yield "/favicon.ico"
    yield "/robots.txt"
    yield "/static/embed/builder.js"
    for lang in languages:
        yield path_form("site.home", lang=lang)
        yield path_form("site.default_feed", lang=lang)
        yield path_form("api.list_counters", lang=lang)
        yield path_form("embed.builder", lang=lang)
    for counter in timeline.counters.values():
        slug = counter.slug
        yield path_form("embed.script", name=f"{slug}.js")
        yield path_form("embed.tally_script", slug=slug)
        yield path_form("api.show_counter", slug=slug)
        yield path_form("api.shields", slug=slug)
        yield path_form("tallies.list_tallies", slug=slug)
        yield from _badges(f"{slug}.{{fmt}}", languages)
        for lang in languages:
            yield path_form("site.counter_page", slug=slug, lang=lang)
            yield path_form("embed.script", name=f"{slug}.js", lang=lang)
            yield path_form("embed.tally_script", slug=slug, lang=lang)
            yield path_form("site.counter_feed", slug=slug, lang=lang)
            yield path_form("site.share_image", slug=slug, lang=lang)
            yield path_form("api.show_counter", slug=slug, lang=lang)
            yield path_form("api.shields", slug=slug, lang=lang)
            yield path_form("tallies.list_tallies", slug=slug, lang=lang)
            yield path_form("embed.builder", counter=slug, lang=lang)
            yield from _builders(slug, lang, languages, counter.tallies)
            for tally in (None, *counter.tallies):
                for theme in _choices(THEMES, "auto"):
                    yield path_form("embed.frame", slug=slug, lang=lang, tally=tally, theme=theme)
        for name in counter.tallies:
            yield path_form("tallies.show_tally", slug=slug, name=name)
            yield path_form("tallies.shields", slug=slug, name=name)
            yield path_form("tallies.samples", slug=slug, name=name)
            yield path_form("tallies.samples_csv", slug=slug, name=name)
            yield from _badges(f"{slug}/{name}.{{fmt}}", languages)
            for lang in languages:
                yield path_form("site.tally_page", slug=slug, name=name, lang=lang)
                yield path_form("tallies.show_tally", slug=slug, name=name, lang=lang)
                yield path_form("tallies.shields", slug=slug, name=name, lang=lang)
                for size in (None, *SIZES):
                    for fmt in ("svg", "png"):
                        yield path_form("charts.chart", slug=slug, file=f"{name}.{fmt}", lang=lang, size=size)


def _builders(slug: str, lang: str, languages: tuple[str, ...], tallies) -> Iterator[str]:
    """The builder in `lang` for every choice its form offers (its script opens them)."""
    for snippet_lang in languages:
        for position in _choices(POSITIONS, "inline"):
            for tally in (None, *tallies):
                for theme in _choices(THEMES, "auto"):
                    yield path_form(
                        "embed.builder",
                        counter=slug,
                        lang=lang,
                        snippet_lang=snippet_lang,
                        position=position,
                        tally=tally,
                        theme=theme,
                    )


def _choices(values: tuple[str, ...], default: str) -> tuple[str | None, ...]:
    """A parameter's values as its links write them: the default as no value at all."""
    return (None, *(value for value in values if value != default))


def _badges(name: str, languages: tuple[str, ...]) -> Iterator[str]:
    """A badge in every language (and none: the reader's), style and format."""
    for fmt in ("svg", "png"):
        for lang in (None, *languages):
            for style in (None, *STYLES):
                yield path_form("badges.badge", name=name.format(fmt=fmt), lang=lang, style=style)
    for color in PALETTE:  # the gallery's colours
        yield path_form("badges.badge", name=name.format(fmt="svg"), color=color)


def build(app: Flask, out: Path, at: dt.datetime | None = None) -> Built:
    """Write the build of `app`'s timeline into `out`, as of `at` (default: now)."""
    app.config.update(
        FREEZER_DESTINATION=str(out.resolve()),
        FREEZER_DESTINATION_IGNORE=list(KEPT),
        FREEZER_REMOVE_EXTRA_FILES=True,
    )
    freezer = Freezer(app, with_static_files=False, with_no_argument_rules=False, log_url_for=False)
    freezer.register_generator(addresses)
    before = _times(out)
    with pinned_clock(at) if at else nullcontext(), warnings.catch_warnings():
        # Our types are the right ones; Python's table names some others (.ico, .atom).
        warnings.simplefilter("ignore", MimetypeMismatchWarning)
        warnings.simplefilter("ignore", MissingURLGeneratorWarning)  # pushes, /healthz: the server's alone
        pages = list(freezer.freeze_yield())
        # What a static host sends for any address it does not have (GitHub Pages,
        # Codeberg Pages, nginx's error_page): the live service's 404 page, whose links are absolute.
        _write_if_changed(out / "404.html", app.test_client().get("/404.html").data)
        state = app.extensions["voipdown"]
        headers = headers_file(state.timelines.snapshot().timeline, state.settings.public_url)
        _write_if_changed(out / "_headers", headers.encode())
    after = _times(out)
    return Built(len(pages) + 2, sum(1 for path, time in after.items() if before.get(path) != time))


HOST_CACHE_SECONDS = 600
"""What `_headers` asks a host to send: ten minutes, as GitHub Pages does."""


def header_patterns(timeline) -> list[tuple[str, str]]:
    """Which addresses of a build are which route's, as `_headers` patterns (`*`: anything,
    slashes too): no address matches two routes of different kinds."""
    patterns = [
        ("/", "site.home"),
        ("/badge/*", "badges.badge"),
        ("/chart/*", "charts.chart"),
        ("/*/share.*", "site.share_image"),
        ("/api/*", "api.show_counter"),
        ("/*.atom", "site.counter_feed"),
        ("/embed/*", "embed.script"),
        ("/embed/*/frame.*", "embed.frame"),
        ("/static/embed/*", "embed.builder_asset"),
        ("/embed.*", "embed.builder"),
        ("/index.*", "site.home"),
        ("/badges.html", "badges.gallery"),
        ("/404.html", "site.home"),
        ("/favicon.ico", "site.favicon"),
        ("/robots.txt", "site.robots"),
    ]
    for slug in timeline.counters:
        patterns += [(f"/{slug}.*", "site.counter_page"), (f"/{slug}/tallies/*", "site.tally_page")]
    return patterns


def headers_file(timeline, public_url: str) -> str:
    """`_headers`, for hosts that read it (Netlify, Cloudflare Pages): the headers the service
    sends with each kind of answer (voipdown/web/response_kinds.py), and a cache lifetime."""
    origin = origin_of(public_url)
    under = urlsplit(public_url).path.rstrip("/")  # a project site's /<repository>
    # What every kind sends is written once, for every file.
    shared = dict(set.intersection(*(set(headers_of(kind, origin).items()) for kind in Kind)))
    lines = [
        "# The service's headers, for static hosts that read this file (Netlify, Cloudflare Pages).",
        f"{under}/*",
        *(f"  {name}: {value}" for name, value in shared.items()),
        f"  Cache-Control: public, max-age={HOST_CACHE_SECONDS}",
    ]
    for pattern, endpoint in header_patterns(timeline):
        found = [
            f"  {name}: {value}" for name, value in headers_of(KINDS[endpoint], origin).items() if name not in shared
        ]
        if found:
            lines += [under + pattern, *found]
    return "\n".join(lines) + "\n"


def _times(out: Path) -> dict[Path, int]:
    return {path: path.stat().st_mtime_ns for path in out.rglob("*") if path.is_file()} if out.exists() else {}


def _write_if_changed(path: Path, content: bytes) -> None:
    if not path.is_file() or path.read_bytes() != content:
        path.write_bytes(content)
