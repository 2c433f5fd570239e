"""The Unicode bidirectional algorithm: which parts of a line run right to left, in what order.

HarfBuzz shapes one run in one direction. A line such as "رُفع بعد 304 أيام" holds an
Arabic run and a number that reads left to right; shaped as one right-to-left buffer
the digits would come out reversed ("403"). So the line is first split into runs of one
embedding level (python-bidi's implementation of UAX #9, rules X1-I2), and the runs are
put in visual order (rule L2); each run is then shaped on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from unicodedata import bidirectional

from bidi import algorithm as uba

_RTL_CLASSES = frozenset({"R", "AL", "AN", "RLE", "RLO", "RLI"})


@dataclass(frozen=True)
class Run:
    text: str
    rtl: bool


def _levels(text: str, rtl: bool) -> list[int]:
    if not rtl and not any(bidirectional(char) in _RTL_CLASSES for char in text):
        return [0] * len(text)  # the common case: nothing to resolve
    storage = uba.get_empty_storage()
    storage["base_level"] = 1 if rtl else 0
    storage["base_dir"] = "R" if rtl else "L"
    uba.get_embedding_levels(text, storage)
    uba.explicit_embed_and_overrides(storage)
    uba.resolve_weak_types(storage)
    uba.resolve_neutral_types(storage, False)
    uba.resolve_implicit_levels(storage, False)
    resolved = iter(char["level"] for char in storage["chars"])
    # Rule X9 removed formatting characters (joiners, embeddings): they take their neighbour's level.
    levels = []
    for char in text:
        previous = levels[-1] if levels else storage["base_level"]
        levels.append(previous if bidirectional(char) in uba.X9_REMOVED else next(resolved))
    return levels


def visual_runs(text: str, rtl: bool) -> list[Run]:
    """The runs of `text`, a paragraph whose base direction is `rtl`, left to right as displayed."""
    if not text:
        return []
    levels = _levels(text, rtl)
    runs: list[tuple[int, int, int]] = []  # (start, end, level) in logical order
    start = 0
    for index in range(1, len(text) + 1):
        if index == len(text) or levels[index] != levels[start]:
            runs.append((start, index, levels[start]))
            start = index
    # L2: from the highest level down to the lowest odd one, reverse every sequence at or above it.
    highest = max(level for _, _, level in runs)
    lowest_odd = min((level for _, _, level in runs if level % 2), default=highest + 1)
    for level in range(highest, lowest_odd - 1, -1):
        index = 0
        while index < len(runs):
            if runs[index][2] >= level:
                end = index
                while end < len(runs) and runs[end][2] >= level:
                    end += 1
                runs[index:end] = reversed(runs[index:end])
                index = end
            else:
                index += 1
    return [Run(text[start:end], bool(level % 2)) for start, end, level in runs]
