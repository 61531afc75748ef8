"""YAML values with their places: the generic part of reading any content file.

YAML is only composed, never constructed: every scalar stays the text that was written
(``no``, ``on``, ``1.0`` and ``010`` are text, not booleans or numbers), and every value
keeps its line and column. Types are decided here, by the key tables in :mod:`.spec`, and
every value that is not what its key needs is a problem with the value's place.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml

from outreach.engine.model import Provenance

from . import spec
from .problems import Place, Problem, Severity, did_you_mean

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_NULLS = {"", "~", "null", "Null", "NULL"}


@dataclass(frozen=True, slots=True)
class Review:
    """A provenance, with the place of its ``review_by`` key (where a passed date is shown)."""

    provenance: Provenance
    place: Place
    what: str  # what the provenance is of, as problems name it


class Fields:
    """The checked keys of one mapping, with their places."""

    def __init__(self, values: Values, node: yaml.MappingNode) -> None:
        self.values = values
        self.node = node
        self.found: dict[str, yaml.Node] = {}
        self.keys: dict[str, yaml.Node] = {}

    def get(self, name: str) -> yaml.Node | None:
        return self.found.get(name)

    def place(self, name: str | None = None) -> Place:
        node = self.found.get(name) if name else None
        return self.values.place(node if node is not None else self.node)


class Values:
    """Reads the values of one file, noting every problem with its place."""

    def __init__(self, path: str, source: str) -> None:
        self.path = path
        self.source = source
        self.problems: list[Problem] = []

    # -- problems and places -----------------------------------------------------

    def place(self, node: yaml.Node) -> Place:
        return Place(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def error(self, where: yaml.Node | Place, message: str) -> None:
        place = where if isinstance(where, Place) else self.place(where)
        self.problems.append(Problem(place, Severity.ERROR, message))

    def warning(self, where: yaml.Node | Place, message: str) -> None:
        place = where if isinstance(where, Place) else self.place(where)
        self.problems.append(Problem(place, Severity.WARNING, message))

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

    # -- generic values ----------------------------------------------------------

    def fields(self, node: yaml.Node, table: dict[str, spec.Key], what: str) -> Fields | None:
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what} must be a mapping of keys and values")
            return None
        result = Fields(self, node)
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
            result.found[key] = value_node
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

    # -- provenance --------------------------------------------------------------

    def provenance(self, node: yaml.Node | None, what: str) -> Review | None:
        """The provenance of ``what`` (as problems name it), with its review date's place."""
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
        return Review(result, f.place("review_by"), what)
