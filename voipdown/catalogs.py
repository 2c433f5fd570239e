"""Is a catalog complete? What `voipdown check` says of every language the service speaks:
each message of the template translated, with no placeholder its source lacks, and each
plural message with exactly the CLDR plural categories of the language."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from babel.messages.pofile import read_po

from voipdown.languages import available, language
from voipdown.texts import PLACEHOLDER, catalog


@dataclass(frozen=True)
class CatalogProblem:
    """One thing wrong with a catalog, where a translator finds it."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


@lru_cache(maxsize=1)
def template() -> dict[str, bool]:
    """The shipped template's msgids, each with whether it is a plural message (msgctxt)."""
    with (resources.files("voipdown") / "locales" / "voipdown.pot").open("rb") as pot:
        return {message.id: bool(message.context) for message in read_po(pot) if message.id}


def categories(lang: str) -> set[str]:
    """CLDR's plural categories of `lang` ("other" is always one)."""
    return set(language(lang).locale.plural_form.tags) | {"other"}


def catalog_problems(lang: str) -> list[CatalogProblem]:
    """Every problem of `lang`'s catalog, against the template."""
    path = str(language(lang).catalog)
    try:
        entries = catalog(lang)
    except (OSError, ValueError, SyntaxError) as error:
        return [CatalogProblem(path, None, f"cannot be read: {error}")]
    messages = template()
    wanted = categories(lang)
    problems = []
    found: dict[str, set[str | None]] = {}
    for entry in entries:
        if not entry.id:
            continue
        found.setdefault(entry.id, set()).add(entry.context)
        if entry.id not in messages:
            problems.append(CatalogProblem(path, entry.lineno, f"{entry.id!r} is not a message of voipdown.pot"))
            continue
        if not entry.string:
            problems.append(CatalogProblem(path, entry.lineno, f"{entry.id!r} is not translated"))
        extra = set(PLACEHOLDER.findall(entry.string or "")) - set(PLACEHOLDER.findall(entry.id))
        if extra:
            names = ", ".join("{" + name + "}" for name in sorted(extra))
            problems.append(CatalogProblem(path, entry.lineno, f"{entry.id!r}: {names} is not in the source"))
        if messages[entry.id] and entry.context not in wanted:
            problems.append(
                CatalogProblem(
                    path,
                    entry.lineno,
                    f"{entry.id!r}: msgctxt {entry.context!r} is not a CLDR plural category of {lang} "
                    f"({', '.join(sorted(wanted))})",
                )
            )
    for msgid, plural in messages.items():
        have = found.get(msgid, set())
        if not have:
            problems.append(CatalogProblem(path, None, f"{msgid!r} is missing"))
        elif plural and wanted - have:
            missing = ", ".join(sorted(wanted - have))
            problems.append(CatalogProblem(path, None, f"{msgid!r}: no form for the plural category {missing}"))
    return problems


def every_catalog_problem() -> dict[str, list[CatalogProblem]]:
    """The problems of every language spoken (shipped, and VOIPDOWN_CATALOGS')."""
    return {lang: catalog_problems(lang) for lang in available()}
