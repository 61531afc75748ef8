"""What the cross-file checks need to know about the content, each fact a named record with
its place. The readers fill one :class:`SourceIndex` for all the files; the checks read it
after every file is read, so a broken node still counts as present and does not cause a
second, confusing report."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, NamedTuple

import yaml

from outreach.engine.model import PLACEHOLDER, PROGRAMME_KINDS, Check, Command, Provenance

from .problems import Place, did_you_mean
from .yamlvalues import Review, Values


class NodeRef(NamedTuple):
    """A node of a flow: the key of every per-node fact."""

    flow: str
    node: str

    def __str__(self) -> str:
        return f"{self.flow}/{self.node}"


class ProgrammeRef(NamedTuple):
    """A programme of a directory file."""

    directory: str
    programme: str


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to check once every file is read."""

    kind: Literal["node", "flow", "list", "directory"]
    flow: str | None  # the flow it is written in (for node references)
    target: str
    place: Place
    #: For node references: the node it is written in.
    source: str | None = None


@dataclass(frozen=True, slots=True)
class PlacedText:
    """A text that uses placeholders, with the YAML scalar it was written as."""

    at: NodeRef
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


@dataclass(frozen=True, slots=True)
class Keyword:
    """A word that starts a flow."""

    word: str
    flow: str
    place: Place


@dataclass(frozen=True, slots=True)
class CommandWord:
    word: str
    command: Command
    place: Place


@dataclass(frozen=True, slots=True)
class DangerWord:
    word: str
    language: str
    place: Place


@dataclass(frozen=True, slots=True)
class MenuWord:
    """A word that chooses an option of a menu: its label or one of its keywords."""

    word: str
    option: str  # the option's number, as text
    place: Place


@dataclass(frozen=True, slots=True)
class Menu:
    at: NodeRef
    words: tuple[MenuWord, ...]


@dataclass(frozen=True, slots=True)
class SavedField:
    """A question that saves the resident's answer in a field."""

    at: NodeRef
    field: str
    place: Place


@dataclass(frozen=True, slots=True)
class FieldUse:
    """A node that reads a field: a branch, or a directory node listing by it."""

    at: NodeRef
    field: str
    place: Place


@dataclass(frozen=True, slots=True)
class BranchValue:
    """A value a branch's case compares its field with."""

    field: str
    value: str
    place: Place


@dataclass(frozen=True, slots=True)
class ServedDepartment:
    """A department a programme serves, to check against its directory's list."""

    list_id: str
    department: str
    place: Place


@dataclass
class SourceIndex:
    """What the cross-file checks need to know, with places."""

    flow_places: dict[str, Place] = field(default_factory=dict)
    node_places: dict[NodeRef, Place] = field(default_factory=dict)
    list_places: dict[str, Place] = field(default_factory=dict)
    #: Each list's values and aliases, and its values alone.
    list_values: dict[str, list[str]] = field(default_factory=dict)
    list_canonical: dict[str, list[str]] = field(default_factory=dict)
    directory_places: dict[str, Place] = field(default_factory=dict)
    #: Where each programme starts (its ``- id:`` item), where a long listing is mended.
    programme_places: dict[ProgrammeRef, Place] = field(default_factory=dict)
    directory_departments: list[ServedDepartment] = field(default_factory=list)
    directory_fields: list[FieldUse] = field(default_factory=list)
    refs: list[Ref] = field(default_factory=list)
    keywords: list[Keyword] = field(default_factory=list)
    command_words: list[CommandWord] = field(default_factory=list)
    danger_words: list[DangerWord] = field(default_factory=list)
    #: The danger section's flow, if any.
    danger_flow: str | None = None
    texts: list[PlacedText] = field(default_factory=list)
    saves: list[SavedField] = field(default_factory=list)
    save_checks: dict[str, list[Check]] = field(default_factory=dict)
    branch_values: list[BranchValue] = field(default_factory=list)
    branch_fields: list[FieldUse] = field(default_factory=list)
    #: Branches with an ``unset`` exit: past them the field has a value.
    guarded_branches: list[FieldUse] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    menus: list[Menu] = field(default_factory=list)
    deployment_place: Place | None = None
    #: The deployment's twilio_notice: (the welcome flow, the node, where it is written).
    twilio_notice: tuple[str, str, Place] | None = None
    #: Message nodes that offer a reminder: the node, its time, where ``at`` is written.
    reminders: list[tuple[NodeRef, datetime, Place]] = field(default_factory=list)
    #: The line of each system text of the deployment (and of the danger text).
    system_text_lines: dict[str, int] = field(default_factory=dict)

    def nodes_by_flow(self) -> dict[str, list[str]]:
        """The node ids of each flow, in the order they are written."""
        nodes: dict[str, list[str]] = defaultdict(list)
        for ref in self.node_places:
            nodes[ref.flow].append(ref.node)
        return nodes


class ContentReader(Values):
    """Reads one content file's values, noting in the index what the checks across files
    need: the readers of flows, of the deployment and of data files build on it."""

    def __init__(self, path: str, source: str, index: SourceIndex) -> None:
        super().__init__(path, source)
        self.index = index

    def reviewed(self, node: yaml.Node | None, what: str) -> Provenance | None:
        """The provenance of ``what``, its review date noted for the review checks."""
        review = self.provenance(node, what)
        if review is None:
            return None
        self.index.reviews.append(review)
        return review.provenance

    def flow_ref(self, node: yaml.Node | None) -> str | None:
        target = self.ident(node, "flow")
        if target is not None and node is not None:
            self.index.refs.append(Ref("flow", None, target, self.place(node)))
        return target

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
