"""Find the line of a key in a TOML file, so that a validation error can point at it.

`tomllib` returns plain dicts with no positions. A maintainer fixing a 1,000-line
timeline wants "line 412", so this reads the text once more and maps each table
header and `key =` line to its path. It is a best effort: when a key is not found
(a missing field, say), the line of the nearest enclosing table is given instead.
"""

from __future__ import annotations

import re

Path = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[|\[)\s*(?P<name>[^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(
    r"""^\s*(?P<key>(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)
_DOTTED_PART = re.compile(r"""\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*(?:\.|$)""")


def _split_dotted(name: str) -> tuple[str, ...]:
    return tuple(part.strip("\"'") for part in _DOTTED_PART.findall(name))


class LineIndex:
    """Maps paths such as ``("counters", "voip-ma", "events", 3, "date")`` to 1-based lines."""

    def __init__(self, text: str) -> None:
        self._lines: dict[Path, int] = {}
        array_counts: dict[Path, int] = {}
        table: Path = ()
        in_multiline: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if in_multiline:
                if line.count(in_multiline) % 2 == 1:
                    in_multiline = None
                continue
            header = _HEADER.match(line)
            if header:
                table = self._resolve(_split_dotted(header.group("name")), array_counts)
                if header.group(1) == "[[":
                    index = array_counts.get(table, 0)
                    array_counts[table] = index + 1
                    table = table + (index,)
                self._lines.setdefault(table, number)
                continue
            key = _KEY.match(line)
            if key:
                self._lines.setdefault(table + _split_dotted(key.group("key")), number)
            for quote in ('"""', "'''"):
                if line.count(quote) % 2 == 1:
                    in_multiline = quote
                    break

    @staticmethod
    def _resolve(name: tuple[str, ...], array_counts: dict[Path, int]) -> Path:
        """Insert the current index after each array of tables the name passes through:
        after ``[[counters.x.events]]``, ``[counters.x.events.title]`` is events[last].title."""
        path: Path = ()
        for position, part in enumerate(name, start=1):
            path = path + (part,)
            if path in array_counts and position < len(name):
                path = path + (array_counts[path] - 1,)
        return path

    def line_of(self, path: Path) -> int | None:
        """The line of `path`, else of its longest known prefix, else None."""
        for end in range(len(path), 0, -1):
            line = self._lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None
