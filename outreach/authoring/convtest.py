"""Conversation tests as data: what a resident says and what the service must answer.

NGO staff write them in ``flows/tests/*.yaml`` without reading any Python::

    conversations:
      - name: The main menu and back
        steps:
          - say: hola
            contains: "¿Sobre qué quiere saber?"
          - say: "2"
            reply: |
              Caminos legales. Elija un tema:
              1. Visas de trabajo H-2A y H-2B
              2. Lo que cerró en 2025

``reply`` is the whole answer (its messages one per line), ``contains`` and ``absent``
take one text or a list, ``events`` lists event kinds that must happen in that turn.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from outreach.engine import Engine, FlowSet, Inbound
from outreach.engine.events import NodeVisited
from outreach.flowfile.problems import Place, Problem, Severity
from outreach.flowfile.spec import Key, Kind
from outreach.flowfile.yamlvalues import Values

CONVERSATION_FILE = {
    "conversations": Key(Kind.LIST, "The conversations of this file.", True, "conversation"),
}
CONVERSATION = {
    "name": Key(Kind.TEXT, "What the conversation shows.", True),
    "language": Key(Kind.ID, "The resident's language (default: the flows' source language)."),
    "new_resident": Key(
        Kind.BOOL, "true: start as a resident never seen, who is asked to choose a language."
    ),
    "channel": Key(Kind.ID, "sms, whatsapp or web (default sms)."),
    "steps": Key(
        Kind.LIST, "What the resident says, in order, with the expected answers.", True, "step"
    ),
}
STEP = {
    "say": Key(Kind.TEXT, "What the resident sends.", True),
    "reply": Key(Kind.TEXT, "The whole expected answer, one message per line."),
    "contains": Key(Kind.WORDS, "Texts the answer must contain."),
    "absent": Key(Kind.WORDS, "Texts the answer must not contain."),
    "events": Key(Kind.WORDS, "Kinds of event that must happen in this turn."),
}

#: Conversation tests run at a fixed time, one minute between messages.
START = datetime(2026, 1, 5, 9, 0)


@dataclass
class Step:
    say: str
    place: Place
    reply: str | None = None
    contains: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    events: tuple[str, ...] = ()


@dataclass
class Conversation:
    name: str
    place: Place
    language: str | None
    channel: str
    new_resident: bool = False
    steps: list[Step] = field(default_factory=list)


@dataclass
class Outcome:
    conversation: Conversation
    failures: list[Problem]
    nodes: set[tuple[str, str]] = field(default_factory=set)
    #: The nodes visited in each language: the resident's language at the end of the turn
    #: that reached them (a conversation may change language in the middle).
    nodes_by_language: dict[str, set[tuple[str, str]]] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.failures


def read_conversations(path: Path) -> tuple[list[Conversation], list[Problem]]:
    start = Place(str(path), 1, 1)
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [], [Problem(start, Severity.ERROR, "no such file")]
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(start, Severity.ERROR, f"cannot read the file: {exc}")]
    reader = Values(str(path), source)
    conversations: list[Conversation] = []
    root = reader.compose()
    if root is None:
        return [], reader.problems
    top = reader.fields(root, CONVERSATION_FILE, "a conversation test file")
    for item in reader.sequence(top.get("conversations") if top else None, "conversations"):
        f = reader.fields(item, CONVERSATION, "a conversation")
        if f is None:
            continue
        name = reader.text(f.get("name"), "name") or "?"
        language = reader.ident(f.get("language"), "language")
        new_resident = reader.boolean(f.get("new_resident"), "new_resident") or False
        channel = reader.ident(f.get("channel"), "channel") or "sms"
        conversation = Conversation(name, f.place(), language, channel, new_resident)
        for step_node in reader.sequence(f.get("steps"), "steps"):
            sf = reader.fields(step_node, STEP, "a step")
            if sf is None:
                continue
            say = reader.scalar(sf.get("say"), "say")
            if say is None:
                continue
            reply = reader.scalar(sf.get("reply"), "reply")
            conversation.steps.append(
                Step(
                    say,
                    sf.place(),
                    reply.strip() if reply is not None else None,
                    reader.words(sf.get("contains"), "contains"),
                    reader.words(sf.get("absent"), "absent"),
                    reader.words(sf.get("events"), "events"),
                )
            )
        conversations.append(conversation)
    return conversations, reader.problems


def run_conversation(engine: Engine, conversation: Conversation) -> Outcome:
    """Play a conversation through ``engine`` (with its translations and languages)."""
    if conversation.new_resident:
        session = engine.new_session()
    else:
        session = engine.new_session(conversation.language or engine.source_language)
    outcome = Outcome(conversation, [])
    for number, step in enumerate(conversation.steps):
        now = START + timedelta(minutes=number)
        sprint = engine.resume(session, Inbound(step.say, conversation.channel), now)
        session = sprint.session
        visited = {(e.flow, e.node) for e in sprint.events if isinstance(e, NodeVisited)}
        outcome.nodes |= visited
        outcome.nodes_by_language.setdefault(session.language, set()).update(visited)
        answer = "\n".join(sprint.messages).strip()
        kinds = {e.kind for e in sprint.events}

        def fail(message: str, step: Step = step) -> None:
            outcome.failures.append(Problem(step.place, Severity.ERROR, message))

        if step.reply is not None and _lines(answer) != _lines(step.reply):
            fail(
                f"after {step.say!r} expected the answer\n{_indent(step.reply)}\n"
                f"  but got\n{_indent(answer)}"
            )
        for text in step.contains:
            if text not in answer:
                fail(
                    f"after {step.say!r} the answer should contain {text!r}; it was\n"
                    f"{_indent(answer)}"
                )
        for text in step.absent:
            if text in answer:
                fail(f"after {step.say!r} the answer should not contain {text!r}")
        for kind in step.events:
            if kind not in kinds:
                fail(
                    f"after {step.say!r} expected a {kind} event; got "
                    f"{', '.join(sorted(kinds)) or 'none'}"
                )
    return outcome


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip().splitlines()]


def _indent(text: str) -> str:
    return "\n".join(f"    | {line}" for line in text.splitlines()) or "    | (nothing)"


def conversation_files(paths: Iterable[str | Path]) -> list[Path]:
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.y*ml") if p.is_file())
        else:
            found.append(path)
    return found


def all_nodes(flows: FlowSet) -> set[tuple[str, str]]:
    return {(flow.id, node_id) for flow in flows.flows.values() for node_id in flow.nodes}


@dataclass
class Coverage:
    """Which nodes of the flows the conversations reached, in all and in each language."""

    nodes: set[tuple[str, str]]
    languages: tuple[str, ...]
    covered: set[tuple[str, str]] = field(default_factory=set)
    by_language: dict[str, set[tuple[str, str]]] = field(default_factory=dict)

    def add(self, outcome: Outcome) -> None:
        self.covered |= outcome.nodes
        for language, nodes in outcome.nodes_by_language.items():
            self.by_language.setdefault(language, set()).update(nodes)

    def reached(self, language: str | None = None) -> set[tuple[str, str]]:
        """The nodes reached (in ``language``, or in any language)."""
        covered = self.covered if language is None else self.by_language.get(language, set())
        return self.nodes & covered

    def missing(self, language: str | None = None) -> list[tuple[str, str]]:
        return sorted(self.nodes - self.reached(language))

    def reported_languages(self) -> list[str]:
        """The languages offered, then any other a conversation was held in."""
        extra = sorted(set(self.by_language) - set(self.languages))
        return [*self.languages, *extra]

    def summary(self) -> str:
        """e.g. ``node coverage: 44/44 (100%); es 44/44, en 37/44``."""
        total = len(self.nodes)
        reached = len(self.reached())
        share = 100 * reached / total if total else 100.0
        line = f"node coverage: {reached}/{total} ({share:.0f}%)"
        per_language = [
            f"{code} {len(self.reached(code))}/{total}" for code in self.reported_languages()
        ]
        return f"{line}; {', '.join(per_language)}" if per_language else line

    def missing_lines(self) -> list[str]:
        """One line for the nodes no conversation reached, then one for each language that
        misses more (listing all it misses)."""
        lines = []
        if missing := self.missing():
            lines.append("not covered: " + _names(missing))
        for code in self.reported_languages():
            if (missing := self.missing(code)) and missing != self.missing():
                lines.append(f"not covered in {code}: " + _names(missing))
        return lines


def coverage(flows: FlowSet, languages: Sequence[str]) -> Coverage:
    """An empty coverage of every node of ``flows``, to be reported in ``languages``."""
    return Coverage(all_nodes(flows), tuple(languages))


def _names(nodes: Iterable[tuple[str, str]]) -> str:
    return ", ".join(f"{flow}/{node}" for flow, node in nodes)
