"""The public query parameters: one table, from which everything else is derived.

Validation (`voipdown/web/resolver.py`), the replay key (`voipdown/web/replay.py`), the
parameters a redirect keeps and the OpenAPI document all read this table; a test fails
if a route reads a parameter it does not list. Adding a parameter is one entry here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from voipdown.embed_code import POSITIONS, THEMES
from voipdown.palette import PALETTE
from voipdown.render.chart_layout import DEFAULT_SIZE, SIZES
from voipdown.render.png import MAX_SCALE
from voipdown.render.styles import STYLES
from voipdown.timeline import Timeline

COUNTER_JSON = ("api.show_counter", "api.shields", "tallies.list_tallies", "tallies.show_tally", "tallies.shields")
COUNTER_PAGES = (
    "site.home",
    "site.counter_page",
    "site.tally_page",
    "site.share_image",
    "site.default_feed",
    "site.counter_feed",
)


INSTANT = {"type": "string", "format": "date-time"}
WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
"""A free-form whole number as a parameter writes it: ASCII digits only, at most nine."""


@dataclass(frozen=True)
class Parameter:
    name: str
    routes: tuple[str, ...]
    """The endpoints that read it."""
    allowed: tuple[str, ...] | Callable[[Timeline], tuple[str, ...]]
    """Its values, or a function of the timeline giving them (a counter's slug)."""
    default: str
    """What it means when absent or empty, in words (for the OpenAPI document)."""
    description: str
    formats: tuple[str, ...] | None = None
    """For the badge route: the image formats that read it (None: every format)."""
    names_counter: bool = False
    """Its value is a counter's slug: unknown is a 404, an alias a 301, as in a path."""
    free_form: bool = False
    """Not one of a few values (a date, a range): the routes that take it are never replayed,
    since the replay key could not be bounded."""
    schema: dict | None = None
    """A free-form parameter's JSON schema, for the OpenAPI document (its route checks it)."""
    in_path: bool | None = None
    """Written in an address's path form (voipdown/web/path_forms.py); by default, when it
    is one of a few values. A free-form one there is a whole number (a page's)."""

    def __post_init__(self):
        if self.in_path is None:
            object.__setattr__(self, "in_path", not self.free_form)

    def values(self, timeline: Timeline) -> tuple[str, ...] | None:
        """The allowed values; None for a free-form parameter (its route checks it)."""
        if self.free_form:
            return None
        return self.allowed(timeline) if callable(self.allowed) else self.allowed

    def read_by(self, endpoint: str, fmt: str | None = None) -> bool:
        return endpoint in self.routes and (self.formats is None or fmt is None or fmt in self.formats)


PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        "counter",
        ("embed.builder",),
        lambda timeline: tuple(timeline.counters),
        "the default counter",
        "The counter to build a snippet for (an old alias is answered with a 301).",
        names_counter=True,
    ),
    Parameter(
        "lang",
        (
            "api.list_counters",
            *COUNTER_JSON,
            "badges.badge",
            "charts.chart",
            "embed.frame",
            "embed.builder",
            "embed.script",
            "embed.tally_script",
            "tallies.push_samples",  # the tally in its answer
            *COUNTER_PAGES,
        ),
        lambda timeline: timeline.site.languages,
        "the best of Accept-Language among the site's languages, else the counter's own language"
        " (a script: every language, the reader's page choosing)",
        "Language of the texts.",
    ),
    Parameter(
        "snippet_lang",
        ("embed.builder",),
        lambda timeline: timeline.site.languages,
        "the builder's own language (lang)",
        "Language of the snippet: what the counter says on the blogger's site.",
    ),
    Parameter("style", ("badges.badge",), tuple(STYLES), "flat", "Badge style."),
    Parameter(
        "color",
        ("badges.badge",),
        tuple(PALETTE),
        "the colour of the counter's status",
        "Badge colour, from a palette.",
    ),
    Parameter(
        "size",
        ("charts.chart",),
        tuple(SIZES),
        DEFAULT_SIZE,
        "A sparkline (small) for footers and READMEs, or a chart with dates and events (large).",
    ),
    Parameter(
        "scale",
        ("badges.badge", "charts.chart"),
        tuple(str(n) for n in range(1, MAX_SCALE + 1)),
        "2",
        "Pixels per CSS pixel of a PNG badge or chart.",
        formats=("png",),
    ),
    Parameter("position", ("embed.builder",), POSITIONS, "inline", "Where the embed shows the counter."),
    Parameter(
        "tally",
        ("embed.frame", "embed.builder"),
        lambda timeline: tuple(sorted({name for counter in timeline.counters.values() for name in counter.tallies})),
        "the count itself",
        "A tally to show live instead of the count (one of the chosen counter's; another's: the count).",
    ),
    Parameter("theme", ("embed.frame", "embed.builder"), THEMES, "auto", "Colours: the reader's, light or dark."),
    Parameter(
        "since",
        ("tallies.samples", "tallies.samples_csv"),
        (),
        "the first sample",
        "Samples at or after this instant (RFC 3339 with its offset).",
        free_form=True,
        schema=INSTANT,
    ),
    Parameter(
        "until",
        ("tallies.samples", "tallies.samples_csv"),
        (),
        "the last sample",
        "Samples at or before this instant (RFC 3339 with its offset).",
        free_form=True,
        schema=INSTANT,
    ),
    Parameter(
        "points",
        ("tallies.samples",),
        (),
        "500",
        "At most this many samples (1 to 2,000): real ones, the lowest and highest of each stretch.",
        free_form=True,
        schema={"type": "integer", "minimum": 1, "maximum": 2_000},
    ),
    Parameter(
        "page",
        ("site.tally_page",),
        (),
        "1 (the newest samples)",
        "Which page of the samples' table, from 1 (newest first; past the last page: a 400).",
        free_form=True,
        schema={"type": "integer", "minimum": 1},
        in_path=True,
    ),
    Parameter(
        "at",
        ("tallies.delete_sample",),
        (),
        "required",
        "The instant of the sample to remove, RFC 3339 with its offset (checked by the route).",
        free_form=True,
        schema=INSTANT,
    ),
)
BY_NAME = {parameter.name: parameter for parameter in PARAMETERS}


def parameters_of(endpoint: str, fmt: str | None = None) -> tuple[Parameter, ...]:
    """The parameters `endpoint` reads, in the table's order (the order they are checked in)."""
    return tuple(parameter for parameter in PARAMETERS if parameter.read_by(endpoint, fmt))


def replayed(endpoint: str) -> bool:
    """Whether answers of `endpoint` may be replayed: none of its parameters is free-form."""
    return not any(parameter.free_form for parameter in parameters_of(endpoint))


REPLAY_KEY = tuple(parameter.name for parameter in PARAMETERS if not parameter.free_form)
"""The parameters that key a replayed answer: every one a replayed route may read."""
