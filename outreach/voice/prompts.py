"""A turn of the conversation as a call says it, and what each key means at its prompt.

The engine writes messages for screens ("1. Riesgos de migrar"); a call reads them out as
phrases, each with the key of its recording (the message's catalog context, or
``voice/<name>`` for the call's own phrases, keys.py) and the reviewed Spanish text a
recording of it is tied to. A menu is read as its options ("Riesgos de migrar." "Marque
1."), a list in pages, a yes/no question as two keys; a question that needs typed text is
said to be skipped. Which key chooses what is worked out from the session alone, so the
prompt said and the key pressed after it always agree.

Pure: no Twilio, no web, no storage (the service layer does those).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from outreach.engine import LANGUAGE_MENU, MORE_WORDS, Engine, Event, MessageCreated, Session
from outreach.engine import events as ev
from outreach.engine.model import (
    PLACEHOLDER,
    CheckKind,
    Command,
    DirectoryNode,
    EndNode,
    MenuNode,
    MessageNode,
    QuestionNode,
)

from .keys import (
    BACK_KEY,
    CHOICE_KEYS,
    END_KEY,
    ERASE_KEY,
    LANGUAGE_KEY,
    MENU_KEY,
    MORE_KEY,
    PAGE_SIZE,
    PHRASES,
    REPEAT_KEY,
    press,
)

#: What a directory listing's "go on" choice sends the engine: anything that is not "more"
#: (nor a flow keyword) moves on from a listing.
CONTINUE_WORD = "listo"


@dataclass(frozen=True)
class Phrase:
    """One thing a call says."""

    #: The recording's key: a catalog context (``main/menu``) or ``voice/<name>``.
    key: str
    #: The Spanish text as said, placeholders filled in: what <Say> speaks.
    text: str
    #: The reviewed Spanish text a recording of ``key`` is tied to; "" when no recording
    #: can say it (a text with a resident's field in it).
    source: str
    #: Said only in this language (a language's own name in the language menu).
    language: str | None = None

    def dump(self) -> str:
        return json.dumps([self.key, self.text, self.source, self.language], ensure_ascii=False)

    @classmethod
    def load(cls, body: str) -> Phrase:
        key, text, source, language = json.loads(body)
        return cls(str(key), str(text), str(source), None if language is None else str(language))


def phrase(key: str, source: str, fields: Mapping[str, str]) -> Phrase:
    """``source`` with the resident's ``fields`` filled in; a recording can say it only if
    it has no placeholder (a recording cannot say a department it was not made with)."""
    if "{" not in source:
        return Phrase(key, source, source)
    filled = PLACEHOLDER.sub(lambda m: fields.get(m.group(1), ""), source)
    return Phrase(key, filled, "")


def voice_phrase(name: str, language: str | None = None) -> Phrase:
    key = f"voice/{name}" if not name.startswith("voice/") else name
    text = PHRASES[key]
    return Phrase(key, text, text, language)


@dataclass(frozen=True)
class Choice:
    """A key at a prompt: what is said before "Marque N", and what pressing it does."""

    key: str
    phrases: tuple[Phrase, ...]
    #: The engine's input (an option's number, a department's name, "si"); None for a
    #: key that turns the page of a long list.
    input: str | None
    page: int = 0


@dataclass(frozen=True)
class Wait:
    """What the conversation waits for, as keys."""

    choices: tuple[Choice, ...] = ()
    #: A question only typed text answers: the call says so and moves on.
    typed: bool = False
    #: The language menu: its names are said each in its own language.
    languages: bool = False

    def choice(self, key: str) -> Choice | None:
        return next((c for c in self.choices if c.key == key), None)

    def phrases(self) -> list[Phrase]:
        """Each choice's words, then its key."""
        said: list[Phrase] = []
        for choice in self.choices:
            language = choice.phrases[0].language if choice.phrases else None
            said += choice.phrases
            said.append(replace(voice_phrase(press(choice.key)), language=language))
        return said


