"""The documents say what the code does: README's command table is the CLI's, /healthz's
table is its fields', and no document speaks of the project's issues."""

import re
from pathlib import Path

import click

from voipdown.cli import cli
from voipdown.web.health_fields import HEALTH_FIELDS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "voipdown") -> dict[str, click.Command]:
    found = {}
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found.update(_commands(command, f"{prefix} {name}"))
        else:
            found[f"{prefix} {name}"] = command
    return found


def test_the_readme_command_table_lists_every_command_with_its_options():
    rows = {match[1]: match[0] for match in re.finditer(r"^\| `(voipdown [^`]*)` \|", README, re.M)}
    listed = {
        " ".join(word for word in row.split() if re.fullmatch(r"[a-z-]+", word) and not word.startswith("--")): row
        for row in rows
    }
    for name, command in _commands(cli).items():
        row = next((row for words, row in listed.items() if words == name or words.startswith(name + " ")), None)
        assert row is not None, f"README's command table has no row for {name}"
        options = {
            opt
            for param in command.params
            if isinstance(param, click.Option)
            for opt in param.opts
            if opt.startswith("--")
        }
        written = set(re.findall(r"--[a-z-]+", row))
        assert options - {"--help"} <= written, f"{name}: README does not say {options - written - {'--help'}}"
        assert written <= options, f"{name}: README writes {written - options}, which the command does not take"
    assert "voipdown backup DIR" in rows and "voipdown build OUT" in " ".join(rows)


def test_the_health_table_in_deploy_md_is_the_fields_table():
    deploy = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    for field in HEALTH_FIELDS:
        row = re.search(rf"^\| `{field.name}` \| (always|when it applies) \| [^|]+ \| (.+) \|$", deploy, re.M)
        assert row, f"docs/deploy.md's /healthz table has no row for {field.name}"
        assert row[1] == ("always" if field.always else "when it applies") and row[2] == field.meaning, field.name
    rows = re.findall(r"^\| `([a-z_]+)` \| (?:always|when it applies) \|", deploy, re.M)
    assert rows == [field.name for field in HEALTH_FIELDS]
    assert "docs/deploy.md#health" in README


def test_no_document_speaks_of_the_projects_issues_or_of_work_in_progress():
    documents = [
        ROOT / "README.md",
        *sorted((ROOT / "docs").rglob("*.md")),
        *sorted((ROOT / "docs" / "deploy").iterdir()),
    ]
    for path in documents:
        text = path.read_text(encoding="utf-8") if path.suffix not in (".png",) else ""
        for line in text.splitlines():
            assert not re.search(r"\bissue \d+\b|\(issue|built so far|come next", line, re.I), f"{path.name}: {line}"
