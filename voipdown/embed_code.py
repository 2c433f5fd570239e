"""The embed: the counter's script, and the snippets a blogger pastes.

The script is generated per counter: the static source in static/embed/ with the
counter's texts (in one language, or every one) put in place of its DATA marker. One
request, one directive for a strict host policy (script-src), and cacheable until the next
local midnight, when its texts change (docs/embed.md says why this beats a static script
fetching JSON). It also carries the next seven days' counts and shows the one of the
reader's present day in the counter's zone: a copy kept past midnight (a static build not
yet rebuilt, a cache) still turns at midnight, and one kept longer says its day.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from importlib import resources

import rjsmin

from voipdown.counting import Count, coming_counts
from voipdown.isolation import isolate
from voipdown.languages import language
from voipdown.palette import status_css
from voipdown.texts import count_as_of, count_message, phrase
from voipdown.timeline import Counter

DATA_MARKER = "/*DATA*/null"
DATA_HOLDER = "VOIPDOWN_DATA"
POSITIONS = ("bottom-left", "bottom-right", "inline")
THEMES = ("auto", "light", "dark")
DAYS_AHEAD = 7
"""The days after its own whose counts a script carries."""


@lru_cache(maxsize=None)
def asset(name: str) -> str:
    """A file of static/embed/ (shipped in the package as voipdown/embed_assets/)."""
    return (resources.files("voipdown") / "embed_assets" / name).read_text(encoding="utf-8")


def _compact(source: str) -> str:
    """The source minified (rjsmin: comments, indentation and spaces out): a tenth smaller
    on the wire, which keeps the count's script within its 3 KB."""
    return rjsmin.jsmin(source)


@dataclass(frozen=True)
class Links:
    """Absolute addresses for one language, made by the web layer."""

    page: str
    badge_svg: str
    badge_png: str
    frame: str
    script: str


def embed_texts(counter: Counter, count: Count, lang: str, links: Links, size: tuple[int, int]) -> dict:
    label = isolate(counter.title_in(lang), lang)
    message = isolate(count_message(counter, count, lang), lang)
    return {
        "dir": language(lang).direction,
        "label": label,
        "message": message,
        "page": links.page,
        "badge": links.badge_svg,
        "width": size[0],
        "height": size[1],
        "close": phrase(lang, "Close"),
    }


def _json_for_script(value) -> str:
    """JSON that stays inert inside a script: no `</script>`, no line separators."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


def _part(name: str) -> re.Pattern:
    return re.compile(rf"^\s*//{name}\{{.*?^\s*//\}}{name}$", re.DOTALL | re.MULTILINE)


TALLY_PART = _part("TALLY")
"""The live tally's code in counter.js: sent only in a counter's tally script."""
DAYS_PART = _part("DAYS")
"""The code that chooses the reader's day: sent only with days to choose from."""


@lru_cache(maxsize=None)
def _code(tally: bool, days: bool) -> str:
    """counter.js with only the parts a script needs, minified once per kind of script."""
    source = asset("counter.js")
    if not tally:
        source = TALLY_PART.sub("", source)
    if not days:
        source = DAYS_PART.sub("", source)
    if DATA_MARKER not in source:
        raise RuntimeError("static/embed/counter.js lost its DATA marker")
    # A name the minifier keeps (it drops the marker's comment), then the data in its place.
    return _compact(source.replace(DATA_MARKER, DATA_HOLDER, 1))


def _script(data: dict, tally: bool) -> str:
    return _code(tally, "days" in data).replace(DATA_HOLDER, _json_for_script(data), 1)


def _data(counter: Counter, count: Count, texts: dict[str, dict]) -> dict:
    data = {
        "slug": counter.slug,
        "lang": counter.default_lang,
        "status": count.status.value,
        "texts": texts,
        "css": asset("counter.css") + status_css(),
    }
    coming = coming_counts(counter, count, DAYS_AHEAD)
    if coming:  # an ended count never changes: nothing to choose
        data["date"], data["zone"] = count.as_of.isoformat(), counter.timezone
        data["days"] = [
            {
                "status": day.status.value,
                "texts": {lang: isolate(count_message(counter, day, lang), lang) for lang in texts},
            }
            for day in coming
        ]
        data["texts"] = {
            lang: {**words, "stale": isolate(count_as_of(counter, coming[-1], lang), lang)}
            for lang, words in texts.items()
        }
        data["css"] += asset("days.css")  # a later day's words in place of the badge
    return data


def embed_script(counter: Counter, count: Count, texts: dict[str, dict], live: str | None = None) -> str:
    """The script of `counter` that shows its count, carrying `texts` (language -> embed_texts),
    its status and our CSS, and no tally code: what most pages download. With `live` (the
    address of its tally script), a tag asking for a tally is handed over to that script."""
    data = _data(counter, count, texts)
    if live:
        data["live"] = live
    return _script(data, tally=False)


def tally_script(counter: Counter, count: Count, texts: dict[str, dict], tallies: dict[str, dict]) -> str:
    """The script of `counter` with the code that shows one of its `tallies` live (name ->
    {interval, page, api, url, texts: language -> label, action and the message of a closed
    tally}); the count as the plain script shows it when the tag names none of them."""
    data = _data(counter, count, texts)
    data["tallies"] = tallies
    data["css"] += asset("tally.css")
    return _script(data, tally=True)


@dataclass(frozen=True)
class Snippets:
    script: str
    iframe: str
    html: str
    markdown: str
    bbcode: str


@dataclass(frozen=True)
class TallyLinks:
    """A tally's snippets: its name and script, and what its images and links show."""

    name: str
    script: str
    page: str
    badge_svg: str
    badge_png: str
    sentence: str
    size: tuple[int, int]


def snippets(
    sentence: str,
    links: Links,
    lang: str,
    position: str,
    theme: str,
    size: tuple[int, int],
    tally: TallyLinks | None = None,
) -> Snippets:
    """What a blogger pastes, one per kind of platform; every value escaped for where it goes.
    With `tally`, the script and the frame show it live and the images are its badge."""
    shown = tally or links
    if tally is not None:
        sentence, size = tally.sentence, tally.size
    width, height = size
    image = (
        f'<a href="{escape(shown.page)}" data-voipdown>'
        f'<img src="{escape(shown.badge_svg)}" width="{width}" height="{height}" alt="{escape(sentence)}"></a>'
    )
    live = f' data-tally="{escape(tally.name)}"' if tally is not None else ""
    src = tally.script if tally is not None else links.script
    script = (
        f'<script async src="{escape(src)}" data-lang="{lang}" data-position="{position}"'
        f' data-theme="{theme}"{live}></script>'
    )
    if position == "inline":
        script = image + script  # the image holds the place (and is what readers without JavaScript see)
    else:
        script += f"\n<noscript>{image}</noscript>"
    markdown_text = sentence.replace("[", "(").replace("]", ")")
    return Snippets(
        script=script,
        iframe=(
            f'<iframe src="{escape(links.frame)}" title="{escape(sentence)}" width="340" height="90"'
            ' loading="lazy" style="border:0"></iframe>'
        ),
        html=image,
        markdown=f"[![{markdown_text}]({shown.badge_svg})]({shown.page})",
        bbcode=f"[url={shown.page}][img]{shown.badge_png}[/img][/url]",
    )
