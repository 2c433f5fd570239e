"""The languages the service can speak: one per gettext catalog, with the CLDR locale that
formats it.

The shipped catalogs are in the package (`voipdown/locales`); an operator adds a language,
or replaces a shipped catalog, with `VOIPDOWN_CATALOGS`: a folder of
`<code>/LC_MESSAGES/voipdown.po`. Direction, plural rules, digits and the language's own name
all come from CLDR for the code, so a new language is a catalog and nothing else. Which of
these languages a site offers is the timeline's choice (`[site] languages`).

The set of catalogs is process-wide, like the font: `use_catalogs` sets it once at start.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from babel import Locale, UnknownLocaleError

CATALOG = Path("LC_MESSAGES") / "voipdown.po"
"""Where a language's catalog lies in its folder, as gettext tools write it."""

SHIPPED_LOCALES = {"fr": "fr", "ar": "ar_MA", "zgh": "zgh", "en": "en"}
"""The shipped catalogs, in the order a site without `[site] languages` offers them, and the
CLDR locale each writes with unless a counter says otherwise (`locale = { ar = "ar_DZ" }`).
Arabic and French follow Moroccan conventions, the bundled campaign's: ar_MA writes Latin
digits and Moroccan month names such as "نونبر"."""

SHIPPED = tuple(SHIPPED_LOCALES)

DEFAULT_LANGUAGE = "fr"
"""The language a text falls back to before the English source (the shipped catalogs'
most complete after English)."""


@dataclass(frozen=True)
class Language:
    code: str
    """The code used in URLs (`?lang=`), the timeline file and the catalogs' folders."""
    locale: Locale
    """The CLDR locale for plurals, numbers and dates."""
    catalog: Traversable
    """Its gettext catalog."""

    @property
    def direction(self) -> str:
        """`rtl` or `ltr`, from CLDR's character order."""
        return "rtl" if self.locale.character_order == "right-to-left" else "ltr"

    @property
    def rtl(self) -> bool:
        return self.direction == "rtl"

    @property
    def autonym(self) -> str:
        """The language's name in itself, for language switchers."""
        return self.locale.language_name


class CatalogFolderError(ValueError):
    """A VOIPDOWN_CATALOGS folder the service cannot use; the message says why."""


@lru_cache(maxsize=256)
def parse_locale(name: str) -> Locale:
    """The CLDR locale called `name` ("ar_DZ", "ar-DZ", "es"); ValueError if CLDR has none."""
    try:
        return Locale.parse(name.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        raise ValueError(f"CLDR has no locale {name!r}") from None


def _shipped() -> dict[str, Language]:
    folder = resources.files("voipdown") / "locales"
    return {
        code: Language(code, Locale.parse(locale), folder / code / str(CATALOG))
        for code, locale in SHIPPED_LOCALES.items()
    }


def _added(folder: Path) -> dict[str, Language]:
    """The catalogs of an operator's folder, each named by its language code."""
    if not folder.is_dir():
        raise CatalogFolderError(f"{folder} is not a folder of <language>/{CATALOG}")
    added = {}
    for path in sorted(folder.iterdir()):
        if not (path / CATALOG).is_file():
            continue
        try:
            locale = parse_locale(SHIPPED_LOCALES.get(path.name, path.name))
        except ValueError as error:
            raise CatalogFolderError(f"{path}: the folder's name must be a language code; {error}") from None
        added[path.name] = Language(path.name, locale, path / CATALOG)
    if not added:
        raise CatalogFolderError(f"{folder} holds no <language>/{CATALOG}")
    return added


_languages: dict[str, Language] = _shipped()


def use_catalogs(folder: Path | None) -> None:
    """Speak the shipped languages and those of `folder` (which may replace a shipped one)."""
    global _languages
    _languages = {**_shipped(), **(_added(folder) if folder is not None else {})}


def available() -> tuple[str, ...]:
    """Every language a catalog speaks: the shipped ones first, in their order."""
    return tuple(_languages)


def language(code: str) -> Language:
    """The language `code`; KeyError if no catalog speaks it."""
    return _languages[code]


def locale_of(code: str, override: str | None = None) -> Locale:
    """The locale that writes `code`'s numbers and dates: `override` (a counter's `locale`),
    else the language's own."""
    return parse_locale(override) if override else _languages[code].locale


def is_rtl(lang: str) -> bool:
    """Whether `lang` is written right to left (Arabic)."""
    return _languages[lang].rtl
