"""The languages outreach knows, including those CLDR does not.

Babel's CLDR data knows K'iche' and Q'eqchi' but not Kaqchikel or Mam
(``Locale.parse('cak')`` raises), and it silently gives K'iche' the English plural rule.
So each language carries what the service needs of it here: the name residents know it
by, the locale whose date and number formats it borrows, and its gettext plural header.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The flows are written in Spanish; every other language is a translation of it.
SOURCE_LANGUAGE = "es"

#: Flows avoid wording that depends on a number, so one form is enough where no
#: qualified source gives the language's plural rules.
ONE_FORM = "nplurals=1; plural=0;"
TWO_FORMS = "nplurals=2; plural=(n != 1);"


@dataclass(frozen=True)
class LanguageInfo:
    code: str  # ISO 639-1 where it exists, else ISO 639-3
    endonym: str  # the name in the language itself, as residents know it
    english_name: str
    #: A CLDR locale for dates and numbers (Guatemalan Spanish for the Mayan languages).
    locale: str
    plural_forms: str
    #: True when Babel's CLDR data has a locale of this code.
    in_cldr: bool


LANGUAGES: dict[str, LanguageInfo] = {
    info.code: info
    for info in (
        LanguageInfo("es", "Español", "Spanish", "es_GT", TWO_FORMS, True),
        LanguageInfo("en", "English", "English", "en", TWO_FORMS, True),
        LanguageInfo("quc", "K'iche'", "K'iche'", "es_GT", ONE_FORM, True),
        LanguageInfo("kek", "Q'eqchi'", "Q'eqchi'", "es_GT", ONE_FORM, True),
        LanguageInfo("cak", "Kaqchikel", "Kaqchikel", "es_GT", ONE_FORM, False),
        LanguageInfo("mam", "Mam", "Mam", "es_GT", ONE_FORM, False),
    )
}


class UnknownLanguage(KeyError):
    """A language code the registry does not know."""


def language(code: str) -> LanguageInfo:
    try:
        return LANGUAGES[code]
    except KeyError:
        known = ", ".join(LANGUAGES)
        raise UnknownLanguage(
            f"unknown language {code!r} (known: {known}); add it to outreach/languages.py"
        ) from None
