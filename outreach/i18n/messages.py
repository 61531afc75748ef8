"""The translatable messages of the content files, with a context naming where each
comes from and a comment telling the translator what it is and how long it may be."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from outreach.engine import MORE_WORDS
from outreach.engine.model import (
    OPTIONAL_TEXTS,
    SYSTEM_TEXTS,
    CheckKind,
    Command,
    Deployment,
    Directory,
    DirectoryNode,
    EndNode,
    Flow,
    FlowSet,
    MenuNode,
    MessageNode,
    QuestionNode,
    flow_title,
    option_context,
    placeholders,
    step_label,
)
from outreach.flowfile import SourceIndex, content_files, read_file
from outreach.sms import segment_info

#: Keyword lists are translated as one message: words separated by commas.
KEYWORD_SEPARATOR = ","


@dataclass(frozen=True)
class SourceMessage:
    context: str
    text: str
    comment: str
    path: str
    line: int
    #: A name only staff read (a flow's or a step's, on the dashboard): never sent to
    #: residents nor said on a call, so it counts for no language's coverage.
    for_staff: bool = False


def split_keywords(translated: str) -> list[str]:
    return [word.strip() for word in translated.split(KEYWORD_SEPARATOR) if word.strip()]


def _budget(text: str, what: str) -> str:
    info = segment_info(text)
    notes = [
        f"{what}. An SMS holds 160 characters, or 70 if any character is outside GSM-7 "
        f"(such as ʼ, ë, ï). The Spanish has {len(text)} characters."
    ]
    if info.segments == 1:
        notes.append("Please keep the translation as short.")
    names = placeholders(text)
    if names:
        notes.append("Keep " + ", ".join("{" + n + "}" for n in names) + " exactly as written.")
    return " ".join(notes)


def flow_messages(
    flow: Flow, path: str, lines: dict[str, int], flow_line: int
) -> list[SourceMessage]:
    found: list[SourceMessage] = []

    def add(context: str, text: str, comment: str, line: int, for_staff: bool = False) -> None:
        found.append(SourceMessage(context, text, comment, path, line, for_staff))

    title = flow_title(flow)
    add(
        title.context,
        title.text,
        "The conversation's name, for staff: shown on the dashboard and in its exports, "
        "never to residents.",
        flow_line,
        for_staff=True,
    )
    if flow.keywords:
        add(
            f"{flow.id}/keywords",
            ", ".join(flow.keywords),
            "Words, separated by commas, that open this conversation from anywhere. "
            "The Spanish words always work too.",
            flow_line,
        )
    for node in flow.nodes.values():
        line = lines.get(node.id, flow_line)
        context = f"{flow.id}/{node.id}"
        if node.id in flow.labels:
            # Only a label of its own: a name taken from an option or a flow is
            # translated where it is written.
            label = step_label({}, flow, node.id)
            assert label is not None
            add(
                label.context,
                label.text,
                "A step's name, for staff: shown on the dashboard and in its exports, "
                "never to residents.",
                line,
                for_staff=True,
            )
        if isinstance(node, MenuNode):
            rendered = "\n".join([node.text] + [f"{o.number}. {o.label}" for o in node.options])
            add(
                context,
                node.text,
                _budget(rendered, "Menu prompt, sent with its numbered options in one SMS"),
                line,
            )
            for option in node.options:
                option_ctx = option_context(flow.id, node.id, option.number)
                add(
                    option_ctx,
                    option.label,
                    f"Menu option {option.number}, shown as '{option.number}. ...'. "
                    "Residents may also type its words.",
                    line,
                )
                if option.keywords:
                    add(
                        f"{option_ctx}/keywords",
                        ", ".join(option.keywords),
                        f"Words, separated by commas, that choose option {option.number}. "
                        "The Spanish words always work too.",
                        line,
                    )
        elif isinstance(node, QuestionNode):
            add(context, node.text, _budget(node.text, "Question"), line)
            if node.retry:
                what = "Said when the answer is not understood"
                if node.check.kind is CheckKind.ONE_OF:
                    what += (
                        " (when its list is numbered, it heads the list's first SMS: a letter"
                        " outside GSM-7, such as ë, makes that SMS cost up to 3 segments;"
                        " `outreach check --costs` shows it)"
                    )
                add(f"{context}/retry", node.retry, _budget(node.retry, what), line)
        elif isinstance(node, MessageNode):
            add(context, node.text, _budget(node.text, "Message"), line)
            if node.remind is not None:
                what = (
                    f"A reminder the resident asked for, sent alone on "
                    f"{node.remind.at.isoformat()}: keep every date, time and place exactly"
                )
                add(f"{context}/remind", node.remind.text, _budget(node.remind.text, what), line)
        elif isinstance(node, EndNode) and node.text:
            add(context, node.text, _budget(node.text, "Last message of the conversation"), line)
        elif isinstance(node, DirectoryNode):
            add(
                context,
                node.text,
                "The line above a list of programmes, sent in one SMS with them: keep it short.",
                line,
            )
            add(
                f"{context}/empty",
                node.empty,
                _budget(node.empty, "Said when no programme serves the department"),
                line,
            )
            add(
                f"{context}/more",
                node.more,
                "Said under a page of programmes when more "
                "follow; it should name the word for more (MAS).",
                line,
            )
    return found


def directory_messages(directory: Directory, path: str, line: int) -> list[SourceMessage]:
    found = []
    for programme in directory.programmes:
        base = f"directory/{directory.id}/{programme.id}"
        found.append(
            SourceMessage(
                f"{base}/name",
                programme.name,
                "A programme's name, in a list of programmes.",
                path,
                line,
            )
        )
        found.append(
            SourceMessage(
                f"{base}/contact",
                programme.contact,
                "How to reach the programme, after its name: keep it as short as the Spanish.",
                path,
                line,
            )
        )
    return found


def deployment_messages(
    deployment: Deployment, path: str, line: int, lines: dict[str, int] | None = None
) -> list[SourceMessage]:
    lines = lines or {}
    found = [
        SourceMessage(
            f"system/{name}",
            deployment.texts[name],
            _budget(deployment.texts[name], f"The service's '{name}' text"),
            path,
            lines.get(name, line),
        )
        for name in SYSTEM_TEXTS + OPTIONAL_TEXTS
        if name in deployment.texts
    ]
    if deployment.danger is not None:
        found.append(
            SourceMessage(
                "system/danger",
                deployment.danger.text,
                _budget(
                    deployment.danger.text,
                    "The emergency message, sent when a resident writes a danger word. Keep "
                    "every phone number exactly as written; the last word is the emergency "
                    "conversation's keyword in your language",
                ),
                path,
                lines.get("danger", line),
            )
        )
    words_lists = (
        ("yes_words", deployment.yes_words),
        ("no_words", deployment.no_words),
        ("more_words", MORE_WORDS),
    )
    for name, words in words_lists:
        found.append(
            SourceMessage(
                f"system/{name}",
                ", ".join(words),
                f"Words, separated by commas, that mean '{name[:-6]}' (answers to yes/no "
                "questions; more of a list) in your language. The Spanish words always work.",
                path,
                line,
            )
        )
    for command in Command:
        words = deployment.commands[command]
        found.append(
            SourceMessage(
                f"command/{command.value}",
                ", ".join(words),
                f"Words, separated by commas, for the '{command.value}' command in your language. "
                "One word each is best; residents type them alone. The Spanish words always work.",
                path,
                line,
            )
        )
    return found


def file_messages(path: str, source: str) -> list[SourceMessage]:
    """The messages of one content file (nothing if it does not load)."""
    index = SourceIndex()
    content, _problems = read_file(path, source, index)
    found: list[SourceMessage] = []
    for flow in content.flows:
        lines = {ref.node: p.line for ref, p in index.node_places.items() if ref.flow == flow.id}
        found += flow_messages(flow, path, lines, index.flow_places[flow.id].line)
    for directory in content.directories:
        place = index.directory_places.get(directory.id)
        found += directory_messages(directory, path, place.line if place else 1)
    for deployment in content.deployments:
        place = index.deployment_place
        found += deployment_messages(
            deployment, path, place.line if place else 1, index.system_text_lines
        )
    return found


def all_messages(paths: Iterable[str | Path]) -> list[SourceMessage]:
    found: list[SourceMessage] = []
    for path in content_files(paths):
        found += file_messages(str(path), path.read_text(encoding="utf-8"))
    return found


def flowset_messages(flows: FlowSet) -> list[SourceMessage]:
    """The messages of loaded flows (without file places: for coverage, not for catalogs)."""
    found: list[SourceMessage] = []
    for flow in flows.flows.values():
        found += flow_messages(flow, "", {}, 0)
    for directory in flows.directories.values():
        found += directory_messages(directory, "", 0)
    found += deployment_messages(flows.deployment, "", 0)
    return found
