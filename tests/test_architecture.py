"""The house's rules, read off the source: which module may import which.

Data flows one way (timeline -> count -> words -> picture -> response): the drawing layer
draws the strings, numbers and instants it is given; the tally package knows no Flask;
blueprints share code through non-blueprint modules, never through each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "voipdown"


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports (absolute names; relative imports are not used here)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def reaches(names: set[str], forbidden: str) -> bool:
    return any(name == forbidden or name.startswith(forbidden + ".") for name in names)


@pytest.mark.parametrize("path", modules("render"), ids=lambda path: path.name)
def test_the_drawing_layer_knows_no_words_no_timeline_and_no_tallies(path):
    names = imports_of(path)
    for forbidden in ("voipdown.texts", "voipdown.timeline", "voipdown.zones", "voipdown.tallies", "voipdown.counting"):
        assert not reaches(names, forbidden), (path.name, forbidden)


@pytest.mark.parametrize("path", modules("tallies"), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_the_tally_package_knows_no_flask_and_no_web_layer(path):
    names = imports_of(path)
    for forbidden in ("flask", "werkzeug", "voipdown.web", "voipdown.render"):
        assert not reaches(names, forbidden), (path.name, forbidden)


def test_no_tally_module_is_left_outside_its_package():
    assert sorted(path.name for path in PACKAGE.glob("tally*.py")) == []
    assert (PACKAGE / "tallies" / "store" / "protocol.py").exists()


def test_blueprints_never_import_each_other():
    blueprints = {
        f"voipdown.web.{path.stem}" for path in modules("web") if "Blueprint(" in path.read_text(encoding="utf-8")
    }
    assert {"voipdown.web.tallies", "voipdown.web.badges", "voipdown.web.charts", "voipdown.web.site"} <= blueprints
    for name in blueprints:
        others = blueprints - {name}
        names = imports_of(PACKAGE / "web" / f"{name.rsplit('.', 1)[1]}.py")
        assert not [other for other in others if reaches(names, other)], name


def test_the_core_takes_its_colours_from_the_core_palette():
    for core in ("summary.py", "badge_content.py", "chart_content.py"):
        names = imports_of(PACKAGE / core)
        assert not any("PALETTE" in name or "STATUS_COLORS" in name for name in names if "render" in name), core