class Voice:
    """The spoken side of an engine's content."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.flows = engine.flows
        deployment = self.flows.deployment
        self.source_language = deployment.default_language
        commands = deployment.commands
        #: What the global keys send: the first word of each command.
        self.menu_word = commands[Command.MENU][0]
        self.language_word = commands[Command.LANGUAGE][0]
        self.delete_word = commands[Command.DELETE][0]

    # -- what a turn said ----------------------------------------------------------

    def said(self, events: Sequence[Event], session: Session) -> list[Phrase]:
        """The messages of a turn's ``events`` as phrases, in order. A menu's or a
        question's options are not here: they are the wait's (:meth:`wait`)."""
        fields = session.fields
        messages = [i for i, e in enumerate(events) if isinstance(e, MessageCreated)]
        phrases: list[Phrase] = []
        for n, i in enumerate(messages):
            event = events[i]
            assert isinstance(event, MessageCreated)
            if event.flow is not None and event.node is not None:
                end = messages[n + 1] if n + 1 < len(messages) else len(events)
                phrases += self._node_phrases(event, events[i + 1 : end], fields)
            elif n == len(messages) - 1 and session.pending == LANGUAGE_MENU:
                continue  # the language menu: said by its wait, each name in its language
            else:
                phrases += self._system_phrases(event, session)
        return phrases

    def _node_phrases(
        self, event: MessageCreated, after: Sequence[Event], fields: Mapping[str, str]
    ) -> list[Phrase]:
        assert event.flow is not None and event.node is not None
        flow = self.flows.flows.get(event.flow)
        node = flow.nodes.get(event.node) if flow else None
        context = f"{event.flow}/{event.node}"
        match node:
            case MessageNode() | EndNode() | MenuNode():
                return [phrase(context, node.text or "", fields)]
            case QuestionNode():
                prompt = self.engine.texts.prompt(event.flow, node, event.language, fields)
                if event.text == prompt.text:
                    return [phrase(context, node.text, fields)]
                if node.retry:  # an answer it did not take (the keys are said after it)
                    return [phrase(f"{context}/retry", node.retry, fields)]
                name = f"retry_{node.check.kind.value}"
                return [phrase(f"system/{name}", self.flows.deployment.texts[name], fields)]
            case DirectoryNode():
                directory = self.flows.directories[node.directory]
                programmes = {p.id: p for p in directory.programmes}
                shown = [
                    programmes[e.programme]
                    for e in after
                    if isinstance(e, ev.ReferralGiven) and e.programme in programmes
                ]
                if not shown:
                    return [phrase(f"{context}/empty", node.empty, fields)]
                said = [phrase(context, node.text, fields)]
                for programme in shown:
                    base = f"directory/{node.directory}/{programme.id}"
                    said.append(phrase(f"{base}/name", programme.name, fields))
                    said.append(phrase(f"{base}/contact", programme.contact, fields))
                return said
            case _:
                return self._fallback(event)

    def _system_phrases(self, event: MessageCreated, session: Session) -> list[Phrase]:
        """One of the service's own texts, told by its words in the resident's language."""
        deployment = self.flows.deployment
        texts = self.engine.texts
        for name, source in deployment.texts.items():
            if texts.system(name, event.language, session.fields).text == event.text:
                return [phrase(f"system/{name}", source, session.fields)]
        danger = deployment.danger
        if (
            danger is not None
            and texts.text(danger.text, "system/danger", event.language, {}).text == event.text
        ):
            return [phrase("system/danger", danger.text, {})]
        return self._fallback(event)

    def _fallback(self, event: MessageCreated) -> list[Phrase]:
        """A text nothing names: said as it is if it is Spanish, else not at all (no
        speech synthesis of a Mayan text, ever)."""
        if (event.text_language or event.language) == self.source_language:
            return [Phrase("", event.text, "")]
        return []

    # -- what it waits for -----------------------------------------------------------

    def wait(self, session: Session, page: int = 0) -> Wait:
        """The keys of the prompt the conversation in ``session`` waits at, page ``page``
        of a long list."""
        fields = session.fields
        if session.pending == LANGUAGE_MENU:
            return Wait(
                tuple(
                    Choice(key, (self._language_name(lang.code, lang.name),), lang.code)
                    for key, lang in zip(CHOICE_KEYS, self.engine.languages, strict=False)
                ),
                languages=True,
            )
        if not session.stack:
            return Wait()
        frame = session.stack[-1]
        flow = self.flows.flows.get(frame.flow)
        node = flow.nodes.get(frame.node or "") if flow else None
        context = f"{frame.flow}/{frame.node}"
        items: list[tuple[Phrase | None, str]]
        match node:
            case MenuNode():
                items = [
                    (phrase(f"{context}/option/{o.number}", o.label, fields), o.number)
                    for o in node.options
                ]
            case DirectoryNode():
                items = [
                    (voice_phrase("more"), MORE_WORDS[0]),
                    (voice_phrase("continue"), CONTINUE_WORD),
                ]
            case QuestionNode():
                check = node.check
                match check.kind:
                    case CheckKind.YES_NO:
                        deployment = self.flows.deployment
                        items = [
                            (voice_phrase("yes"), deployment.yes_words[0]),
                            (voice_phrase("no"), deployment.no_words[0]),
                        ]
                    case CheckKind.ONE_OF:
                        values = session.place_choices or [
                            item.value for item in self.flows.lists[check.list_id or ""].items
                        ]
                        items = [
                            (Phrase(f"list/{check.list_id}/{value}", value, value), value)
                            for value in values
                        ]
                    case CheckKind.NUMBER:
                        low, high = check.minimum, check.maximum
                        if low is None or high is None or low < 1 or high > len(CHOICE_KEYS):
                            return Wait(typed=True)
                        # The key is the number itself.
                        return Wait(tuple(Choice(str(n), (), str(n)) for n in range(low, high + 1)))
                    case CheckKind.TEXT:
                        return Wait(typed=True)
            case _:
                return Wait()
        return Wait(_paged(items, page))

    def _language_name(self, code: str, name: str) -> Phrase:
        """A language's name, said in that language: the Spanish phrase for Spanish, the
        recording of its name for another (voice_languages offers none without one)."""
        if code == self.source_language:
            return voice_phrase("language_name", code)
        return Phrase("voice/language_name", name, PHRASES["voice/language_name"], code)


def _paged(items: Sequence[tuple[Phrase | None, str]], page: int) -> tuple[Choice, ...]:
    """Up to eight items, one key each; more, in pages of :data:`PAGE_SIZE` with a key
    for the page before and one for the next."""

    def words(item: Phrase | None) -> tuple[Phrase, ...]:
        return () if item is None else (item,)

    if len(items) <= len(CHOICE_KEYS):
        keyed = zip(CHOICE_KEYS, items, strict=False)
        return tuple(Choice(k, words(p), text) for k, (p, text) in keyed)
    pages = (len(items) + PAGE_SIZE - 1) // PAGE_SIZE
    page = max(0, min(page, pages - 1))
    start = page * PAGE_SIZE
    shown = items[start : start + PAGE_SIZE]
    choices = [Choice(k, words(p), text) for k, (p, text) in zip(CHOICE_KEYS, shown, strict=False)]
    if page > 0:
        choices.append(Choice(BACK_KEY, (voice_phrase("back"),), None, page - 1))
    if page < pages - 1:
        choices.append(Choice(MORE_KEY, (voice_phrase("more"),), None, page + 1))
    return tuple(choices)


# -- keys pressed -------------------------------------------------------------------


@dataclass(frozen=True)
class CallState:
    """What a call carries from one prompt to the next, in the URL Twilio posts the key
    to (Twilio signs the whole URL, query included)."""

    #: This request's number in the call: the engine's message id is (CallSid, step).
    step: int = 0
    #: The step whose prompt is being answered (said again by the repeat key).
    prompt: int = 0
    #: The page of a long list being read.
    page: int = 0
    #: Prompts in a row with no key pressed.
    misses: int = 0
    #: In the end menu (after the end key).
    end_menu: bool = False
    #: The global keys were stated (once per call).
    told: bool = False

    def query(self) -> dict[str, str]:
        values = {"s": self.step, "p": self.prompt, "pg": self.page, "m": self.misses}
        query = {name: str(value) for name, value in values.items()}
        if self.end_menu:
            query["e"] = "1"
        if self.told:
            query["t"] = "1"
        return query

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> CallState:
        """From the query; anything odd is the start of a call (the URL is signed)."""

        def number(name: str) -> int:
            text = args.get(name, "0")
            return int(text) if text.isascii() and text.isdigit() and len(text) < 6 else 0

        return cls(
            number("s"), number("p"), number("pg"), number("m"),
            args.get("e") == "1", args.get("t") == "1",
        )  # fmt: skip


@dataclass(frozen=True)
class Send:
    """Give the engine this input."""

    text: str
    #: The BORRAR command: the call ends after its confirmation.
    erase: bool = False


@dataclass(frozen=True)
class Turn:
    """Read another page of the list."""

    page: int


@dataclass(frozen=True)
class Repeat:
    """Say the last prompt again (the repeat key, or after a key that chooses nothing)."""

    wrong_key: bool = False


@dataclass(frozen=True)
class EndMenu:
    """The end key: end the call, or erase the resident's data."""


