"""The timeline file: what maintainers edit, read into immutable objects.

`load_timeline` parses and validates in one pass and reports *every* problem at
once, each naming the file, the line where it can, and the field, so that a
maintainer fixes a file in one round instead of one error at a time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from voipdown.languages import SHIPPED, available, language, parse_locale
from voipdown.tallies.collect.spec import read_collect, unset_variables
from voipdown.tallies.model import MAX_INTERVAL, MAX_SAMPLE_VALUE, UNITS, Sample, Tally
from voipdown.toml_lines import LineIndex
from voipdown.zones import UnknownZone, instant_of, load_zone

# Route names of the web layer: a counter with one of these slugs would hide a route.
RESERVED_SLUGS = frozenset(
    {
        "api",
        "badge",
        "badges",
        "chart",
        "embed",
        "healthz",
        "static",
        "feed",
        "feeds",
        "docs",
        "about",
        "assets",
        "favicon",
    }
)
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX_LENGTH = 64
PARTICIPANT_KINDS = ("blog", "company", "media", "other")
KINDS = ("block", "shutdown", "detention", "ban", "since")
"""What a counter counts the days of: the words of its sentences (texts.KIND_WORDS)."""
TEXT_MAX_LENGTH = 500
_LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Source:
    """Where a fact was reported; `url` is None when only the outlet is known."""

    name: str
    url: str | None = None


@dataclass(frozen=True)
class Event:
    date: dt.date
    title: Mapping[str, str]
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class PressArticle:
    date: dt.date
    title: str
    outlet: str
    url: str
    lang: str | None = None
    """The article's own language (any BCP 47 tag), so pages can set `lang`/`dir` on it."""


@dataclass(frozen=True)
class Participant:
    name: str
    url: str
    kind: str


_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Counter:
    slug: str
    timezone: str
    start: dt.date
    end: dt.date | None
    title: Mapping[str, str]
    default_lang: str
    url: str | None = None
    aliases: tuple[str, ...] = ()
    events: tuple[Event, ...] = ()
    press: tuple[PressArticle, ...] = ()
    participants: tuple[Participant, ...] = ()
    tallies: Mapping[str, Tally] = field(default_factory=lambda: MappingProxyType({}))
    kind: str = "block"
    """One of KINDS: which sentences say its count."""
    locales: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Language -> the CLDR locale that writes its dates and numbers, where not the language's own."""

    def title_in(self, lang: str) -> str:
        """The title in `lang`, else in the counter's default language (always present)."""
        return self.title.get(lang) or self.title[self.default_lang]

    def locale_in(self, lang: str) -> str | None:
        """The CLDR locale this counter writes `lang` with; None: the language's own."""
        return self.locales.get(lang)


@dataclass(frozen=True)
class Link:
    """A link of every page's header (`[site] links`)."""

    title: Mapping[str, str]
    url: str

    def title_in(self, lang: str) -> str:
        return self.title.get(lang) or next(iter(self.title.values()))


@dataclass(frozen=True)
class Site:
    """Who the site is, in the timeline's own words (`[site]`): its name, in the header, page
    titles, feeds and the share image, and its footer's words. Without `[site]`, the name is
    the default counter's title and there is no footer: the software names no campaign."""

    name: Mapping[str, str]
    """Language -> name; one text for every language when the file gives a single string."""
    footer: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    languages: tuple[str, ...] = SHIPPED
    """The languages offered, in order; the first is the default. Without `languages`, every
    language a catalog speaks."""
    links: tuple[Link, ...] = ()

    def name_in(self, lang: str) -> str:
        return self.name.get(lang) or next(iter(self.name.values()))

    def footer_in(self, lang: str) -> str | None:
        return self.footer.get(lang) or next(iter(self.footer.values()), None)


