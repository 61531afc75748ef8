"""What `outreach check` says about translations, per language, each with its place."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from babel.messages.catalog import Message

from outreach.engine import answer_words
from outreach.engine.matching import PhraseSpotter, normalize
from outreach.engine.model import (
    Command,
    FlowSet,
    flows_run_from,
    menu_options,
    option_context,
    placeholders,
)
from outreach.flowfile.problems import Place, Problem, Severity
from outreach.languages import SOURCE_LANGUAGE, UnknownLanguage, language

from .catalogs import Refusal, catalog_path, coverage, read_catalog, refusal, serve
from .messages import SourceMessage, split_keywords


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
        served = serve(loaded)
        problems += served.problems
        if loaded.catalog is None:
            continue
        # Point at the entry's msgctxt line: contexts name one message each.
        context_lines = msgctxt_lines(path)
        in_catalog: set[tuple[str, str]] = set()
        for message in loaded.catalog:
            if not message.id or not isinstance(message.id, str):
                continue
            key = (message.context or "", message.id)
            in_catalog.add(key)
            if key not in source:
                continue  # an old message: `outreach i18n update` makes it obsolete
            place = Place(shown, context_lines.get(key[0], loaded.lines.get(key, 1)), 1)
            problem = _explained(lang.code, message, refusal(message), place, list_missing)
            if problem is not None:
                problems.append(problem)
        covered = coverage(lang.code, served.translations, loaded, messages)
        absent = len(source - in_catalog)
        percent = covered.percent
        if served.problems:
            offered = "not offered to residents until the catalog is mended"
        elif covered.offered(min_coverage_percent):
            offered = "offered to residents"
        else:
            offered = f"not offered to residents (needs {min_coverage_percent}%)"
        summary = (
            f"{lang.code}: {covered.translated} of {covered.total} messages translated "
            f"({percent}%), {offered}"
        )
        if absent:
            summary += f"; {absent} not in the catalog yet (run: outreach i18n update)"
        severity = Severity.WARNING if percent < 100 or absent or served.problems else None
        if severity is not None:
            problems.append(Problem(Place(shown, 1, 1), severity, summary))
    return problems


def _explained(
    code: str, message: Message, why: Refusal | None, place: Place, list_missing: bool
) -> Problem | None:
    """What `outreach check` says of one translation the service does not serve."""
    if why is Refusal.FUZZY:
        return Problem(
            place,
            Severity.WARNING,
            f"{code}: fuzzy, not served: the Spanish of {message.context} changed; "
            "review the translation",
        )
    if why is Refusal.EMPTY:
        if not list_missing:
            return None
        return Problem(place, Severity.WARNING, f"{code}: {message.context} is not translated")
    if why is Refusal.PLACEHOLDERS:
        want = sorted(placeholders(str(message.id)))
        got = sorted(placeholders(str(message.string)))
        parts = [
            f"missing {', '.join(f'{{{n}}}' for n in want if n not in got)}"
            if set(want) - set(got)
            else "",
            f"added {', '.join(f'{{{n}}}' for n in got if n not in want)}"
            if set(got) - set(want)
            else "",
        ]
        return Problem(
            place,
            Severity.ERROR,
            f"{code}: placeholders differ from the Spanish ({'; '.join(p for p in parts if p)}); "
            "this translation is not served",
        )
    return None


_Catalogs = dict[str, tuple[Path, dict[tuple[str, str], str], dict[str, int]]]


def _served_catalogs(locales_dir: Path, codes: Sequence[str]) -> _Catalogs:
    """Each valid translation catalog: its path, what it serves, its msgctxt lines."""
    catalogs: _Catalogs = {}
    for code in codes:
        path = catalog_path(locales_dir, code)
        if code == SOURCE_LANGUAGE or not path.exists():
            continue
        result = serve(read_catalog(code, path))
        if result.problems:
            continue
        catalogs[code] = (path, result.translations, msgctxt_lines(path))
    return catalogs


def check_translated_danger_answers(
    flows: FlowSet, locales_dir: Path, codes: Sequence[str]
) -> list[Problem]:
    """A translated option label or keyword that is, as a whole, a danger word (typos
    forgiven as the engine forgives them) is that option at its menu: typed alone there,
    the resident gets the topic and no emergency message. The Spanish answers are
    checked with the flows (flowfile.checks); these are the catalogs' own."""
    danger = flows.deployment.danger
    if danger is None:
        return []
    spotter = PhraseSpotter(
        [(word, word) for words in danger.words.values() for word in words],
    )
    danger_flows = flows_run_from(flows.flows, danger.flow) if danger.flow else set()
    problems = []
    for code, (path, served, lines) in _served_catalogs(locales_dir, codes).items():
        for flow, node, option in menu_options(flows):
            if flow.id in danger_flows:
                continue
            context = option_context(flow.id, node.id, option.number)
            label = served.get((context, option.label))
            keywords = served.get((f"{context}/keywords", ", ".join(option.keywords)))
            answers = [("", label)] if label else []
            answers += [("/keywords", word) for word in split_keywords(keywords or "")]
            for suffix, word in answers:
                for found in sorted(spotter.whole(normalize(word))):
                    problems.append(
                        Problem(
                            Place(str(path), lines.get(context + suffix, 1), 1),
                            Severity.WARNING,
                            f"{code}: '{word}' of option {option.number} of "
                            f"{flow.id}/{node.id} is the danger word '{found}': typed "
                            "alone there it is that answer, and the resident gets no "
                            "emergency message",
                        )
                    )
    return problems


def check_keyword_clashes(flows: FlowSet, locales_dir: Path, codes: Sequence[str]) -> list[Problem]:
    """Translated words must not make one word mean two things.

    Global commands work in every offered language, so a translated command word that is
    also an answer anywhere (an option, yes or no, a list value), in Spanish or in any
    translation, would act as the command for everyone: an English "no" under STOP would
    opt out a Spanish speaker answering a yes/no menu. (The engine never uses such a
    word; this says where it is.)
    """
    catalogs = _served_catalogs(locales_dir, codes)

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