@dataclass(frozen=True)
class NoKey:
    """No key before the timeout: say the prompt once more, then goodbye."""

    last: bool


@dataclass(frozen=True)
class HangUp:
    """Goodbye."""


Action = Send | Turn | Repeat | EndMenu | NoKey | HangUp


def decide(voice: Voice, wait: Wait, state: CallState, digits: str) -> Action:
    """What the key ``digits`` (empty: none) does at ``wait``."""
    key = digits[:1]
    if not key:
        return NoKey(last=state.misses >= 1)
    if state.end_menu:
        if key == END_KEY:
            return HangUp()
        if key == ERASE_KEY:
            return Send(voice.delete_word, erase=True)
        return Repeat()
    if key == END_KEY:
        return EndMenu()
    if key == REPEAT_KEY:
        return Repeat()
    choice = wait.choice(key)
    if choice is not None:
        return Send(choice.input) if choice.input is not None else Turn(choice.page)
    if key == MENU_KEY:
        return Send(voice.menu_word)
    if key == LANGUAGE_KEY:
        return Send(voice.language_word)
    return Repeat(wrong_key=True)


# -- from phrases to sound ------------------------------------------------------------


class Recorded(Protocol):
    """A recording (outreach.voice.recordings.Recording)."""

    @property
    def language(self) -> str: ...
    @property
    def path(self) -> Path: ...
    @property
    def source_hash(self) -> str: ...


