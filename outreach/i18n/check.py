"""What `outreach check` says about translations, per language, each with its place."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from outreach.engine import answer_words
from outreach.engine.matching import normalize
from outreach.engine.model import Command, FlowSet, menu_options, placeholders
from outreach.flowfile.problems import Place, Problem, Severity
from outreach.languages import SOURCE_LANGUAGE, UnknownLanguage, language

from .catalogs import catalog_path, msgfmt_problems, read_catalog, served_translations
from .messages import SourceMessage, option_context, split_keywords


def msgctxt_lines(path: Path) -> dict[str, int]:
    """The line of each entry's msgctxt: contexts name one message each, so this is where
    a problem with that message is shown."""
    return {
        line[len('msgctxt "') : -1]: number
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if line.startswith('msgctxt "') and line.endswith('"')
    }


def check_translations(
    flows: FlowSet,
    messages: Sequence[SourceMessage],
    locales_dir: Path,
    min_coverage_percent: int,
    *,
    list_missing: bool = False,
) -> list[Problem]:
    problems: list[Problem] = []
    if shutil.which("msgfmt") is None:
        problems.append(
            Problem(
                Place(str(locales_dir), 1, 1),
                Severity.WARNING,
                "GNU gettext's msgfmt is not installed: catalogs were checked "
                "with Babel's parser only (apt-get install gettext)",
            )
        )
    source = {(m.context, m.text) for m in messages}
    for lang in flows.deployment.languages:
        if lang.code == SOURCE_LANGUAGE:
            continue
        try:
            language(lang.code)
        except UnknownLanguage as exc:
            problems.append(Problem(Place(str(locales_dir), 1, 1), Severity.ERROR, exc.args[0]))
            continue
        path = catalog_path(locales_dir, lang.code)
        shown = str(path)
        if not path.exists():
            problems.append(
                Problem(
                    Place(shown, 1, 1),
                    Severity.WARNING,
                    f"{lang.code}: no catalog yet; residents get Spanish "
                    f"(create it with: outreach i18n update)",
                )
            )
            continue
        loaded = read_catalog(lang.code, path)
        problems += loaded.problems or msgfmt_problems(path)
        if loaded.catalog is None:
            continue
        # Point at the entry's msgctxt line: contexts name one message each.
        context_lines = msgctxt_lines(path)
        translated = 0
        in_catalog: set[tuple[str, str]] = set()
        for message in loaded.catalog:
            if not message.id or not isinstance(message.id, str):
                continue
            key = (message.context or "", message.id)
            in_catalog.add(key)
            line = context_lines.get(message.context or "", loaded.lines.get(key, 1))
            place = Place(shown, line, 1)
            string = message.string if isinstance(message.string, str) else ""
            if key not in source:
                continue  # an old message: `outreach i18n update` makes it obsolete
            if message.fuzzy and string:
                problems.append(
                    Problem(
                        place,
                        Severity.WARNING,
                        f"{lang.code}: fuzzy, not served: the Spanish of "
                        f"{message.context} changed; review the translation",
                    )
                )
                continue
            if not string.strip():
                if list_missing:
                    problems.append(
                        Problem(
                            place,
                            Severity.WARNING,
                            f"{lang.code}: {message.context} is not translated",
                        )
                    )
                continue
            want, got = sorted(placeholders(message.id)), sorted(placeholders(string))
            if want != got:
                missing = [f"{{{n}}}" for n in want if n not in got]
                added = [f"{{{n}}}" for n in got if n not in want]
                what = "; ".join(
                    part
                    for part in (
                        f"missing {', '.join(missing)}" if missing else "",
                        f"added {', '.join(added)}" if added else "",
                    )
                    if part
                )
                problems.append(
                    Problem(
                        place,
                        Severity.ERROR,
                        f"{lang.code}: placeholders differ from the Spanish "
                        f"({what}); this translation is not served",
                    )
                )
                continue
            translated += 1
        absent = len(source - in_catalog)
        percent = int(100 * translated / len(source)) if source else 100
        offered = (
            "offered to residents"
            if percent >= min_coverage_percent
            else (f"not offered to residents (needs {min_coverage_percent}%)")
        )
        summary = (
            f"{lang.code}: {translated} of {len(source)} messages translated "
            f"({percent}%), {offered}"
        )
        if absent:
            summary += f"; {absent} not in the catalog yet (run: outreach i18n update)"
        severity = Severity.WARNING if percent < 100 or absent else None
        if severity is not None:
            problems.append(Problem(Place(shown, 1, 1), severity, summary))
    return problems


def check_keyword_clashes(flows: FlowSet, locales_dir: Path, codes: Sequence[str]) -> list[Problem]:
    """Translated words must not make one word mean two things.

    Global commands work in every offered language, so a translated command word that is
    also an answer anywhere (an option, yes or no, a list value), in Spanish or in any
    translation, would act as the command for everyone: an English "no" under STOP would
    opt out a Spanish speaker answering a yes/no menu. (The engine never uses such a
    word; this says where it is.)
    """
    catalogs: dict[str, tuple[Path, dict[tuple[str, str], str], dict[str, int]]] = {}
    for code in codes:
        path = catalog_path(locales_dir, code)
        if code == SOURCE_LANGUAGE or not path.exists():
            continue
        loaded = read_catalog(code, path)
        if loaded.catalog is None or loaded.problems:
            continue
        lines = msgctxt_lines(path)
        catalogs[code] = (path, served_translations(loaded), lines)

    def translated_words(
        served: dict[tuple[str, str], str], context: str, source: str
    ) -> list[str]:
        text = served.get((context, source))
        return split_keywords(text) if text else []

    deployment = flows.deployment
    commands: dict[str, str] = {}
    for command in Command:
        for word in deployment.commands[command]:
            commands.setdefault(normalize(word), f"'{command.value}' (Spanish)")
    answers: dict[str, str] = {}
    for word in answer_words(flows):
        answers.setdefault(word, "an answer in the flows")
    for code, (_path, served, _lines) in catalogs.items():
        for command in Command:
            source = ", ".join(deployment.commands[command])
            for word in translated_words(served, f"command/{command.value}", source):
                commands.setdefault(normalize(word), f"'{command.value}' ({code})")
        for flow, node, option in menu_options(flows):
            context = option_context(flow.id, node.id, option.number)
            label = served.get((context, option.label))
            words = [label] if label else []
            words += translated_words(served, f"{context}/keywords", ", ".join(option.keywords))
            for word in words:
                answers.setdefault(
                    normalize(word),
                    f"option {option.number} of {flow.id}/{node.id} ({code})",
                )
        for name, source_words in (
            ("yes_words", deployment.yes_words),
            ("no_words", deployment.no_words),
        ):
            for word in translated_words(served, f"system/{name}", ", ".join(source_words)):
                answers.setdefault(normalize(word), f"a yes/no answer ({code})")

    problems = []
    for code, (path, served, lines) in catalogs.items():
        for command in Command:
            context = f"command/{command.value}"
            source = ", ".join(deployment.commands[command])
            for word in translated_words(served, context, source):
                meaning = answers.get(normalize(word))
                if meaning is not None:
                    problems.append(
                        Problem(
                            Place(str(path), lines.get(context, 1), 1),
                            Severity.ERROR,
                            f"{code}: '{word}' for the '{command.value}' command is also "
                            f"{meaning}; commands win everywhere, so this word is not used",
                        )
                    )
        for flow, node, option in menu_options(flows):
            context = option_context(flow.id, node.id, option.number)
            for suffix, source in (
                ("", option.label),
                ("/keywords", ", ".join(option.keywords)),
            ):
                text = served.get((context + suffix, source))
                words = ([text] if suffix == "" else split_keywords(text)) if text else []
                for word in words:
                    command_name = commands.get(normalize(word))
                    if command_name is not None:
                        problems.append(
                            Problem(
                                Place(str(path), lines.get(context + suffix, 1), 1),
                                Severity.ERROR,
                                f"{code}: '{word}' for option {option.number} of "
                                f"{flow.id}/{node.id} is the command {command_name}: "
                                "residents typing it would get the command",
                            )
                        )
    return problems
