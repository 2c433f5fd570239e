"""The first timeline of a new campaign (`voipdown init`): valid as written, commented so
that a maintainer knows what each line does and what to write next."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata

from voipdown.timeline import KINDS, SLUG_MAX_LENGTH, SLUG_PATTERN


def toml_string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def slug_of(name: str) -> str:
    """A slug from a campaign's name: ASCII letters and digits joined by hyphens ("counter" if
    the name has none, as an Arabic or Tifinagh name)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:SLUG_MAX_LENGTH].strip("-")
    return slug if slug and SLUG_PATTERN.match(slug) else "counter"


def starter_timeline(name: str, start: dt.date, timezone: str, languages: tuple[str, ...], kind: str, slug: str) -> str:
    """The text of a timeline with the site, one counter and its first event to fill in."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r} (one of: {', '.join(KINDS)})")
    first = languages[0]

    def every_language(text: str) -> str:
        return "{ " + ", ".join(f"{lang} = {toml_string(text)}" for lang in languages) + " }"

    return f"""\
# The timeline of {name}: every counter the site shows, with its history.
#
# Edit it, then `voipdown check` it: it names the file, line and field of every problem.
# A running service picks up a valid edit without a restart. Every field is described in
# docs/timeline.md.

# Who the site is. `name` is in its header, page titles, feeds and share image: one text, or
# one per language ({{ {first} = "…" }}). The first of `languages` is the default; every title
# below needs a text in each of them.
[site]
name = {toml_string(name)}
languages = [{", ".join(toml_string(lang) for lang in languages)}]
# footer = {every_language("Who we are, in a sentence.")}
# links = [{{ title = {every_language("About us")}, url = "https://example.org/about" }}]

[counters.{slug}]
# What it counts the days of, which chooses the words of its sentences: block, shutdown,
# detention, ban or since. The count turns at midnight in `timezone`; `start` is day 0.
kind = {toml_string(kind)}
timezone = {toml_string(timezone)}
start = {start.isoformat()}
# end = {start.isoformat()}  (the day it ended, once it has)
# url = "https://example.org"  (the campaign's own site, if it has one)
# locale = {{ ar = "ar_DZ" }}  (the CLDR locale that writes a language's dates and numbers)
# The counter's title, in each language (translate each):
title = {every_language(name)}

# The sourced timeline: one [[counters.{slug}.events]] per event, each with its sources.
[[counters.{slug}.events]]
date = {start.isoformat()}
title = {every_language("What happened on this day (write it in each language).")}
sources = [{{ name = "Who reported it", url = "https://example.org/article" }}]

# A live number beside the count (signatures, people...), pushed with a token that
# `voipdown tally token` makes; see docs/tallies.md.
# [counters.{slug}.tallies.petition]
# title = {every_language("Our petition")}
# unit = "signatures"
# start = {start.isoformat()}
# interval = 60
# url = "https://example.org/petition"   # its call to action links here
# token_sha256 = "…"
"""
