"""Reads one content file into the engine's model, noting every problem with its place.

YAML is only composed, never constructed: every scalar stays the text that was written
(``no``, ``on``, ``1.0`` and ``010`` are text, not booleans or numbers), and every value
keeps its line and column. Types are decided here, by the key tables in :mod:`.spec`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from outreach.engine.matching import normalize
from outreach.engine.model import (
    OPTIONAL_TEXTS,
    PLACEHOLDER,
    PROGRAMME_KINDS,
    SYSTEM_TEXTS,
    BranchNode,
    Case,
    Check,
    CheckKind,
    ChoiceList,
    Command,
    Danger,
    Deployment,
    Directory,
    DirectoryNode,
    EndNode,
    Flow,
    FlowNode,
    Language,
    ListItem,
    MenuNode,
    MessageNode,
    Node,
    Option,
    PlaceName,
    Programme,
    Provenance,
    QuestionNode,
    SmsSettings,
    placeholders,
)
from outreach.languages import LANGUAGES, SOURCE_LANGUAGE
from outreach.spreadsheet import starts_like_formula

from . import spec
from .places import read_places
from .problems import Place, Problem, Severity, did_you_mean

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_NULLS = {"", "~", "null", "Null", "NULL"}
#: The channels text can be shaped for.
CHANNELS = ("sms", "whatsapp", "web")


@dataclass(frozen=True)
class Ref:
    """A reference to check once every file is read."""

    kind: str  # "node", "flow" or "list"
    flow: str | None  # the flow it is written in (for node references)
    target: str
    place: Place
    #: For node references: the node it is written in.
    source: str | None = None


@dataclass(frozen=True)
class Text:
    flow: str
    node: str
    text: str
    scalar: yaml.ScalarNode
    source: str
    path: str

    def placeholder_places(self) -> list[tuple[str, Place]]:
        """Each placeholder of the text with the place where it is written.

        Placeholders hold no escapes or line breaks, so the n-th ``{name}`` of the value is
        the n-th ``{name}`` of its source, whatever the YAML style (quoted, folded, literal).
        """
        start, end = self.scalar.start_mark, self.scalar.end_mark
        written = self.source[start.index : end.index]
        places = []
        searched_from: dict[str, int] = {}
        for match in PLACEHOLDER.finditer(self.text):
            token = match.group(0)
            found = written.find(token, searched_from.get(token, 0))
            if found < 0:
                places.append((match.group(1), Place(self.path, start.line + 1, start.column + 1)))
                continue
            searched_from[token] = found + len(token)
            absolute = start.index + found
            line = self.source.count("\n", 0, absolute)
            column = absolute - (self.source.rfind("\n", 0, absolute) + 1)
            places.append((match.group(1), Place(self.path, line + 1, column + 1)))
        return places


@dataclass
class SourceIndex:
    """What the cross-file checks need to know, with places."""

    flow_places: dict[str, Place] = field(default_factory=dict)
    node_places: dict[tuple[str, str], Place] = field(default_factory=dict)
    list_places: dict[str, Place] = field(default_factory=dict)
    list_values: dict[str, list[str]] = field(default_factory=dict)
    list_canonical: dict[str, list[str]] = field(default_factory=dict)
    directory_places: dict[str, Place] = field(default_factory=dict)
    #: (directory's list id, department written, place) to check against the list.
    directory_departments: list[tuple[str, str, Place]] = field(default_factory=list)
    #: Fields a directory node reads: (field, place).
    directory_fields: list[tuple[str, Place]] = field(default_factory=list)
    refs: list[Ref] = field(default_factory=list)
    keywords: list[tuple[str, str, Place]] = field(default_factory=list)
    command_words: list[tuple[str, Command, Place]] = field(default_factory=list)
    #: Danger words: (word, language, place).
    danger_words: list[tuple[str, str, Place]] = field(default_factory=list)
    #: The danger section's flow, if any.
    danger_flow: str | None = None
    texts: list[Text] = field(default_factory=list)
    saves: list[tuple[str, str, str, Place]] = field(default_factory=list)
    save_checks: dict[str, list[Check]] = field(default_factory=dict)
    branch_values: list[tuple[str, str, Place]] = field(default_factory=list)
    branch_fields: list[tuple[str, str, str, Place]] = field(default_factory=list)
    guarded_branches: list[tuple[str, str, str, Place]] = field(default_factory=list)
    reviews: list[tuple[Provenance, Place, str]] = field(default_factory=list)
    menu_words: list[tuple[str, str, list[tuple[str, str, Place]]]] = field(default_factory=list)
    deployment_place: Place | None = None
    system_text_lines: dict[str, int] = field(default_factory=dict)
    language_places: list[Place] = field(default_factory=list)


@dataclass
class FileContent:
    flows: list[Flow] = field(default_factory=list)
    deployments: list[Deployment] = field(default_factory=list)
    lists: list[ChoiceList] = field(default_factory=list)
    directories: list[Directory] = field(default_factory=list)


class _Fields:
    """The checked keys of one mapping, with their places."""

    def __init__(self, reader: FileReader, node: yaml.MappingNode) -> None:
        self.reader = reader
        self.node = node
        self.values: dict[str, yaml.Node] = {}
        self.keys: dict[str, yaml.Node] = {}

    def get(self, name: str) -> yaml.Node | None:
        return self.values.get(name)

    def place(self, name: str | None = None) -> Place:
        node = self.values.get(name) if name else None
        return self.reader.place(node if node is not None else self.node)


class FileReader:
    def __init__(self, path: str, source: str, index: SourceIndex) -> None:
        self.path = path
        self.source = source
        self.lines = source.splitlines()
        self.index = index
        self.problems: list[Problem] = []
        self.current_node: str | None = None

    # -- problems and places -----------------------------------------------------

    def place(self, node: yaml.Node) -> Place:
        return Place(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def error(self, where: yaml.Node | Place, message: str) -> None:
        place = where if isinstance(where, Place) else self.place(where)
        self.problems.append(Problem(place, Severity.ERROR, message))

    def warning(self, where: yaml.Node | Place, message: str) -> None:
        place = where if isinstance(where, Place) else self.place(where)
        self.problems.append(Problem(place, Severity.WARNING, message))

    # -- the file ----------------------------------------------------------------

    def compose(self) -> yaml.Node | None:
        """The file's YAML as positioned nodes, or None with the problem noted."""
        try:
            root = yaml.compose(self.source, Loader=_Loader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            what = exc.problem or "invalid YAML"
            if exc.context:
                what = f"{what} ({exc.context})"
            if exc.context_mark and "end of stream" in what:
                # An unclosed quote is found at the end of the file; point at its start.
                mark = exc.context_mark
                opened = (exc.context or "something").replace("while scanning ", "")
                what = f"{opened} starts here and is never closed"
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            self.error(Place(self.path, line, col), f"YAML syntax: {what}")
            return None
        except yaml.reader.ReaderError as exc:
            line = self.source.count("\n", 0, exc.position) + 1
            col = exc.position - (self.source.rfind("\n", 0, exc.position) + 1) + 1
            self.error(
                Place(self.path, line, col),
                f"the file contains a character YAML does not allow (#x{exc.character:04x})",
            )
            return None
        except yaml.YAMLError as exc:
            self.error(Place(self.path, 1, 1), f"YAML syntax: {exc}")
            return None
        if root is None:
            self.error(Place(self.path, 1, 1), "the file is empty")
        return root

    def read(self) -> FileContent:
        content = FileContent()
        root = self.compose()
        if root is None:
            return content
        if not isinstance(root, yaml.MappingNode):
            self.error(
                root,
                "a content file is a mapping of keys, starting with flow:, deployment:, list: "
                "or directory:",
            )
            return content
        # The first key says what the file holds (a directory also has a list: key).
        first = root.value[0][0] if root.value else None
        kind = first.value if isinstance(first, yaml.ScalarNode) else None
        if kind not in spec.FILE_KINDS:
            self.error(
                root,
                "a content file starts with one of flow:, deployment:, list: or directory:",
            )
            return content
        if kind == "flow":
            flow = self.read_flow(root)
            if flow:
                content.flows.append(flow)
        elif kind == "deployment":
            deployment = self.read_deployment(root)
            if deployment:
                content.deployments.append(deployment)
        elif kind == "directory":
            directory = self.read_directory(root)
            if directory:
                content.directories.append(directory)
        else:
            choice_list = self.read_list(root)
            if choice_list:
                content.lists.append(choice_list)
        return content

    # -- generic values ----------------------------------------------------------

    def fields(self, node: yaml.Node, table: dict[str, spec.Key], what: str) -> _Fields | None:
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what} must be a mapping of keys and values")
            return None
        result = _Fields(self, node)
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(key_node, f"a key of {what} must be a plain word")
                continue
            key = key_node.value
            if key in result.keys:
                first = self.place(result.keys[key])
                self.error(
                    key_node, f"duplicate key '{key}' in {what} (first at line {first.line})"
                )
                continue
            result.keys[key] = key_node
            if key not in table:
                self.error(key_node, f"unknown key '{key}' in {what}{did_you_mean(key, table)}")
                continue
            result.values[key] = value_node
        missing = [k for k, v in table.items() if v.required and k not in result.keys]
        for key in missing:
            self.error(node, f"{what} is missing the required key '{key}'")
        return result

    def scalar(self, node: yaml.Node | None, what: str) -> str | None:
        if node is None:
            return None
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, f"{what} must be a single value, not a list or mapping")
            return None
        if node.style is None and node.value in _NULLS:
            self.error(node, f"{what} has no value")
            return None
        return str(node.value)

    def text(self, node: yaml.Node | None, what: str) -> str | None:
        value = self.scalar(node, what)
        if value is None:
            return None
        value = (
            value.strip("\n")
            if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">")
            else value
        )
        if not value.strip():
            self.error(node or Place(self.path, 1, 1), f"{what} is empty")
            return None
        return value

    def ident(self, node: yaml.Node | None, what: str) -> str | None:
        value = self.scalar(node, what)
        if value is None or node is None:
            return None
        if not _ID.match(value):
            self.error(
                node,
                f"{what} '{value}' must use lower-case letters, digits and _ "
                "and start with a letter",
            )
            return None
        return value

    def words(self, node: yaml.Node | None, what: str) -> tuple[str, ...]:
        if node is None:
            return ()
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        words = []
        for item in items:
            word = self.scalar(item, what)
            if word is not None:
                if not word.strip():
                    self.error(item, f"{what} has an empty word")
                else:
                    words.append(word.strip())
        return tuple(words)

    def sequence_or_word(self, node: yaml.Node | None) -> list[yaml.Node]:
        """The items of a list of words, or the one word written alone."""
        if node is None:
            return []
        return list(node.value) if isinstance(node, yaml.SequenceNode) else [node]

    def word_places(self, node: yaml.Node | None) -> list[tuple[str, Place]]:
        if node is None:
            return []
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        return [(i.value, self.place(i)) for i in items if isinstance(i, yaml.ScalarNode)]

    def boolean(self, node: yaml.Node | None, what: str) -> bool | None:
        value = self.scalar(node, what)
        if value is None or node is None:
            return None
        if value not in ("true", "false"):
            self.error(node, f"{what} must be true or false, not '{value}'")
            return None
        return value == "true"

    def integer(self, node: yaml.Node | None, what: str) -> int | None:
        value = self.scalar(node, what)
        if value is None or node is None:
            return None
        if not re.fullmatch(r"-?\d+", value):
            self.error(node, f"{what} must be a whole number, not '{value}'")
            return None
        if len(value.lstrip("-")) > 9:
            self.error(node, f"{what} is too large")
            return None
        return int(value)

    def date(self, node: yaml.Node | None, what: str) -> date | None:
        value = self.scalar(node, what)
        if value is None or node is None:
            return None
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ValueError(value)
            return date.fromisoformat(value)
        except ValueError:
            self.error(node, f"{what} must be a date written YYYY-MM-DD, not '{value}'")
            return None

    def sequence(self, node: yaml.Node | None, what: str) -> list[yaml.Node]:
        if node is None:
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"{what} must be a list (items starting with '- ')")
            return []
        if not node.value:
            self.error(node, f"{what} is empty")
        return list(node.value)

    # -- provenance --------------------------------------------------------------

    def provenance(self, node: yaml.Node | None, what: str) -> Provenance | None:
        if node is None:
            return None
        f = self.fields(node, spec.PROVENANCE, f"the provenance of {what}")
        if f is None:
            return None
        source = self.text(f.get("source"), "source")
        verified_on = self.date(f.get("verified_on"), "verified_on")
        review_by = self.date(f.get("review_by"), "review_by")
        sample = self.boolean(f.get("sample"), "sample")
        if source is None or verified_on is None or review_by is None or sample is None:
            return None
        result = Provenance(source, verified_on, review_by, sample)
        if review_by < verified_on:
            self.error(f.place("review_by"), "review_by is before verified_on")
        self.index.reviews.append((result, f.place("review_by"), what))
        return result

    # -- flows -------------------------------------------------------------------

    def read_flow(self, root: yaml.MappingNode) -> Flow | None:
        f = self.fields(root, spec.FLOW, "the flow")
        if f is None:
            return None
        flow_id = self.ident(f.get("flow"), "the flow id")
        name = self.text(f.get("name"), "name")
        provenance = self.provenance(f.get("provenance"), f"flow '{flow_id}'")
        keywords = self.words(f.get("keywords"), "keywords")
        if flow_id is None:
            return None
        if flow_id in self.index.flow_places:
            first = self.index.flow_places[flow_id]
            self.error(f.place("flow"), f"flow '{flow_id}' is defined twice (first at {first})")
            return None
        self.index.flow_places[flow_id] = f.place("flow")
        for word, place in self.word_places(f.get("keywords")):
            self.index.keywords.append((word, flow_id, place))
        nodes_node = f.get("nodes")
        nodes: dict[str, Node] = {}
        if nodes_node is not None:
            if not isinstance(nodes_node, yaml.MappingNode) or not nodes_node.value:
                self.error(nodes_node, "nodes must be a mapping of node ids to nodes")
            else:
                seen: dict[str, Place] = {}
                for key_node, value_node in nodes_node.value:
                    node_id = self.ident(key_node, "a node id")
                    if node_id is None:
                        continue
                    if node_id in seen:
                        self.error(
                            key_node,
                            f"duplicate node id '{node_id}' (first at line {seen[node_id].line})",
                        )
                        continue
                    seen[node_id] = self.place(key_node)
                    self.index.node_places[flow_id, node_id] = self.place(key_node)
                    self.current_node = node_id
                    node = self.read_node(flow_id, node_id, value_node)
                    if node is not None:
                        nodes[node_id] = node
        if name is None or provenance is None or not nodes:
            return None
        return Flow(flow_id, name, nodes, provenance, keywords)

    def read_node(self, flow_id: str, node_id: str, node: yaml.Node) -> Node | None:
        what = f"node '{node_id}'"
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what} must be a mapping of keys and values")
            return None
        type_node = next((v for k, v in node.value if getattr(k, "value", None) == "type"), None)
        if type_node is None:
            self.error(
                node, f"{what} is missing the required key 'type' ({', '.join(spec.NODE_TYPES)})"
            )
            return None
        node_type = self.scalar(type_node, "type")
        if node_type is None:
            return None
        if node_type not in spec.NODE:
            self.error(
                type_node,
                f"unknown node type '{node_type}'{did_you_mean(node_type, spec.NODE_TYPES)}",
            )
            return None
        f = self.fields(node, spec.NODE[node_type], f"a {node_type} node")
        if f is None:
            return None
        provenance = self.provenance(f.get("provenance"), what)
        text = self.text(f.get("text"), "text") if "text" in spec.NODE[node_type] else None
        if text is not None:
            self.note_text(flow_id, node_id, text, f.get("text"))
        next_id = self.node_ref(flow_id, f.get("next"), "next")
        if node_type == "message":
            return MessageNode(node_id, text, next_id, provenance) if text else None
        if node_type == "end":
            return EndNode(node_id, text, provenance)
        if node_type == "flow":
            target = self.flow_ref(f.get("flow"))
            return FlowNode(node_id, target, next_id, provenance) if target else None
        if node_type == "menu":
            options = self.read_options(flow_id, node_id, f.get("options"))
            return MenuNode(node_id, text, options, provenance) if text and options else None
        if node_type == "question":
            return self.read_question(flow_id, node_id, f, text, next_id, provenance)
        if node_type == "directory":
            return self.read_directory_node(flow_id, node_id, f, text, next_id, provenance)
        return self.read_branch(flow_id, node_id, f, provenance)

    def read_question(
        self,
        flow_id: str,
        node_id: str,
        f: _Fields,
        text: str | None,
        next_id: str | None,
        provenance: Provenance | None,
    ) -> QuestionNode | None:
        check = self.read_check(f.get("check"))
        save = self.ident(f.get("save"), "save")
        retry = self.text(f.get("retry"), "retry")
        if retry is not None:
            self.note_text(flow_id, node_id, retry, f.get("retry"))
        if save is not None:
            self.index.saves.append((flow_id, node_id, save, f.place("save")))
            if check is not None:
                self.index.save_checks.setdefault(save, []).append(check)
        if text is None or check is None or save is None:
            return None
        return QuestionNode(node_id, text, check, save, next_id, retry, provenance)

    def read_check(self, node: yaml.Node | None) -> Check | None:
        if node is None:
            return None
        if isinstance(node, yaml.ScalarNode):
            kind = self.scalar(node, "check")
            if kind in ("yes_no", "text"):
                return Check(CheckKind(kind))
            if kind is not None:
                self.error(
                    node,
                    f"check '{kind}' needs more: write it as a mapping with "
                    "type: number (min, max) or type: one_of (list)"
                    if kind in spec.CHECK_TYPES
                    else f"unknown check '{kind}'{did_you_mean(kind, spec.CHECK_TYPES)}",
                )
            return None
        f = self.fields(node, spec.CHECK, "the check")
        if f is None:
            return None
        kind = self.scalar(f.get("type"), "the check type")
        if kind is None:
            return None
        if kind not in spec.CHECK_TYPES:
            self.error(
                f.place("type"),
                f"unknown check type '{kind}'{did_you_mean(kind, spec.CHECK_TYPES)}",
            )
            return None
        minimum = self.integer(f.get("min"), "min")
        maximum = self.integer(f.get("max"), "max")
        list_id = self.ident(f.get("list"), "list")
        if kind == "one_of":
            if f.get("list") is None:
                self.error(f.node, "a one_of check is missing the required key 'list'")
                return None
            if list_id:
                self.index.refs.append(Ref("list", None, list_id, f.place("list")))
        elif f.get("list") is not None:
            self.error(f.place("list"), f"list only goes with type: one_of, not {kind}")
        if kind != "number":
            for key in ("min", "max"):
                if f.get(key) is not None:
                    self.error(f.place(key), f"{key} only goes with type: number, not {kind}")
        if minimum is not None and maximum is not None and minimum > maximum:
            self.error(f.place("min"), f"min ({minimum}) is larger than max ({maximum})")
        return Check(CheckKind(kind), minimum, maximum, list_id)

    def read_options(
        self, flow_id: str, node_id: str, node: yaml.Node | None
    ) -> tuple[Option, ...]:
        options: list[Option] = []
        numbers: dict[str, Place] = {}
        words: list[tuple[str, str, Place]] = []
        for position, item in enumerate(self.sequence(node, "options"), start=1):
            f = self.fields(item, spec.OPTION, "an option")
            if f is None:
                continue
            label = self.text(f.get("label"), "label")
            number = self.integer(f.get("number"), "number")
            number_text = str(number if number is not None else position)
            if label is not None:
                self.note_text(flow_id, node_id, label, f.get("label"))
                words.append((label, number_text, f.place("label")))
            if number_text in numbers:
                self.error(
                    f.place("number") if f.get("number") else f.place(),
                    f"option number {number_text} is used twice in this menu "
                    f"(first at line {numbers[number_text].line})",
                )
            numbers[number_text] = f.place("number") if f.get("number") else f.place()
            keywords = self.words(f.get("keywords"), "keywords")
            words += [(w, number_text, p) for w, p in self.word_places(f.get("keywords"))]
            go = self.node_ref(flow_id, f.get("go"), "go")
            target_flow = self.flow_ref(f.get("flow"))
            after = self.node_ref(flow_id, f.get("next"), "next")
            if (f.get("go") is None) == (f.get("flow") is None):
                self.error(
                    f.place(), "an option needs exactly one of go: (a node) or flow: (another flow)"
                )
                continue
            if f.get("next") is not None and f.get("flow") is None:
                self.error(f.place("next"), "next: only goes with flow: in an option")
            if label is None or (go is None and target_flow is None):
                continue
            options.append(Option(number_text, label, keywords, go, target_flow, after))
        self.index.menu_words.append((flow_id, node_id, words))
        return tuple(options)

    def read_branch(
        self, flow_id: str, node_id: str, f: _Fields, provenance: Provenance | None
    ) -> BranchNode | None:
        field_name = self.ident(f.get("field"), "field")
        if field_name:
            self.index.branch_fields.append((flow_id, node_id, field_name, f.place("field")))
        cases = []
        for item in self.sequence(f.get("cases"), "cases"):
            case = self.fields(item, spec.CASE, "a case")
            if case is None:
                continue
            values = self.words(case.get("value"), "value")
            if field_name:
                self.index.branch_values += [
                    (field_name, word, place) for word, place in self.word_places(case.get("value"))
                ]
            go = self.node_ref(flow_id, case.get("go"), "go")
            if values and go:
                cases.append(Case(values, go))
        otherwise = self.node_ref(flow_id, f.get("otherwise"), "otherwise")
        unset = self.node_ref(flow_id, f.get("unset"), "unset")
        if f.get("cases") is None and f.get("unset") is None:
            self.error(f.place(), "a branch needs cases:, unset: or both")
            return None
        if field_name is None or otherwise is None:
            return None
        if unset is not None:
            self.index.guarded_branches.append((flow_id, node_id, field_name, f.place("field")))
        return BranchNode(node_id, field_name, tuple(cases), otherwise, unset, provenance)

    def node_ref(self, flow_id: str, node: yaml.Node | None, what: str) -> str | None:
        target = self.ident(node, what)
        if target is not None and node is not None:
            self.index.refs.append(
                Ref("node", flow_id, target, self.place(node), self.current_node)
            )
        return target

    def flow_ref(self, node: yaml.Node | None) -> str | None:
        target = self.ident(node, "flow")
        if target is not None and node is not None:
            self.index.refs.append(Ref("flow", None, target, self.place(node)))
        return target

    def note_text(self, flow_id: str, node_id: str, text: str, node: yaml.Node | None) -> None:
        if isinstance(node, yaml.ScalarNode) and placeholders(text):
            self.index.texts.append(Text(flow_id, node_id, text, node, self.source, self.path))

    # -- deployment and lists ----------------------------------------------------

    def read_deployment(self, root: yaml.MappingNode) -> Deployment | None:
        f = self.fields(root, spec.DEPLOYMENT, "the deployment")
        if f is None:
            return None
        deployment_id = self.ident(f.get("deployment"), "the deployment id")
        main_flow = self.flow_ref(f.get("main_flow"))
        welcome_flow = self.flow_ref(f.get("welcome_flow"))
        self.index.deployment_place = f.place("deployment")
        languages: list[Language] = []
        for item in self.sequence(f.get("languages"), "languages"):
            lf = self.fields(item, spec.LANGUAGE, "a language")
            if lf is None:
                continue
            code = self.ident(lf.get("code"), "code")
            name = self.text(lf.get("name"), "name") if lf.get("name") else None
            if code is None:
                continue
            if code not in LANGUAGES:
                self.error(
                    lf.place("code"),
                    f"unknown language '{code}' (known: "
                    f"{', '.join(LANGUAGES)}); add it to outreach/languages.py"
                    f"{did_you_mean(code, LANGUAGES)}",
                )
                continue
            if not languages and code != SOURCE_LANGUAGE:
                # The engine marks and shapes fallback text as the first language, while the
                # catalogs translate from SOURCE_LANGUAGE: the two must be the same language.
                self.error(
                    lf.place("code"),
                    f"the first language is '{code}', but the flows and the catalogs are "
                    f"written in '{SOURCE_LANGUAGE}': list '{SOURCE_LANGUAGE}' first under "
                    "languages:",
                )
            languages.append(Language(code, name or LANGUAGES[code].endonym))
            self.index.language_places.append(lf.place("code"))
        commands: dict[Command, tuple[str, ...]] = {}
        commands_node = f.get("commands")
        if commands_node is not None:
            cf = self.fields(commands_node, spec.COMMANDS, "commands")
            if cf is not None:
                for command in Command:
                    commands[command] = self.words(cf.get(command.value), command.value)
                    for word, place in self.word_places(cf.get(command.value)):
                        self.index.command_words.append((word, command, place))
        texts: dict[str, str] = {}
        texts_node = f.get("texts")
        if texts_node is not None:
            tf = self.fields(texts_node, spec.TEXTS, "texts")
            if tf is not None:
                for name in SYSTEM_TEXTS + OPTIONAL_TEXTS:
                    if name in OPTIONAL_TEXTS and tf.get(name) is None:
                        continue
                    value = self.text(tf.get(name), name)
                    if value is not None:
                        texts[name] = value
                        self.index.system_text_lines[name] = tf.place(name).line
                        if placeholders(value):
                            self.error(
                                tf.place(name),
                                f"the '{name}' text cannot use "
                                f"placeholders ({{{placeholders(value)[0]}}}): it is sent "
                                "at any point, when no field is sure to be known",
                            )
        sms = self.read_sms(f.get("sms"), [lang.code for lang in languages])
        yes_words = self.words(f.get("yes_words"), "yes_words")
        no_words = self.words(f.get("no_words"), "no_words")
        danger = self.read_danger(f.get("danger"), [lang.code for lang in languages])
        once = frozenset(
            flow
            for item in self.sequence_or_word(f.get("once_per_conversation"))
            if (flow := self.flow_ref(item)) is not None
        )
        complete = (
            deployment_id
            and main_flow
            and languages
            and len(commands) == len(Command)
            and all(name in texts for name in SYSTEM_TEXTS)
        )
        if not complete:
            return None
        extra: dict[str, Any] = {
            "welcome_flow": welcome_flow, "sms": sms, "danger": danger,
            "once_per_conversation": once,
        }  # fmt: skip
        if yes_words:
            extra["yes_words"] = yes_words
        if no_words:
            extra["no_words"] = no_words
        assert deployment_id and main_flow
        return Deployment(deployment_id, main_flow, tuple(languages), commands, texts, **extra)

    def read_danger(self, node: yaml.Node | None, codes: list[str]) -> Danger | None:
        if node is None:
            return None
        f = self.fields(node, spec.DANGER, "danger")
        if f is None:
            return None
        text = self.text(f.get("text"), "the danger text")
        if text is not None:
            self.index.system_text_lines["danger"] = f.place("text").line
            if placeholders(text):
                self.error(
                    f.place("text"),
                    f"the danger text cannot use placeholders ({{{placeholders(text)[0]}}}):"
                    " it is sent at any point, when no field is sure to be known",
                )
        provenance = self.provenance(f.get("provenance"), "the danger text")
        flow = self.flow_ref(f.get("flow"))
        self.index.danger_flow = flow
        words: dict[str, tuple[str, ...]] = {}
        for item in self.sequence(f.get("words"), "danger words"):
            wf = self.fields(item, spec.DANGER_WORDS, "danger words")
            if wf is None:
                continue
            found = self.known_words(wf.get("language"), "language", codes, "language")
            if not found:
                continue
            code = found[0]
            if code in words:
                self.error(wf.place("language"), f"the danger words of '{code}' are given twice")
                continue
            words[code] = self.words(wf.get("words"), "danger words")
            for word, place in self.word_places(wf.get("words")):
                self.index.danger_words.append((word, code, place))
        if text is None or provenance is None or not words:
            return None
        return Danger(text, words, provenance, flow)

    def read_sms(self, node: yaml.Node | None, codes: list[str]) -> SmsSettings:
        default = SmsSettings()
        if node is None:
            return default
        f = self.fields(node, spec.SMS, "sms")
        if f is None:
            return default
        budget = self.integer(f.get("budget"), "budget")
        if budget is not None and budget < 1:
            self.error(f.place("budget"), "budget must be at least 1 segment")
            budget = None
        punctuation: frozenset[str] | None = None
        written = f.get("punctuation")
        if isinstance(written, yaml.ScalarNode) and written.value in ("true", "false"):
            punctuation = None if written.value == "true" else frozenset()
        elif written is not None:
            punctuation = frozenset(self.known_words(written, "punctuation", codes, "language"))
        return SmsSettings(
            budget=budget if budget is not None else default.budget,
            punctuation=punctuation,
            plain_vowels=frozenset(
                self.known_words(f.get("plain_vowels"), "plain_vowels", codes, "language")
            ),
            channels=frozenset(self.known_words(f.get("channels"), "channels", CHANNELS, "channel"))
            or default.channels,
        )

    def known_words(
        self, node: yaml.Node | None, what: str, known: Sequence[str], kind: str
    ) -> list[str]:
        """Words that must each be one of ``known`` (a typo would switch a setting off)."""
        words = []
        for word, place in self.word_places(node):
            if word in known:
                words.append(word)
            else:
                self.error(
                    place,
                    f"{what}: '{word}' is not a {kind} of this deployment "
                    f"({', '.join(known)}){did_you_mean(word, known)}",
                )
        return words

    def read_directory_node(
        self,
        flow_id: str,
        node_id: str,
        f: _Fields,
        text: str | None,
        next_id: str | None,
        provenance: Provenance | None,
    ) -> DirectoryNode | None:
        directory = self.ident(f.get("directory"), "directory")
        if directory is not None:
            self.index.refs.append(Ref("directory", None, directory, f.place("directory")))
        field_name = self.ident(f.get("field"), "field")
        if field_name is not None:
            self.index.directory_fields.append((field_name, f.place("field")))
        kind = self.programme_kind(f.get("kind"))
        texts = {}
        for name in ("empty", "more"):
            value = self.text(f.get(name), name)
            if value is not None:
                self.note_text(flow_id, node_id, value, f.get(name))
                texts[name] = value
        page_size = self.integer(f.get("page_size"), "page_size")
        if page_size is not None and not 1 <= page_size <= 10:
            self.error(f.place("page_size"), "page_size must be between 1 and 10")
            page_size = None
        if text is None or directory is None or field_name is None or len(texts) < 2:
            return None
        return DirectoryNode(
            node_id, directory, field_name, text, texts["empty"], texts["more"], kind,
            page_size or 3, next_id, provenance,
        )  # fmt: skip

    def programme_kind(self, node: yaml.Node | None) -> str | None:
        kind = self.scalar(node, "kind")
        if kind is None or node is None:
            return None
        if kind not in PROGRAMME_KINDS:
            self.error(
                node,
                f"unknown kind '{kind}' ({', '.join(PROGRAMME_KINDS)})"
                f"{did_you_mean(kind, PROGRAMME_KINDS)}",
            )
            return None
        return kind

    def optional_fact(self, pf: _Fields, name: str, programme_id: str | None) -> str | None:
        """A programme's hours or eligibility as its source states them; None when the
        source does not say (written ``unknown``, never sent to residents). Leaving the
        key out is a warning: an editor must decide between a sourced fact and ``unknown``."""
        node = pf.get(name)
        if node is None:
            self.warning(
                pf.place(),
                f"programme '{programme_id}' has no {name}: write `{name}: {spec.UNKNOWN}` "
                "if the source does not say",
            )
            return None
        value = self.text(node, name)
        if value is None or value.strip().lower() == spec.UNKNOWN:
            return None
        return value

    def read_directory(self, root: yaml.MappingNode) -> Directory | None:
        f = self.fields(root, spec.DIRECTORY, "the directory")
        if f is None:
            return None
        directory_id = self.ident(f.get("directory"), "the directory id")
        list_id = self.ident(f.get("list"), "list")
        if list_id is not None:
            self.index.refs.append(Ref("list", None, list_id, f.place("list")))
        programmes: list[Programme] = []
        seen: dict[str, Place] = {}
        for item in self.sequence(f.get("programmes"), "programmes"):
            pf = self.fields(item, spec.PROGRAMME, "a programme")
            if pf is None:
                continue
            programme_id = self.ident(pf.get("id"), "id")
            if programme_id is not None and programme_id in seen:
                self.error(
                    pf.place("id"),
                    f"programme '{programme_id}' is listed twice "
                    f"(first at line {seen[programme_id].line})",
                )
                continue
            if programme_id is not None:
                seen[programme_id] = pf.place("id")
            name = self.text(pf.get("name"), "name")
            kind = self.programme_kind(pf.get("kind"))
            departments = self.words(pf.get("departments"), "departments")
            for word, place in self.word_places(pf.get("departments")):
                if word != "all" and list_id is not None:
                    self.index.directory_departments.append((list_id, word, place))
            contact = self.text(pf.get("contact"), "contact")
            hours = self.optional_fact(pf, "hours", programme_id)
            eligibility = self.optional_fact(pf, "eligibility", programme_id)
            provenance = self.provenance(pf.get("provenance"), f"programme '{programme_id}'")
            if None in (programme_id, name, kind, contact, provenance) or not departments:
                continue
            assert programme_id and name and kind and contact and provenance
            served = None if departments == ("all",) else departments
            programmes.append(
                Programme(programme_id, name, kind, served, contact, provenance, hours, eligibility)
            )
        if directory_id is None:
            return None
        if directory_id in self.index.directory_places:
            first = self.index.directory_places[directory_id]
            self.error(
                f.place("directory"),
                f"directory '{directory_id}' is defined twice (first at {first})",
            )
            return None
        self.index.directory_places[directory_id] = f.place("directory")
        return Directory(directory_id, tuple(programmes))

    def read_list(self, root: yaml.MappingNode) -> ChoiceList | None:
        f = self.fields(root, spec.LIST, "the list")
        if f is None:
            return None
        list_id = self.ident(f.get("list"), "the list id")
        numbered = self.boolean(f.get("numbered"), "numbered")
        items = []
        seen: dict[str, Place] = {}
        for item in self.sequence(f.get("items"), "items"):
            itf = self.fields(item, spec.ITEM, "an item")
            if itf is None:
                continue
            value = self.text(itf.get("value"), "value")
            aliases = self.words(itf.get("aliases"), "aliases")
            places = [(value, itf.place("value"))] if value else []
            places += self.word_places(itf.get("aliases"))
            for word, place in places:
                key = normalize(word or "")
                if key in seen:
                    self.error(
                        place, f"'{word}' is in this list twice (first at line {seen[key].line})"
                    )
                seen.setdefault(key, place)
            if value and starts_like_formula(value):
                # The value is published as a label in CSV exports: never a formula there.
                self.error(
                    itf.place("value"),
                    f"'{value}' starts with {value[0]!r}, which a spreadsheet runs as a formula"
                    " when staff open an export: start it with a letter or a digit",
                )
            if value:
                items.append(ListItem(value, aliases))
        if list_id is None or not items:
            return None
        if list_id in self.index.list_places:
            first = self.index.list_places[list_id]
            self.error(f.place("list"), f"list '{list_id}' is defined twice (first at {first})")
            return None
        self.index.list_places[list_id] = f.place("list")
        self.index.list_values[list_id] = [v for item in items for v in (item.value, *item.aliases)]
        self.index.list_canonical[list_id] = [item.value for item in items]
        place_names: list[PlaceName] = []
        file = self.text(f.get("places"), "places")
        if file is not None:
            count = self.integer(f.get("places_count"), "places_count")
            path = Path(self.path).parent / file
            place_names, problems = read_places(
                path, str(path), [item.value for item in items], count, f.place("places")
            )
            self.problems += problems
        return ChoiceList(list_id, tuple(items), numbered=bool(numbered), places=tuple(place_names))
