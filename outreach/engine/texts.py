"""A node's words as a resident reads them: translated, placeholders filled in.

Every text comes back as a :class:`Said`: the words and the language they are really in.
A text with no translation is sent in the source language, and a channel shapes it as
such (Spanish fallback text keeps its Spanish accents rules, not the resident's), so a
message made of several texts is in the source language as soon as one part fell back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from .model import PLACEHOLDER, DirectoryNode, FlowSet, Language, MenuNode, Programme, QuestionNode


class Translate(Protocol):
    """Looks up the translation of a source text; returns the very text object it was
    given if there is none (the engine tells a fallback by identity).

    ``context`` names where the text comes from (``flow/node``, ``system/help``).
    """

    def __call__(self, text: str, context: str, language: str) -> str: ...


def untranslated(text: str, context: str, language: str) -> str:
    return text


class Said(NamedTuple):
    """Words for a resident, and the language they are in: the resident's, or the source
    language where a translation was missing. (A tuple: a turn makes many.)"""

    text: str
    language: str


@dataclass(frozen=True)
class ListingPage:
    """One page of a directory listing: what it says, the programmes on it, and how many
    programmes match on all its pages."""

    said: Said
    programmes: tuple[Programme, ...]
    found: int


#: A numbered list is sent in parts of at most this many characters, so that each goes
#: as one SMS (160 GSM-7 characters) even when SMS shaping lengthens a character or two.
LIST_PART_LENGTH = 150


def directory_page(
    flows: FlowSet, node: DirectoryNode, fields: Mapping[str, str], page: int
) -> tuple[list[Programme], int]:
    """The programmes on page ``page`` (from 0) of a listing for the department saved in
    ``fields``, and how many match in all."""
    directory = flows.directories[node.directory]
    department = fields.get(node.field)
    matching = [
        p for p in directory.programmes
        if department is not None and p.serves(department)
        and (node.kind is None or p.kind == node.kind)
    ]  # fmt: skip
    start = page * node.page_size
    return matching[start : start + node.page_size], len(matching)


class Texts:
    """The words of a flow set in each language, through ``translate``."""

    def __init__(
        self,
        flows: FlowSet,
        translate: Translate,
        source_language: str,
        languages: Sequence[Language],
    ) -> None:
        self.flows = flows
        self.translate = translate
        self.source_language = source_language
        self.languages = tuple(languages)

    def text(self, source: str, context: str, language: str, fields: Mapping[str, str]) -> Said:
        """``source`` in ``language``, with the resident's ``fields`` in its placeholders."""
        return Said(*self._text(source, context, language, fields))

    def _text(
        self, source: str, context: str, language: str, fields: Mapping[str, str]
    ) -> tuple[str, str]:
        """:meth:`text` as a plain pair, for the lines of one message (a menu's options)."""
        translated = self.translate(source, context, language)
        if translated is source:
            language = self.source_language  # no translation: the source is sent
        if "{" in translated:  # most texts have no placeholder: skip the regex
            translated = PLACEHOLDER.sub(lambda m: fields.get(m.group(1), ""), translated)
        return translated, language

    def system(self, name: str, language: str, fields: Mapping[str, str]) -> Said:
        """One of the deployment's own texts (``help``, ``not_understood``...)."""
        return self.text(self.flows.deployment.texts[name], f"system/{name}", language, fields)

    def language_of(self, parts: Sequence[Said]) -> str:
        """The language of a message made of ``parts``: the source as soon as one is."""
        if any(part.language == self.source_language for part in parts):
            return self.source_language
        return parts[0].language

    def join(self, parts: Sequence[Said]) -> Said:
        """``parts`` as the lines of one message."""
        return Said("\n".join(part.text for part in parts), self.language_of(parts))

    def prompt(
        self, flow_id: str, node: MenuNode | QuestionNode, language: str, fields: Mapping[str, str]
    ) -> Said:
        """What a menu or a question says when it waits: a menu with its options numbered."""
        prompt = self.text(node.text, f"{flow_id}/{node.id}", language, fields)
        if isinstance(node, QuestionNode):
            return prompt
        lines = [prompt.text]
        said_in = prompt.language
        for option in node.options:
            context = f"{flow_id}/{node.id}/option/{option.number}"
            label, label_in = self._text(option.label, context, language, fields)
            lines.append(f"{option.number}. {label}")
            if label_in == self.source_language:
                said_in = label_in  # as in language_of
        return Said("\n".join(lines), said_in)

    def retry(
        self, flow_id: str, node: QuestionNode, language: str, fields: Mapping[str, str]
    ) -> list[Said]:
        """What a question says after an answer it did not understand: its retry text (or
        the deployment's for its kind of check) and, for a list shown ``numbered``, the
        list itself, in parts that each fit an SMS."""
        if node.retry:
            retry = self.text(node.retry, f"{flow_id}/{node.id}/retry", language, fields)
        else:
            retry = self.system(f"retry_{node.check.kind.value}", language, fields)
        choice_list = self.flows.lists.get(node.check.list_id or "")
        if choice_list is None or not choice_list.numbered:
            return [retry]
        # The list itself is the best prompt: numbered, so a resident who cannot spell a
        # name can answer with its number.
        return self.numbered_list(retry, [item.value for item in choice_list.items])

    def numbered_list(self, heading: Said, values: Sequence[str]) -> list[Said]:
        """``heading`` and ``values`` numbered from 1, in messages of at most
        :data:`LIST_PART_LENGTH` characters, split between values.

        Values are not translated: after the first, a part is in the source language."""
        parts: list[str] = []
        current = heading.text
        for number, value in enumerate(values, start=1):
            line = f"{number}. {value}"
            if current and len(current) + 1 + len(line) > LIST_PART_LENGTH:
                parts.append(current)
                current = line
            else:
                current = f"{current}\n{line}" if current else line
        parts.append(current)
        return [
            Said(part, heading.language if number == 0 else self.source_language)
            for number, part in enumerate(parts)
        ]

    def listing(
        self,
        flow_id: str,
        node: DirectoryNode,
        page: int,
        language: str,
        fields: Mapping[str, str],
    ) -> ListingPage:
        """Page ``page`` (from 0) of a directory listing, for the department in ``fields``."""
        programmes, found = directory_page(self.flows, node, fields, page)
        context = f"{flow_id}/{node.id}"
        if not programmes:
            empty = self.text(node.empty, f"{context}/empty", language, fields)
            return ListingPage(empty, (), found)
        lines = [self.text(node.text, context, language, fields)]
        # Name and contact only: a page must fit one SMS. A programme's hours and
        # eligibility are not sent (and are None where the source does not say).
        for programme in programmes:
            base = f"directory/{node.directory}/{programme.id}"
            name = self.text(programme.name, f"{base}/name", language, fields)
            contact = self.text(programme.contact, f"{base}/contact", language, fields)
            lines.append(Said(f"- {name.text}: {contact.text}", self.language_of([name, contact])))
        if (page + 1) * node.page_size < found:
            lines.append(self.text(node.more, f"{context}/more", language, fields))
        return ListingPage(self.join(lines), tuple(programmes), found)

    def language_menu(self, prompt: Said | None, language: str) -> Said:
        """The numbered list of offered languages under ``prompt``; without one (a new
        resident, whose language nobody knows yet) the prompt is given in all of them."""
        if prompt is None:
            source = self.flows.deployment.texts["language_menu"]
            prompts = [
                self.translate(source, "system/language_menu", lang.code) for lang in self.languages
            ]
            prompt = Said(" / ".join(dict.fromkeys(prompts)), language)
        lines = [prompt.text] + [f"{n}. {lang.name}" for n, lang in enumerate(self.languages, 1)]
        return Said("\n".join(lines), prompt.language)
