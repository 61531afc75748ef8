"""The staff interface's own words, in Spanish and English, with Babel.

The strings are in English in the code and templates (``_("...")``); the Spanish is in
``outreach/translations/es/LC_MESSAGES/dashboard.po``, read as it is, with no compile
step, like the flows' catalogs. ``make ui-messages`` extracts and updates it. Which
language a page is in: the one the staff member chose (``?ui=es``), else the browser's
preference, else Spanish, the language of the teams this is built for.
"""

from __future__ import annotations

import functools
import io
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.core import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from flask import Flask, current_app, g, request, session
from markupsafe import Markup

#: The interface languages, with the locale used for numbers and dates.
UI_LANGUAGES = {"es": "es_GT", "en": "en"}
DEFAULT_UI_LANGUAGE = "es"
CATALOGS = Path(__file__).resolve().parent.parent / "translations"
DOMAIN = "dashboard"


@functools.cache
def _translations(language: str, mtime: float) -> NullTranslations:
    """The catalog of ``language``, compiled in memory; ``mtime`` makes an edited
    catalog load again."""
    path = CATALOGS / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = io.BytesIO()
    # Fuzzy entries are guesses awaiting review: the English is shown instead.
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def translations(language: str) -> NullTranslations:
    path = CATALOGS / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    return _translations(language, path.stat().st_mtime if path.exists() else 0.0)


def current_language() -> str:
    return str(getattr(g, "ui_language", DEFAULT_UI_LANGUAGE))


def gettext(message: str, **values: Any) -> str:
    text = translations(current_language()).ugettext(message)
    return text % values if values else text


def pgettext(context: str, message: str, **values: Any) -> str:
    """``message`` as it reads in ``context``: one English word, two Spanish ones
    ("sent": an alert "enviada", messages "enviados")."""
    text = translations(current_language()).upgettext(context, message)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
    text = translations(current_language()).ungettext(singular, plural, n)
    return text % ({"num": n} | values)


def number(value: int | float) -> str:
    """A number written the way the page's language writes it (1,234 or 1 234...)."""
    return format_decimal(value, locale=Locale.parse(UI_LANGUAGES[current_language()]))


def zone() -> ZoneInfo:
    """The deployment's time zone (OUTREACH_TIME_ZONE)."""
    return ZoneInfo(str(current_app.config["TIME_ZONE"]))


def zone_name() -> str:
    """The zone as staff say it: "hora de Guatemala", "Guatemala time"; plain "UTC"."""
    key = zone().key
    if key in ("UTC", "Etc/UTC", "Etc/GMT", "GMT"):
        return "UTC"
    # The IANA name's last part is the place (America/El_Salvador: El Salvador). Babel's
    # own zone names are no use here: CLDR calls Guatemala's "hora de verano" in Spanish,
    # and Guatemala has no summer time.
    return gettext("%(place)s time", place=key.rsplit("/", 1)[-1].replace("_", " "))


def moment(value: str | datetime, seconds: bool = False) -> Markup:
    """A stored time (UTC, ISO) as the deployment's clock shows it, with its zone:
    "2026-12-04 08:05 hora de Guatemala". Staff read the audit log and alerts against
    their own clock; an unlabelled UTC time is six hours off in Guatemala."""
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)  # every stored time is UTC
    local = at.astimezone(zone())
    shown = local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return Markup('<time datetime="{}">{} <span class="zone">{}</span></time>').format(
        at.astimezone(UTC).isoformat(timespec="seconds"), shown, zone_name()
    )


def utc_midnight() -> str:
    """Midnight UTC on the deployment's clock ("18:00"), where the metrics' days begin."""
    today = datetime.now(UTC).date()
    start = datetime.combine(today, time(0), UTC).astimezone(zone())
    return start.strftime("%H:%M")


def choose_language() -> None:
    """Before each request: the staff member's choice, kept in their session."""
    asked = request.args.get("ui")
    if asked in UI_LANGUAGES:
        session["ui"] = asked
    chosen = session.get("ui") or request.accept_languages.best_match(list(UI_LANGUAGES))
    g.ui_language = chosen if chosen in UI_LANGUAGES else DEFAULT_UI_LANGUAGE


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=True
    )
    app.jinja_env.globals.update(
        ui_language=current_language,
        number=number,
        moment=moment,
        zone_name=zone_name,
        utc_midnight=utc_midnight,
    )
