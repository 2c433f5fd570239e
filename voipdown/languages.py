"""The languages the service speaks, and the CLDR locale that formats each of them.

One table, so that adding a language is one line here plus one catalog.
"""

from __future__ import annotations

from dataclasses import dataclass

from babel import Locale


@dataclass(frozen=True)
class Language:
    code: str
    """The code used in URLs (`?lang=`), the timeline file and the catalogs."""
    locale: Locale
    """The CLDR locale for plurals, numbers and dates."""

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


def _language(code: str, locale: str) -> Language:
    return Language(code=code, locale=Locale.parse(locale))


# Arabic and French follow Moroccan conventions where CLDR has them (ar_MA writes
# Latin digits and Moroccan month names such as "نونبر"); zgh is Morocco's own.
LANGUAGES: dict[str, Language] = {
    language.code: language
    for language in (
        _language("fr", "fr"),
        _language("ar", "ar_MA"),
        _language("zgh", "zgh"),
        _language("en", "en"),
    )
}

DEFAULT_LANGUAGE = "fr"
SUPPORTED = tuple(LANGUAGES)


def is_rtl(lang: str) -> bool:
    """Whether `lang` is written right to left (Arabic)."""
    return LANGUAGES[lang].rtl
