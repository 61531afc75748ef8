"""Gettext catalogs: the template, each language's ``.po`` file, and what may be served.

The service reads ``.po`` files directly (no compile step). A translation is served only
when it is reviewed (not fuzzy), belongs to the current Spanish text and keeps the same
placeholders: stale information about a phone number or a programme must never reach
anyone, so in doubt the resident gets the Spanish source.
"""

from __future__ import annotations

import codecs
import copy
import io
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import PoFileError, PoFileParser, write_po

from outreach.engine.model import placeholders
from outreach.flowfile.problems import Place, Problem, Severity
from outreach.languages import SOURCE_LANGUAGE, language

from .messages import SourceMessage

DOMAIN = "flows"
TEMPLATE_NAME = f"{DOMAIN}.pot"

Key = tuple[str, str]  # (context, Spanish text)
ObsoleteKey = str | tuple[str, str]  # how Babel keys obsolete entries


def catalog_path(locales_dir: Path, code: str) -> Path:
    return locales_dir / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def _new(code: str | None) -> Catalog:
    catalog = Catalog(
        locale=code,
        domain=DOMAIN,
        project="outreach",
        version="flows",
        copyright_holder="the deploying organisation",
        msgid_bugs_address="",
        charset="utf-8",
        creation_date=datetime.now(UTC),
        fuzzy=False,
    )
    if code is not None:
        # Babel has no plural rule for cak or mam, and a wrong one for quc: use ours.
        catalog.mime_headers = [
            *catalog.mime_headers,
            ("Plural-Forms", language(code).plural_forms),
        ]
    return catalog


def build_template(messages: Iterable[SourceMessage]) -> Catalog:
    template = _new(None)
    for message in messages:
        template.add(
            message.text,
            context=message.context,
            auto_comments=[message.comment],
            locations=[(message.path, message.line)],
        )
    return template


def new_catalog(code: str, template: Catalog) -> Catalog:
    """An empty catalog for ``code``, even where CLDR has no locale for it."""
    language(code)  # refuse codes the registry does not know
    catalog = _new(code)
    catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)
    return catalog


def update_catalog(catalog: Catalog, template: Catalog) -> None:
    """Bring a catalog up to date with the template.

    A message whose Spanish changed keeps its old translation, marked fuzzy with the old
    Spanish beside it, so a translator can review it; until then it is not served. The
    match is by context (flow/node), never by resemblance to some other message.
    """
    # Babel's update may put the template's own Message objects into the catalog: work
    # on a copy, or one language's translation would leak into the next catalog updated.
    catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)
    by_context: dict[str | None, tuple[ObsoleteKey, Message]] = {}
    by_text: dict[object, tuple[ObsoleteKey, Message]] = {}
    for key, old in catalog.obsolete.items():
        if old.string:
            by_context.setdefault(old.context, (key, old))
            by_text.setdefault(old.id, (key, old))
    for message in catalog:
        if message.fuzzy and not message.string:
            # Nothing to review in an empty translation (Babel may flag it anyway).
            message.flags.discard("fuzzy")
            message.previous_id = []
        if message.id and not message.string:
            _offer_old_translation(catalog, message, by_context, by_text)
        if message.fuzzy and message.previous_id:
            was = message.previous_id[0]
            message.auto_comments = [*message.auto_comments, f"REVIEW: the Spanish was: {was}"]
        # Babel writes previous ids ("#|") in a wrapped form that msgfmt rejects, so the
        # old Spanish goes into the comment above instead.
        message.previous_id = []
    # An obsolete entry is kept for the translator's work it holds; one with none is only
    # old Spanish, and every content edit would add another to each untranslated catalog.
    for key in [key for key, old in catalog.obsolete.items() if not _translated(old)]:
        del catalog.obsolete[key]


def _translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return any(strings)