class RecordingSource(Protocol):
    """Where recordings come from (outreach.voice.recordings.Recordings)."""

    def current(self, key: str, language: str, source_text: str) -> Recorded | None: ...
    def coverage(self, language: str, sources: Mapping[str, str]) -> float: ...


class NoRecordings:
    """No recording at all: every phrase is said by speech synthesis of its Spanish."""

    def current(self, key: str, language: str, source_text: str) -> Recorded | None:
        return None

    def coverage(self, language: str, sources: Mapping[str, str]) -> float:
        return 0.0


@dataclass(frozen=True)
class Play:
    """Play a recording: ``name`` in ``locales/<language>/audio/``, ``version`` the hash of
    the Spanish it says (the audio route's cache version)."""

    language: str
    name: str
    version: str = ""
    #: The Spanish text the recording was made from, for a person reading along (the
    #: simulator): not part of the sound, so two plays of one file are equal.
    text: str = field(default="", compare=False)


@dataclass(frozen=True)
class Say:
    """Speak Spanish text (never a Mayan one: no voice exists, and none is made up)."""

    text: str
    #: The phrases ``text`` is made of, in order (joined by spaces, they are ``text``),
    #: for a person reading along (the simulator lists them); not part of the sound.
    phrases: tuple[str, ...] = field(default=(), compare=False)


def sounds(
    phrases: Sequence[Phrase], language: str, recordings: RecordingSource, source_language: str
) -> list[Play | Say]:
    """Each phrase as a current recording in ``language``, else a Spanish recording, else
    speech of the Spanish text; consecutive speech is one <Say>, as a person says it."""
    out: list[Play | Say] = []
    for said in phrases:
        found = None
        if said.key and said.source:
            languages = [said.language] if said.language else [language, source_language]
            for code in dict.fromkeys(languages):
                found = recordings.current(said.key, code, said.source)
                if found is not None:
                    break
        if found is not None:
            out.append(Play(found.language, found.path.name, found.source_hash, said.source))
        elif said.text:
            last = out[-1] if out else None
            if isinstance(last, Say):
                # A label ends with no stop; spoken before its key it needs one.
                stop = "" if last.text[-1:] in ".?!:;" else "."
                parts = (*last.phrases[:-1], last.phrases[-1] + stop, said.text)
                out[-1] = Say(f"{last.text}{stop} {said.text}", parts)
            else:
                out.append(Say(said.text, (said.text,)))
    return out


def voice_languages(
    engine_languages: Sequence[str],
    source_language: str,
    recordings: RecordingSource,
    sources: Mapping[str, str],
    min_coverage: float,
) -> list[str]:
    """The languages a call offers, in the deployment's order: the source language always,
    another once ``min_coverage`` percent of ``sources`` have a current recording in it,
    whatever its written catalog covers, and only with a current recording of its own
    name: the language menu says each name in its language, and the Spanish voice must
    never read a Mayan word."""
    name = PHRASES["voice/language_name"]
    return [
        code
        for code in engine_languages
        if code == source_language
        or (
            recordings.current("voice/language_name", code, name) is not None
            and recordings.coverage(code, sources) >= min_coverage
        )
    ]