@dataclass(frozen=True)
class Timeline:
    counters: Mapping[str, Counter]
    default_slug: str
    aliases: Mapping[str, str]
    """Old slug -> current slug."""
    version: str
    """A short hash of the file's bytes: changes whenever the file does."""
    site: Site | None = None
    """Who the site is (`[site]`); None only while parsing."""

    @property
    def default_counter(self) -> Counter:
        return self.counters[self.default_slug]

    def find(self, slug: str) -> tuple[Counter | None, bool]:
        """The counter known as `slug`, and whether `slug` is an old alias of it."""
        counter = self.counters.get(slug)
        if counter is not None:
            return counter, False
        current = self.aliases.get(slug)
        if current is not None:
            return self.counters[current], True
        return None, False


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a timeline file."""

    file: str
    line: int | None
    where: str
    """The field, as a dotted path: ``counters.voip-ma.events[3].date``."""
    message: str

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}" if self.line else self.file
        return f"{place}: {self.where}: {self.message}" if self.where else f"{place}: {self.message}"


class TimelineError(ValueError):
    """A timeline file that cannot be used; `problems` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in problems))


def load_timeline(path: str | Path) -> Timeline:
    """Read and validate the timeline at `path`; raise `TimelineError` listing every problem."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise TimelineError(
            [Problem(str(path), None, "", f"cannot read the file ({error.strerror or error})")]
        ) from None
    return parse_timeline(data, str(path))


def unset_secrets(path: str | Path, timeline: Timeline, environ: Mapping[str, str]) -> list[Problem]:
    """A warning, with its file and line, for each secret header a tally's `collect` reads
    from an environment variable that `environ` does not set (that tally's rounds would fail)."""
    lines = LineIndex(Path(path).read_text(encoding="utf-8"))
    found = []
    for counter in timeline.counters.values():
        for tally in counter.tallies.values():
            for header, variable in unset_variables(tally.collect, environ) if tally.collect else ():
                where = ("counters", counter.slug, "tallies", tally.name, "collect", "secret_headers", header)
                message = f"{variable} is not set here: the service needs it in its environment to collect"
                found.append(Problem(str(path), lines.line_of(where), ".".join(where), message))
    return found


def parse_timeline(data: bytes, file: str = "<timeline>") -> Timeline:
    """Validate the bytes of a timeline file; `file` names it in problems."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise TimelineError([Problem(file, line, "", "the file is not valid UTF-8")]) from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(error))
        line = int(match.group(1)) if match else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
        column = f" (column {match.group(2)})" if match else ""
        raise TimelineError([Problem(file, line, "", f"invalid TOML: {message}{column}")]) from None
    version = hashlib.sha256(data).hexdigest()[:16]
    return _Reader(file, LineIndex(text)).timeline(document, version)


def is_http_url(value: Any) -> bool:
    if not isinstance(value, str) or _CONTROL.search(value) or " " in value:
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _site_key(url: str) -> str:
    """Two links to one site compare equal: host case, `www.` and a trailing slash ignored."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}"


_MISSING = object()


@dataclass
class _Reader:
    """Walks the parsed document, building objects and collecting problems."""

    file: str
    lines: LineIndex
    problems: list[Problem] = field(default_factory=list)
    languages: tuple[str, ...] = ()
    """The site's languages: texts in another are refused."""
    complete: bool = False
    """Whether every text must be in every one of them (the file named them)."""

    # -- reporting -------------------------------------------------------

    def problem(self, path: tuple, message: str) -> None:
        where = ""
        for part in path:
            where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else part)
        self.problems.append(Problem(self.file, self.lines.line_of(path), where, message))

    def check_keys(self, table: dict, path: tuple, allowed: set[str]) -> None:
        for key in table:
            if key not in allowed:
                self.problem(path + (key,), f"unknown key (allowed here: {', '.join(sorted(allowed))})")

    # -- typed fields ------------------------------------------------------

    def table(self, value: Any, path: tuple) -> dict | None:
        if not isinstance(value, dict):
            self.problem(path, "must be a table")
            return None
        return value

    def text(self, table: dict, key: str, path: tuple, required: bool = True) -> str | None:
        value = table.get(key, _MISSING)
        if value is _MISSING:
            if required:
                self.problem(path + (key,), "missing")
            return None
        return self.text_value(value, path + (key,))

    def text_value(self, value: Any, path: tuple) -> str | None:
        if not isinstance(value, str):
            self.problem(path, "must be a string")
            return None
        value = value.strip()
        if not value:
            self.problem(path, "must not be empty")
            return None
        if _CONTROL.search(value):
            self.problem(path, "must not contain control characters")
            return None
        if len(value) > TEXT_MAX_LENGTH:
            self.problem(path, f"is longer than {TEXT_MAX_LENGTH} characters")
            return None
        return value

    def date(self, table: dict, key: str, path: tuple, required: bool = True) -> dt.date | None:
        value = table.get(key, _MISSING)
        if value is _MISSING:
            if required:
                self.problem(path + (key,), "missing (a date such as 2016-01-05)")
            return None
        if isinstance(value, dt.datetime) or isinstance(value, dt.time):
            self.problem(path + (key,), "must be a date without a time, such as 2016-01-05")
            return None
        if isinstance(value, str):
            self.problem(path + (key,), "must be a TOML date: write 2016-01-05 without quotes")
            return None
        if not isinstance(value, dt.date):
            self.problem(path + (key,), "must be a date such as 2016-01-05")
            return None
        return value

    def url(self, table: dict, key: str, path: tuple, required: bool = True) -> str | None:
        value = self.text(table, key, path, required)
        if value is not None and not is_http_url(value):
            self.problem(path + (key,), "must be an http:// or https:// address")
            return None
        return value

    def translations(
        self, table: dict, key: str, path: tuple, default_lang: str | None, every: bool = True
    ) -> dict[str, str]:
        """A table of language = text. With `[site] languages`, a title (`every`) is in each of
        them; a longer text (a note, the footer) may fall back to the default language."""
        value = table.get(key, _MISSING)
        if value is _MISSING:
            self.problem(path + (key,), "missing (a table of language = text)")
            return {}
        texts = self.table(value, path + (key,))
        if texts is None:
            return {}
        result = {}
        for lang, text in texts.items():
            if not self.offered(lang, path + (key, lang)):
                continue
            text = self.text_value(text, path + (key, lang))
            if text is not None:
                result[lang] = text
        if self.complete and every:
            missing = [lang for lang in self.languages if lang not in texts]
            if missing:
                self.problem(path + (key,), f"missing the text in {', '.join(missing)} (a language of [site])")
        elif default_lang and default_lang not in texts:
            self.problem(path + (key,), f"missing the text in the default language ({default_lang})")
        return result

    def offered(self, lang: str, path: tuple) -> bool:
        """Whether `lang` is one of the site's languages (else a problem at `path`)."""
        if lang in self.languages:
            return True
        if lang in available():
            self.problem(path, f"not a language of this site ([site] languages: {', '.join(self.languages)})")
        else:
            self.problem(path, f"unsupported language (the catalogs speak: {', '.join(available())})")
        return False

    def site_languages(self, raw: Any) -> None:
        """`[site] languages`, read first: every text of the file is checked against them."""
        self.languages, self.complete = available(), False
        if not isinstance(raw, dict) or "languages" not in raw:
            return
        path = ("site", "languages")
        value = raw["languages"]
        if not isinstance(value, list) or not value or not all(isinstance(code, str) for code in value):
            self.problem(
                path,
                f'must be a list of language codes, such as ["fr", "ar"] (the catalogs speak: '
                f"{', '.join(available())})",
            )
            return
        unknown = [code for code in value if code not in available()]
        if unknown:
            self.problem(
                path, f"unsupported language {', '.join(unknown)} (the catalogs speak: {', '.join(available())})"
            )
            return
        if len(set(value)) != len(value):
            self.problem(path, "names a language twice")
            return
        self.languages, self.complete = tuple(value), True

    def array_of_tables(self, table: dict, key: str, path: tuple) -> list[tuple[tuple, dict]]:
        value = table.get(key, [])
        if not isinstance(value, list):
            self.problem(path + (key,), f"must be an array of tables ([[...{key}]])")
            return []
        items = []
        for index, item in enumerate(value):
            item_path = path + (key, index)
            if self.table(item, item_path) is not None:
                items.append((item_path, item))
        return items

    # -- the document ------------------------------------------------------

    def timeline(self, document: dict, version: str) -> Timeline:
        self.check_keys(document, (), {"default_counter", "counters", "site"})
        self.site_languages(document.get("site"))
        raw_counters = document.get("counters", _MISSING)
        counters: dict[str, Counter] = {}
        aliases: dict[str, str] = {}
        if raw_counters is _MISSING:
            self.problem(("counters",), "missing: add at least one [counters.<slug>] table")
        elif self.table(raw_counters, ("counters",)) is not None:
            if not raw_counters:
                self.problem(("counters",), "no counter: add at least one [counters.<slug>] table")
            for slug, raw in raw_counters.items():
                self.slug(slug, ("counters", slug))
                table = self.table(raw, ("counters", slug))
                if table is None:
                    continue
                counter = self.counter(slug, table, ("counters", slug))
                if counter is not None:
                    counters[slug] = counter
            self.aliases(raw_counters, aliases)

        default_slug = None
        if "default_counter" in document:
            default_slug = self.text(document, "default_counter", ())
            if default_slug is not None and isinstance(raw_counters, dict) and default_slug not in raw_counters:
                self.problem(("default_counter",), "names no counter of this file")
        elif counters:
            default_slug = next(iter(counters))

        site = self.site(document.get("site", _MISSING), counters.get(default_slug or ""))
        if self.problems:
            raise TimelineError(self.problems)
        return Timeline(
            counters=MappingProxyType(counters),
            default_slug=default_slug,
            aliases=MappingProxyType(aliases),
            version=version,
            site=site,
        )

    def site(self, raw: Any, default_counter: Counter | None) -> Site | None:
        """`[site]`: a name (one string, or a table of language = text), its languages, and an
        optional footer and links."""
        if raw is _MISSING:
            if default_counter is None:
                return None
            return Site(MappingProxyType(dict(default_counter.title)), languages=self.languages)
        table = self.table(raw, ("site",))
        if table is None:
            return None
        self.check_keys(table, ("site",), {"name", "footer", "languages", "links"})
        texts = {}
        for key in ("name", "footer"):
            if key not in table:
                if key == "name":
                    self.problem(("site", "name"), "missing (one text, or a table of language = text)")
                continue
            texts[key] = self.text_or_translations(table, key, ("site",), every=key == "name")
        links = tuple(self.link(item, item_path) for item_path, item in self.array_of_tables(table, "links", ("site",)))
        if not texts.get("name") or None in links:
            return None
        return Site(
            MappingProxyType(texts["name"]),
            MappingProxyType(texts.get("footer", {})),
            languages=self.languages,
            links=links,
        )

    def text_or_translations(self, table: dict, key: str, path: tuple, every: bool = True) -> dict[str, str]:
        """One text for every language, or a table of language = text."""
        value = table[key]
        if isinstance(value, str):
            text = self.text_value(value, path + (key,))
            return {lang: text for lang in self.languages} if text else {}
        texts = self.translations(table, key, path, None, every)
        if not texts and isinstance(value, dict) and not value:
            self.problem(path + (key,), "must name at least one language")
        return texts

    def link(self, table: dict, path: tuple) -> Link | None:
        self.check_keys(table, path, {"title", "url"})
        if "title" not in table:
            self.problem(path + ("title",), "missing (one text, or a table of language = text)")
            title = {}
        else:
            title = self.text_or_translations(table, "title", path)
        url = self.url(table, "url", path)
        return Link(MappingProxyType(title), url) if title and url else None

    def slug(self, slug: str, path: tuple) -> bool:
        if not SLUG_PATTERN.match(slug) or len(slug) > SLUG_MAX_LENGTH:
            self.problem(
                path,
                f"bad slug: use lowercase ASCII letters, digits and single hyphens, at most {SLUG_MAX_LENGTH}",
            )
            return False
        if slug in RESERVED_SLUGS:
            self.problem(path, f"reserved slug (the service uses /{slug} itself)")
            return False
        return True

    def aliases(self, raw_counters: dict, aliases: dict[str, str]) -> None:
        """Aliases must be unique across every slug and alias of the file."""
        for slug, raw in raw_counters.items():
            if not isinstance(raw, dict) or "aliases" not in raw:
                continue
            path = ("counters", slug, "aliases")
            value = raw["aliases"]
            if not isinstance(value, list):
                self.problem(path, "must be a list of old slugs")
                continue
            for index, alias in enumerate(value):
                if not isinstance(alias, str):
                    self.problem(path, f"item {index + 1} must be a string")
                elif not self.slug(alias, path):
                    continue
                elif alias in raw_counters:
                    self.problem(path, f"'{alias}' is already the slug of a counter")
                elif alias in aliases:
                    self.problem(path, f"'{alias}' is already an alias of counters.{aliases[alias]}")
                else:
                    aliases[alias] = slug

    def counter(self, slug: str, table: dict, path: tuple) -> Counter | None:
        self.check_keys(
            table,
            path,
            {
                "timezone",
                "start",
                "end",
                "title",
                "default_lang",
                "url",
                "aliases",
                "events",
                "press",
                "participants",
                "tallies",
                "kind",
                "locale",
            },
        )
        default_lang = self.text(table, "default_lang", path, required=False) if "default_lang" in table else None
        if default_lang is None and "default_lang" not in table:
            default_lang = self.languages[0]
        elif default_lang is not None and not self.offered(default_lang, path + ("default_lang",)):
            default_lang = None
        kind = self.text(table, "kind", path, required=False) or "block"
        if kind not in KINDS:
            self.problem(path + ("kind",), f"must be one of: {', '.join(KINDS)}")
        locales = self.locales(table, path)

        timezone = self.text(table, "timezone", path)
        if timezone is not None:
            try:
                load_zone(timezone)
            except UnknownZone:
                self.problem(path + ("timezone",), "unknown time zone (use an IANA name such as Africa/Casablanca)")
                timezone = None

        start = self.date(table, "start", path)
        end = self.date(table, "end", path, required=False)
        if start and end and end < start:
            self.problem(path + ("end",), f"is before start ({start.isoformat()})")

        title = self.translations(table, "title", path, default_lang)
        url = self.url(table, "url", path, required=False)
        events = tuple(
            self.event(item, item_path, default_lang) for item_path, item in self.array_of_tables(table, "events", path)
        )
        press = tuple(self.press(item, item_path) for item_path, item in self.array_of_tables(table, "press", path))
        participants = self.participants(table, path)
        tallies = self.tallies(slug, table, path, default_lang, timezone, locales or {})
        aliases = table.get("aliases", [])

        if None in (default_lang, timezone, start, tallies, locales) or not title or None in events or None in press:
            return None
        if kind not in KINDS:
            return None
        return Counter(
            slug=slug,
            timezone=timezone,
            start=start,
            end=end,
            title=MappingProxyType(title),
            default_lang=default_lang,
            url=url,
            aliases=tuple(a for a in aliases if isinstance(a, str)) if isinstance(aliases, list) else (),
            events=tuple(sorted(events, key=lambda event: event.date)),
            press=tuple(sorted(press, key=lambda article: article.date)),
            participants=participants,
            tallies=MappingProxyType(tallies),
            kind=kind,
            locales=MappingProxyType(locales),
        )

    def locales(self, table: dict, path: tuple) -> dict[str, str] | None:
        """`locale = { ar = "ar_DZ" }`: the CLDR locale that writes a language's dates and numbers."""
        if "locale" not in table:
            return {}
        path = path + ("locale",)
        raw = self.table(table["locale"], path)
        if raw is None:
            return None
        locales = {}
        for lang, name in raw.items():
            if not self.offered(lang, path + (lang,)) or self.text_value(name, path + (lang,)) is None:
                return None
            try:
                locale = parse_locale(name)
            except ValueError as error:
                self.problem(path + (lang,), f"{error} (use a CLDR locale such as ar_DZ)")
                return None
            if locale.language != language(lang).locale.language:
                self.problem(path + (lang,), f"{name} writes another language than {lang}")
                return None
            locales[lang] = str(locale)
        return locales

    def tallies(
        self, slug: str, table: dict, path: tuple, default_lang: str | None, timezone: str | None, locales: dict
    ) -> dict[str, Tally] | None:
        """`[counters.<slug>.tallies.<name>]`; None if any is invalid."""
        value = table.get("tallies", {})
        if self.table(value, path + ("tallies",)) is None:
            return None
        tallies, valid = {}, True
        for name, raw in value.items():
            tally_path = path + ("tallies", name)
            if not SLUG_PATTERN.match(name) or len(name) > SLUG_MAX_LENGTH:
                self.problem(tally_path, "bad tally name: use lowercase ASCII letters, digits and single hyphens")
                valid = False
                continue
            raw = self.table(raw, tally_path)
            tally = self.tally(slug, name, raw, tally_path, default_lang, timezone) if raw is not None else None
            if tally is not None and locales:
                tally = replace(tally, locales=MappingProxyType(locales))
            if tally is None:
                valid = False
            else:
                tallies[name] = tally
        return tallies if valid else None

    def tally(
        self, slug: str, name: str, table: dict, path: tuple, default_lang: str | None, timezone: str | None
    ) -> Tally | None:
        self.check_keys(
            table,
            path,
            {"title", "unit", "start", "interval", "token_sha256", "url", "note", "samples", "action", "collect"},
        )
        title = self.translations(table, "title", path, default_lang)
        note = self.translations(table, "note", path, default_lang, every=False) if "note" in table else {}
        action = self.translations(table, "action", path, default_lang) if "action" in table else {}
        if "action" in table and "url" not in table:
            self.problem(path + ("action",), 'needs the url it leads to (url = "https://…")')
        unit = self.text(table, "unit", path)
        if unit is not None and unit not in UNITS:
            self.problem(path + ("unit",), f"unknown unit (use one of: {', '.join(UNITS)})")
            unit = None
        start = self.moment(table.get("start", _MISSING), path + ("start",))
        interval = table.get("interval", _MISSING)
        if interval is _MISSING:
            self.problem(path + ("interval",), "missing (seconds between two samples, such as 60)")
            interval = None
        elif isinstance(interval, bool) or not isinstance(interval, int) or not 1 <= interval <= MAX_INTERVAL:
            self.problem(path + ("interval",), f"must be a whole number of seconds from 1 to {MAX_INTERVAL}")
            interval = None
        token = self.text(table, "token_sha256", path, required=False)
        if token is not None and not _SHA256_HEX.match(token):
            self.problem(
                path + ("token_sha256",), "must be 64 lowercase hexadecimal digits (voipdown tally token prints it)"
            )
            token = None
        url = self.url(table, "url", path, required=False)
        samples = self.samples(table, path, start, timezone or "UTC")
        collect = None
        if "collect" in table:
            raw = self.table(table["collect"], path + ("collect",))
            collect = read_collect(self, raw, path + ("collect",), interval) if raw is not None else None
            if collect is None:
                return None
        if None in (unit, start, interval, samples) or not title or ("token_sha256" in table and token is None):
            return None
        if ("url" in table and url is None) or ("note" in table and not note):
            return None
        if "action" in table and (not action or url is None):
            return None
        return Tally(
            name,
            MappingProxyType(title),
            unit,
            start,
            interval,
            token,
            url,
            samples,
            MappingProxyType(note),
            default_lang or self.languages[0],
            counter=slug,
            timezone=timezone or "UTC",
            action=MappingProxyType(action),
            collect=collect,
        )

    def moment(self, value: Any, path: tuple) -> dt.date | dt.datetime | None:
        """A date (the time of day unknown) or an RFC 3339 date-time with its offset."""
        if value is _MISSING:
            self.problem(path, "missing (a date such as 2016-02-26, or a date-time with its offset)")
            return None
        if isinstance(value, dt.datetime):
            if value.tzinfo is None or value.utcoffset() is None:
                self.problem(path, "a date-time needs its offset, such as 2016-02-26T23:00:00+01:00")
                return None
            return value
        if isinstance(value, dt.date):
            return value
        self.problem(path, "must be a TOML date (2016-02-26) or date-time with offset, without quotes")
        return None

    def samples(self, table: dict, path: tuple, start, timezone: str) -> tuple[Sample, ...] | None:
        """A date-only `at` or `start` is the start of that day in the counter's zone, as a
        push is checked (zones.instant_of)."""
        samples, valid, seen = [], True, {}
        for item_path, item in self.array_of_tables(table, "samples", path):
            self.check_keys(item, item_path, {"at", "value", "source"})
            at = self.moment(item.get("at", _MISSING), item_path + ("at",))
            value = item.get("value", _MISSING)
            if value is _MISSING:
                self.problem(item_path + ("value",), "missing (the running total at that instant)")
                value = None
            elif isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_SAMPLE_VALUE:
                self.problem(item_path + ("value",), f"must be a whole number of at most {MAX_SAMPLE_VALUE:,} in size")
                value = None
            source = self.sample_source(item, item_path)
            if at is not None and start is not None and instant_of(at, timezone) < instant_of(start, timezone):
                self.problem(item_path + ("at",), "is before the tally's start")
                at = None
            if at is not None:
                key = instant_of(at, timezone)
                if key in seen and value is not None and seen[key] != value:
                    self.problem(item_path + ("at",), "another sample has this instant with another value")
                    at = None
                elif value is not None:
                    seen[key] = value
            if None in (at, value, source):
                valid = False
            else:
                samples.append(Sample(at, value, source))
        if "samples" in table and not isinstance(table["samples"], list):
            valid = False
        return tuple(sorted(samples, key=lambda sample: instant_of(sample.at, timezone))) if valid else None

    def sample_source(self, item: dict, path: tuple) -> Source | None:
        """A historical sample says where its figure was published."""
        value = item.get("source", _MISSING)
        if value is _MISSING:
            self.problem(path + ("source",), "missing: every sample of the timeline needs its source ({ name, url })")
            return None
        if self.table(value, path + ("source",)) is None:
            return None
        self.check_keys(value, path + ("source",), {"name", "url"})
        name = self.text(value, "name", path + ("source",))
        url = self.url(value, "url", path + ("source",), required=False)
        if name is None or ("url" in value and url is None):
            return None
        return Source(name=name, url=url)

    def event(self, table: dict, path: tuple, default_lang: str | None) -> Event | None:
        self.check_keys(table, path, {"date", "title", "sources"})
        date = self.date(table, "date", path)
        title = self.translations(table, "title", path, default_lang)
        sources = self.sources(table, path)
        if date is None or not title or sources is None:
            return None
        return Event(date=date, title=MappingProxyType(title), sources=sources)

    def sources(self, table: dict, path: tuple) -> tuple[Source, ...] | None:
        value = table.get("sources", _MISSING)
        if value is _MISSING or value == []:
            self.problem(path + ("sources",), "missing: every event needs at least one source ({ name, url })")
            return None
        if not isinstance(value, list):
            self.problem(path + ("sources",), "must be a list of { name = ..., url = ... }")
            return None
        sources = []
        for index, item in enumerate(value):
            item_path = path + ("sources", index)
            if self.table(item, item_path) is None:
                continue
            self.check_keys(item, item_path, {"name", "url"})
            name = self.text(item, "name", item_path)
            url = self.url(item, "url", item_path, required=False)
            if name is not None and (url is not None or "url" not in item):
                sources.append(Source(name=name, url=url))
        return tuple(sources) if len(sources) == len(value) else None

    def press(self, table: dict, path: tuple) -> PressArticle | None:
        self.check_keys(table, path, {"date", "title", "outlet", "url", "lang"})
        date = self.date(table, "date", path)
        title = self.text(table, "title", path)
        outlet = self.text(table, "outlet", path)
        url = self.url(table, "url", path)
        lang = self.text(table, "lang", path, required=False)
        if lang is not None and not _LANGUAGE_TAG.match(lang):
            self.problem(path + ("lang",), "must be a language tag such as fr, ar or en-GB")
            lang = None
        if None in (date, title, outlet, url) or ("lang" in table and lang is None):
            return None
        return PressArticle(date=date, title=title, outlet=outlet, url=url, lang=lang)

    def participants(self, table: dict, path: tuple) -> tuple[Participant, ...]:
        participants = []
        seen: dict[str, int] = {}
        for item_path, item in self.array_of_tables(table, "participants", path):
            self.check_keys(item, item_path, {"name", "url", "kind"})
            name = self.text(item, "name", item_path)
            url = self.url(item, "url", item_path)
            kind = self.text(item, "kind", item_path)
            if kind is not None and kind not in PARTICIPANT_KINDS:
                self.problem(item_path + ("kind",), f"must be one of: {', '.join(PARTICIPANT_KINDS)}")
                kind = None
            if url is not None:
                key = _site_key(url)
                if key in seen:
                    self.problem(
                        item_path + ("url",), f"duplicate site: participants[{seen[key]}] has the same address"
                    )
                    url = None
                else:
                    seen[key] = item_path[-1]
            if None not in (name, url, kind):
                participants.append(Participant(name=name, url=url, kind=kind))
        return tuple(participants)