def _offer_old_translation(
    catalog: Catalog,
    message: Message,
    by_context: dict[str | None, tuple[ObsoleteKey, Message]],
    by_text: dict[object, tuple[ObsoleteKey, Message]],
) -> None:
    """Same place with new Spanish, or the same Spanish in a new place (a renamed node):
    the old translation comes back, fuzzy, for review. Whatever stays unused remains in
    the file as an obsolete (#~) entry, so no translator's work is thrown away."""
    found = by_context.get(message.context) or by_text.get(message.id)
    if found is None:
        return
    key, previous = found
    catalog.obsolete.pop(key, None)
    by_context.pop(previous.context, None)
    by_text.pop(previous.id, None)
    message.string = previous.string
    message.flags.add("fuzzy")
    message.previous_id = [previous.id] if isinstance(previous.id, str) else list(previous.id)


_DATE_HEADERS = (b'"POT-Creation-Date:', b'"PO-Revision-Date:')


def _without_dates(data: bytes) -> list[bytes]:
    return [line for line in data.splitlines() if not line.startswith(_DATE_HEADERS)]


def write_catalog(catalog: Catalog, path: Path) -> bool:
    """Write a catalog; an unchanged one is left alone, so git shows no date-only diffs.
    Returns whether the file was written."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, include_previous=False, sort_output=False)
    data = buffer.getvalue()
    if path.exists() and _without_dates(path.read_bytes()) == _without_dates(data):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


@dataclass
class LoadedCatalog:
    """One language's catalog as read, with every problem found reading it."""

    code: str
    path: Path
    catalog: Catalog | None
    problems: list[Problem] = field(default_factory=list)
    lines: dict[Key, int] = field(default_factory=dict)


class _Parser(PoFileParser):
    """Babel's parser, also noting each message's line and any duplicate definition
    (which ``msgfmt --check`` rejects and Babel silently overwrites)."""

    def __init__(self, catalog: Catalog, path: str) -> None:
        # Obsolete entries are kept (never served): `i18n update` may offer them again.
        super().__init__(catalog, ignore_obsolete=False, abort_invalid=True)
        self.path = path
        self.lines: dict[Key, int] = {}
        self.duplicates: list[Problem] = []

    def _add_message(self) -> None:
        if not self.obsolete and self.messages:
            msgid = self.messages[0].denormalize()
            context = self.context.denormalize() if self.context else ""
            line = self.offset + 1
            key = (context, msgid)
            if msgid and key in self.lines:
                self.duplicates.append(
                    Problem(
                        Place(self.path, line, 1),
                        Severity.ERROR,
                        f"duplicate message definition (first at line {self.lines[key]}); "
                        "msgfmt rejects this catalog",
                    )
                )
            self.lines.setdefault(key, line)
        super()._add_message()


_MSGFMT_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+)(?::(?P<col>\d+))?: (?P<message>.+)$")


def msgfmt_problems(path: Path) -> list[Problem]:
    """What GNU ``msgfmt --check`` rejects in a catalog, where gettext is installed.

    Babel's reader accepts some malformed entries that msgfmt (and so other tools in a
    translator's chain) refuse; this is the reference.
    """
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        return []
    try:
        run = subprocess.run(
            [msgfmt, "--check", "-o", os.devnull, str(path)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [Problem(Place(str(path), 1, 1), Severity.ERROR, f"msgfmt could not run: {exc}")]
    if run.returncode == 0:
        return []  # warnings only (such as untouched header defaults)
    problems = []
    for line in run.stderr.splitlines():
        match = _MSGFMT_LINE.match(line)
        if match and not line.startswith("msgfmt:") and " warning: " not in f" {match['message']}":
            problems.append(
                Problem(
                    Place(str(path), int(match["line"]), int(match["col"] or 1)),
                    Severity.ERROR,
                    f"msgfmt --check: {match['message']}",
                )
            )
    if run.returncode != 0 and not problems:
        problems.append(
            Problem(
                Place(str(path), 1, 1),
                Severity.ERROR,
                f"msgfmt --check rejects the catalog: {run.stderr.strip()}",
            )
        )
    return problems


def read_catalog(code: str, path: Path) -> LoadedCatalog:
    loaded = LoadedCatalog(code, path, None)
    shown = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        loaded.problems.append(
            Problem(Place(shown, 1, 1), Severity.ERROR, f"cannot read the catalog: {exc.strerror}")
        )
        return loaded
    catalog = Catalog(locale=code, domain=DOMAIN)
    parser = _Parser(catalog, shown)
    try:
        parser.parse(data.decode("utf-8").splitlines(keepends=True))
        codecs.lookup(catalog.charset)
    except LookupError as exc:
        loaded.problems.append(
            Problem(Place(shown, 1, 1), Severity.ERROR, f"invalid catalog header: {exc}")
        )
        return loaded
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        loaded.problems.append(
            Problem(Place(shown, line, 1), Severity.ERROR, "the catalog is not UTF-8 text")
        )
        return loaded
    except PoFileError as exc:
        loaded.problems.append(
            Problem(Place(shown, exc.lineno + 1, 1), Severity.ERROR, f"invalid catalog: {exc}")
        )
        return loaded
    loaded.problems += parser.duplicates
    loaded.catalog = catalog
    loaded.lines = parser.lines
    return loaded


class Refusal(Enum):
    """Why one translation is not served to residents (they get the Spanish)."""

    FUZZY = "fuzzy"  # the Spanish changed since it was translated: review it
    EMPTY = "empty"  # not translated yet
    PLACEHOLDERS = "placeholders"  # not the Spanish's {placeholders}: would break


def refusal(message: Message) -> Refusal | None:
    """THE rule of which translation reaches residents, message by message: None if it
    is served. `outreach check` explains each refusal with this; the service serves by it."""
    string = message.string if isinstance(message.string, str) else ""
    if message.fuzzy and string:
        return Refusal.FUZZY
    if not string.strip():
        return Refusal.EMPTY
    if sorted(placeholders(string)) != sorted(placeholders(str(message.id))):
        return Refusal.PLACEHOLDERS
    return None


@dataclass(frozen=True)
class Served:
    """What one catalog gives residents."""

    #: What makes the whole catalog unservable (then ``translations`` is empty).
    problems: list[Problem]
    translations: dict[Key, str]


def serve(loaded: LoadedCatalog) -> Served:
    """THE rule of what reaches residents from a catalog: nothing from an invalid one
    (what reading it found, else what GNU msgfmt rejects), else every translation that
    :func:`refusal` lets through. The service and `outreach check` both judge by it."""
    problems = loaded.problems
    if not problems and loaded.catalog is not None:
        problems = msgfmt_problems(loaded.path)
    if problems or loaded.catalog is None:
        return Served(problems, {})
    return Served(
        [],
        {
            (message.context or "", message.id): str(message.string)
            for message in loaded.catalog
            if message.id and isinstance(message.id, str) and refusal(message) is None
        },
    )


@dataclass(frozen=True)
class Coverage:
    code: str
    total: int
    translated: int
    fuzzy: int

    @property
    def share(self) -> float:
        return 1.0 if self.total == 0 else self.translated / self.total

    @property
    def percent(self) -> int:
        return int(self.share * 100)

    def offered(self, min_coverage_percent: int) -> bool:
        """Whether residents are offered the language: the source always, any other once
        its served translations cover the minimum share."""
        return self.code == SOURCE_LANGUAGE or self.percent >= min_coverage_percent


def coverage(
    code: str,
    served: dict[Key, str],
    loaded: LoadedCatalog | None,
    messages: Sequence[SourceMessage],
) -> Coverage:
    # Names only staff read do not decide whether residents are offered a language.
    keys = {(m.context, m.text) for m in messages if not m.for_staff}
    fuzzy = 0
    if loaded and loaded.catalog is not None:
        fuzzy = sum(
            1 for m in loaded.catalog if m.fuzzy and m.id and (m.context or "", m.id) in keys
        )
    if code == SOURCE_LANGUAGE:
        return Coverage(code, len(keys), len(keys), 0)
    return Coverage(code, len(keys), len(keys & served.keys()), fuzzy)
