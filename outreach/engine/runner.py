"""The engine: one resident message in, the new session state and events out.

It is pure: no I/O, no clock, no randomness. The time of the message and a generator of
run ids are passed in, so the same inputs always give the same sprint.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from . import events as ev
from .matching import (
    Choice,
    ChoiceMatcher,
    KeywordMatcher,
    ListMatcher,
    PhraseSpotter,
    find_integer,
    normalize,
    parse_number,
)
from .model import (
    PLACEHOLDER,
    BranchNode,
    CheckKind,
    ChoiceList,
    Command,
    DirectoryNode,
    EndNode,
    Flow,
    FlowNode,
    FlowSet,
    Language,
    ListItem,
    MenuNode,
    MessageNode,
    Node,
    Option,
    Programme,
    QuestionNode,
    flows_run_from,
    menu_options,
)
from .session import Frame, Session

DEFAULT_MAX_STEPS = 100
DEFAULT_SESSION_TIMEOUT = timedelta(days=3)
LANGUAGE_MENU = "language"

#: Commands whose keywords must match exactly, never as a typo of something else.
_EXACT_ONLY = frozenset({Command.STOP, Command.DELETE})


class Translate(Protocol):
    """Looks up the translation of a source text; returns the very text object it was
    given if there is none (the engine tells a fallback by identity).

    ``context`` names where the text comes from (``flow/node``, ``system/help``).
    """

    def __call__(self, text: str, context: str, language: str) -> str: ...


def untranslated(text: str, context: str, language: str) -> str:
    return text


def counter_ids(prefix: str = "run") -> Callable[[], str]:
    """Predictable ids (``run-1``, ``run-2``...) for tests and simulators."""
    numbers = itertools.count(1)
    return lambda: f"{prefix}-{next(numbers)}"


@dataclass(frozen=True)
class Inbound:
    """A resident's message as the engine sees it: no phone number, ever."""

    text: str
    channel: str = "sms"
    #: A language the channel already knows (e.g. picked in the web simulator), if any.
    language: str | None = None


@dataclass
class Sprint:
    """The outcome of one turn: the session to save and what happened."""

    session: Session
    events: list[ev.Event] = field(default_factory=list)

    @property
    def messages(self) -> list[str]:
        return [e.text for e in self.events if isinstance(e, ev.MessageCreated)]

    @property
    def outgoing(self) -> list[tuple[str, str]]:
        """Each message with the language its text is in (for shaping)."""
        return [
            (e.text, e.text_language or e.language)
            for e in self.events
            if isinstance(e, ev.MessageCreated)
        ]


class Engine:
    """Runs conversations over a loaded :class:`FlowSet`.

    Building an engine prepares matchers for every menu, list and keyword once; each
    :meth:`resume` then only walks nodes.
    """

    def __init__(
        self,
        flows: FlowSet,
        *,
        new_id: Callable[[], str],
        translate: Translate = untranslated,
        languages: Sequence[str] | None = None,
        max_steps: int = DEFAULT_MAX_STEPS,
        session_timeout: timedelta = DEFAULT_SESSION_TIMEOUT,
    ) -> None:
        """``languages`` are the codes offered to residents (by default every language of
        the deployment); the first is the source language of the flows."""
        self.flows = flows
        self.new_id = new_id
        self.translate = translate
        self.max_steps = max_steps
        self.session_timeout = session_timeout
        deployment = flows.deployment
        by_code = {lang.code: lang for lang in deployment.languages}
        codes = list(languages) if languages is not None else list(by_code)
        self.languages: tuple[Language, ...] = tuple(by_code[c] for c in codes if c in by_code)
        self.source_language = deployment.default_language
        # Global commands work in every offered language, whatever the resident's. A
        # translated command word that is also an answer somewhere (an option, yes/no, a
        # list value) is left out: "no" must never stop anyone. `outreach check` reports it.
        answers = answer_words(flows)
        self._commands = KeywordMatcher(
            [
                (word, command, command not in _EXACT_ONLY)
                for command, words in deployment.commands.items()
                for lang in self.languages
                for word in self.words(words, f"command/{command.value}", lang.code)
                if word in words or normalize(word) not in answers
            ]
        )
        self._entry: dict[str, KeywordMatcher[str]] = {}
        self._menus: dict[tuple[str, str, str], ChoiceMatcher[Option]] = {}
        # List answers forgive spaces, hyphens and typos (see ListMatcher), prepared here
        # once. A number chooses an item only once the numbered list was shown.
        self._lists = {
            choice_list.id: ListMatcher(
                (item.value, (item.value, *item.aliases)) for item in choice_list.items
            )
            for choice_list in flows.lists.values()
        }
        # A reply that names no item may name a place in one (a municipality in its
        # department) by its whole name or an alias, forgiving accents and typos; never a
        # guess between two items that both have a place so named.
        self._places = {
            choice_list.id: ListMatcher(
                ((place.item, (place.name, *place.aliases)) for place in choice_list.places),
                by_word=False,
            )
            for choice_list in flows.lists.values()
            if choice_list.places
        }
        self._languages = ChoiceMatcher(
            Choice(lang.code, number, (lang.code, lang.name))
            for number, lang in enumerate(self.languages, start=1)
        )
        self._language_names = KeywordMatcher(
            [(lang.name, lang.code, False) for lang in self.languages]
        )
        self._yes_no: dict[str, KeywordMatcher[str]] = {}
        self._more: dict[str, KeywordMatcher[bool]] = {}
        # Danger words of every language are searched for every resident: many write
        # Spanish whatever their language, and a Mayan language has no list of its own
        # until translators give one.
        danger = deployment.danger
        self._danger: PhraseSpotter[str] | None = (
            PhraseSpotter([(w, code) for code, words in danger.words.items() for w in words])
            if danger
            else None
        )
        self._danger_flows = (
            flows_run_from(flows.flows, danger.flow) if danger and danger.flow else set()
        )

    def words(self, words: Sequence[str], context: str, language: str) -> list[str]:
        """Keywords in the source language and, translated, in ``language``."""
        found = list(words)
        if language != self.source_language and words:
            translated = self.translate(", ".join(words), context, language)
            found += [w.strip() for w in translated.split(",") if w.strip()]
        return found

    def yes_no_matcher(self, language: str) -> KeywordMatcher[str]:
        """Yes and no in the source language and, translated, in ``language``."""
        if language not in self._yes_no:
            deployment = self.flows.deployment
            yes = self.words(deployment.yes_words, "system/yes_words", language)
            no = self.words(deployment.no_words, "system/no_words", language)
            self._yes_no[language] = KeywordMatcher(
                [(w, "yes", False) for w in yes] + [(w, "no", False) for w in no]
            )
        return self._yes_no[language]

    def entry_matcher(self, language: str) -> KeywordMatcher[str]:
        """Flow keywords in the source language and in ``language``."""
        if language not in self._entry:
            self._entry[language] = KeywordMatcher(
                [
                    (word, flow.id, True)
                    for flow in self.flows.flows.values()
                    for word in self.words(flow.keywords, f"{flow.id}/keywords", language)
                ]
            )
        return self._entry[language]

    def menu_matcher(self, flow: str, menu: MenuNode, language: str) -> ChoiceMatcher[Option]:
        """A menu's options by number, label and keywords, in the source language and in
        ``language``."""
        key = (flow, menu.id, language)
        if key not in self._menus:
            choices = []
            for option in menu.options:
                context = f"{flow}/{menu.id}/option/{option.number}"
                phrases = [
                    option.label,
                    *self.words(option.keywords, f"{context}/keywords", language),
                ]
                if language != self.source_language:
                    phrases.append(self.translate(option.label, context, language))
                choices.append(Choice(option, _as_int(option.number), tuple(phrases)))
            # A leftover "MAS" after the last page of a listing is not "Más o menos".
            reserved = self.words(MORE_WORDS, "system/more_words", language)
            self._menus[key] = ChoiceMatcher(choices, reserved)
        return self._menus[key]

    def preview(
        self, flow_id: str, node_id: str, language: str, fields: dict[str, str]
    ) -> str | None:
        """The message a node sends to a resident of ``language`` with these fields, or
        None for nodes that send nothing (for cost previews and translators)."""
        session = Session(language=language, language_chosen=True, fields=dict(fields))
        turn = _Turn(self, session, datetime.min)
        node = self.flows.flows[flow_id].nodes[node_id]
        if isinstance(node, MenuNode | QuestionNode):
            return turn.render(flow_id, node)
        if isinstance(node, MessageNode) or (isinstance(node, EndNode) and node.text):
            return turn.text(node.text or "", f"{flow_id}/{node.id}")
        if isinstance(node, DirectoryNode):
            page, found = directory_page(self, flow_id, node, session)
            return turn.directory_text(flow_id, node, page, found)
        return None

    def more_matcher(self, language: str) -> KeywordMatcher[bool]:
        """Words that ask for the next page of a listing."""
        if language not in self._more:
            words = self.words(MORE_WORDS, "system/more_words", language)
            self._more[language] = KeywordMatcher([(w, True, True) for w in words])
        return self._more[language]

    def language_menu(self, prompt: str | None = None) -> str:
        """The numbered list of offered languages under ``prompt``; without one (a new
        resident, whose language nobody knows yet) the prompt is given in all of them."""
        if prompt is None:
            source = self.flows.deployment.texts["language_menu"]
            prompts = [
                self.translate(source, "system/language_menu", lang.code) for lang in self.languages
            ]
            prompt = " / ".join(dict.fromkeys(prompts))
        lines = [prompt] + [f"{n}. {lang.name}" for n, lang in enumerate(self.languages, 1)]
        return "\n".join(lines)

    def new_session(self, language: str | None = None) -> Session:
        """A session for a resident never seen before. Given a ``language`` (a simulator,
        a test), the resident is not asked to choose one."""
        if language is not None:
            return Session(language=language, language_chosen=True)
        return Session(language=self.source_language)

    def resume(self, session: Session | None, message: Inbound, now: datetime) -> Sprint:
        """Handle one message from a resident and return what happened."""
        state = self.new_session() if session is None else _copy(session)
        turn = _Turn(self, state, now)
        turn.handle(message)
        state.last_seen = now
        return Sprint(state, turn.events)


#: Words asking for the next page of a directory listing (translatable).
MORE_WORDS = ("mas", "más", "more", "siguiente", "ver mas")


def directory_page(
    engine: Engine, flow_id: str, node: DirectoryNode, session: Session
) -> tuple[list[Programme], int]:
    """The programmes on the session's current page, and how many match in all."""
    directory = engine.flows.directories[node.directory]
    department = session.fields.get(node.field)
    matching = [
        p for p in directory.programmes
        if department is not None and p.serves(department)
        and (node.kind is None or p.kind == node.kind)
    ]  # fmt: skip
    start = session.page * node.page_size
    return matching[start : start + node.page_size], len(matching)


#: A numbered list is sent in parts of at most this many characters, so that each goes
#: as one SMS (160 GSM-7 characters) even when SMS shaping lengthens a character or two.
LIST_PART_LENGTH = 150


def numbered_list(heading: str, choice_list: ChoiceList) -> list[str]:
    """``heading`` and the items of ``choice_list`` numbered from 1, in messages of at
    most :data:`LIST_PART_LENGTH` characters, split between items."""
    parts: list[str] = []
    current = heading
    for number, item in enumerate(choice_list.items, start=1):
        line = f"{number}. {item.value}"
        if current and len(current) + 1 + len(line) > LIST_PART_LENGTH:
            parts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    parts.append(current)
    return parts


def answer_words(flows: FlowSet) -> frozenset[str]:
    """Every word that answers something in the source language: option labels and
    keywords, yes and no, list values. A command word must not be one of them."""
    words: set[str] = set()
    for _flow, _menu, option in menu_options(flows):
        words |= {normalize(w) for w in (option.label, *option.keywords)}
    deployment = flows.deployment
    words |= {normalize(w) for w in (*deployment.yes_words, *deployment.no_words)}
    for choice_list in flows.lists.values():
        for item in choice_list.items:
            words |= {normalize(w) for w in (item.value, *item.aliases)}
    return frozenset(words)


def _as_int(number: str) -> int | None:
    return int(number) if number.isdigit() else None


def _copy(session: Session) -> Session:
    return Session(
        language=session.language,
        language_chosen=session.language_chosen,
        fields=dict(session.fields),
        stack=[Frame(f.flow, f.node, f.run) for f in session.stack],
        pending=session.pending,
        page=session.page,
        list_shown=session.list_shown,
        place_choices=list(session.place_choices),
        not_understood=session.not_understood,
        opted_out=session.opted_out,
        welcomed=session.welcomed,
        ran_once=list(session.ran_once),
        last_seen=session.last_seen,
    )


class _LoopGuard(Exception):
    """Raised inside a turn when it takes more steps than allowed."""


class _Turn:
    """The work of one :meth:`Engine.resume` call."""

    def __init__(self, engine: Engine, session: Session, now: datetime) -> None:
        self.engine = engine
        self.flows = engine.flows
        self.deployment = engine.flows.deployment
        self.session = session
        self.now = now
        self.events: list[ev.Event] = []
        self.steps = 0
        #: Whether a part of the message being built had no translation.
        self.untranslated = False

    # -- entry point -------------------------------------------------------------

    def handle(self, message: Inbound) -> None:
        try:
            self.dispatch(message)
        except _LoopGuard:
            frame = self.session.stack[-1] if self.session.stack else None
            reason = f"more than {self.engine.max_steps} steps without waiting for the resident"
            self.fail(frame.flow if frame else None, frame.node if frame else None, reason)

    def fail(self, flow: str | None, node: str | None, reason: str) -> None:
        """Broken content, not the resident's fault: say so and offer the main menu."""
        self.log(ev.RunFailed(self.now, flow, node, reason))
        self.session.stack.clear()
        self.session.pending = None
        self.say_system("failed")

    def dispatch(self, message: Inbound) -> None:
        session = self.session
        engine = self.engine
        text = normalize(message.text)
        if session.last_seen and self.now - session.last_seen > engine.session_timeout:
            session.stack.clear()
            session.pending = None
            session.not_understood = 0
            session.place_choices = []
            session.ran_once.clear()  # a new conversation
        self.drop_stale_frames()
        if (
            message.language
            and not session.language_chosen
            and message.language in {lang.code for lang in engine.languages}
        ):
            # The channel already knows the language (the web simulator's picker).
            self.settle_language(message.language)
        command = engine._commands.match(text)
        if command is Command.DELETE:
            # Erasure is a right that holds even after STOP.
            self.erase()
            return
        if session.opted_out:
            # An opted-out resident hears nothing until they opt in again.
            if command is Command.START:
                session.opted_out = False
                self.log(ev.OptInRequested(self.now))
                self.say_system("started")
                self.begin(None)
            return
        if self.recognise_danger(text):
            return
        if command is not None:
            self.run_command(command)
        elif session.pending == LANGUAGE_MENU:
            self.choose_language(text)
        elif session.stack:
            self.answer(text, message.text)
        elif not session.language_chosen:
            self.first_contact(text)
        else:
            self.begin(engine.entry_matcher(session.language).match(text))

    def begin(self, target: str | None) -> None:
        """Start ``target`` (None: the main menu) as a new conversation.

        A resident never welcomed gets the welcome flow (greeting and privacy notice)
        first, whatever they wrote, and then what they asked for, which waits under it.
        A resident already welcomed who asks for the welcome again ("hola") gets the short
        ``welcome_back`` text and the main menu, not the whole notice again."""
        session = self.session
        deployment = self.deployment
        welcome = deployment.welcome_flow
        if welcome is None:
            self.start_flow(target or deployment.main_flow, replace=True)
            return
        if target == welcome:
            target = None
            if session.welcomed and "welcome_back" in deployment.texts:
                self.say_system("welcome_back")
        if session.welcomed:
            self.start_flow(target or deployment.main_flow, replace=True)
            return
        session.welcomed = True
        session.stack.clear()
        session.pending = None
        session.not_understood = 0
        greeting = self.flow(welcome)
        asked = self.flow(target or deployment.main_flow)
        greeting_run, asked_run = self.engine.new_id(), self.engine.new_id()
        # The asked-for flow waits under the welcome, at its start, and runs as soon as
        # the welcome completes.
        session.stack.append(Frame(asked.id, asked.start, asked_run))
        session.stack.append(Frame(greeting.id, greeting.start, greeting_run))
        self.log(ev.FlowStarted(self.now, greeting.id, greeting_run))
        self.log(ev.FlowStarted(self.now, asked.id, asked_run))
        self.walk()

    def recognise_danger(self, text: str) -> bool:
        """A danger word anywhere in the message: the emergency message at once, and the
        conversation stays where it was, so the resident can go on (or ask for more).

        A reply that is, as a whole, an answer to what the conversation waits for (an
        option's label, a department) is that answer: a resident choosing the menu's
        topic "Secuestro" asked for it. `outreach check` reports such answers."""
        danger = self.deployment.danger
        spotter = self.engine._danger
        if danger is None or spotter is None:
            return False
        found = spotter.spot(text)
        if not found or self.is_exact_answer(text) or self.understood_in_danger_flow(text):
            return False
        session = self.session
        if not session.language_chosen:
            # The words' language settles the resident's, as a flow keyword does.
            offered = [lang.code for lang in self.engine.languages]
            if session.language not in found:
                code = next((c for c in offered if c in found), None)
                if code is not None:
                    self.settle_language(code)
        frame = session.stack[-1] if session.stack else None
        self.log(
            ev.DangerRecognised(
                self.now, frame.flow if frame else None, frame.node if frame else None,
                session.language,
            )
        )  # fmt: skip
        self.say(self.text(danger.text, "system/danger"), None, None)
        return True

    def understood_in_danger_flow(self, text: str) -> bool:
        """True at a menu of the danger flow (or a flow it runs) that understands
        ``text``: there the resident already reads what to do, and "mi hijo no aparece"
        chooses the right topic."""
        stack = self.session.stack
        if not stack or stack[-1].flow not in self.engine._danger_flows:
            return False
        frame = stack[-1]
        node = self.flow(frame.flow).nodes.get(frame.node or "")
        if not isinstance(node, MenuNode):
            return False
        matcher = self.engine.menu_matcher(frame.flow, node, self.session.language)
        return matcher.match(text) is not None

    def is_exact_answer(self, text: str) -> bool:
        """True if ``text`` is, as a whole, an answer to the current wait."""
        session = self.session
        engine = self.engine
        if session.pending == LANGUAGE_MENU:
            return engine._languages.exact(text)
        if not session.stack:
            return False
        frame = session.stack[-1]
        node = self.flow(frame.flow).nodes.get(frame.node or "")
        if isinstance(node, MenuNode):
            return engine.menu_matcher(frame.flow, node, session.language).exact(text)
        if isinstance(node, DirectoryNode):
            return engine.more_matcher(session.language).exact(text)
        if not isinstance(node, QuestionNode):
            return False
        kind = node.check.kind
        if kind is CheckKind.YES_NO:
            return engine.yes_no_matcher(session.language).exact(text)
        if kind is CheckKind.NUMBER:
            return parse_number(text) is not None
        if kind is CheckKind.ONE_OF:
            shown = session.list_shown or session.place_choices
            if shown and parse_number(text) is not None:
                return True
            return engine._lists[node.check.list_id or ""].exact(text)
        return False  # a free-text answer is no reason to miss a danger

    def drop_stale_frames(self) -> None:
        """A session saved before the flows were edited may point at a node that is gone."""
        flows = self.flows.flows
        for frame in self.session.stack:
            flow = flows.get(frame.flow)
            if flow is None or (frame.node is not None and frame.node not in flow.nodes):
                self.log(
                    ev.RunFailed(
                        self.now,
                        frame.flow,
                        frame.node,
                        "the flow or node of this session no longer exists",
                    )
                )
                self.session.stack.clear()
                self.session.pending = None
                return

    def erase(self) -> None:
        self.log(ev.ErasureRequested(self.now))
        # The confirmation goes out in the resident's language; then nothing is kept,
        # except that a resident who said STOP still receives nothing.
        self.say_system("deleted")
        opted_out = self.session.opted_out
        fresh = self.engine.new_session()
        fresh.opted_out = opted_out
        self.session.__dict__.update(fresh.__dict__)

    # -- commands ----------------------------------------------------------------

    def run_command(self, command: Command) -> None:
        session = self.session
        session.not_understood = 0
        if command in (Command.MENU, Command.START):
            session.pending = None
            self.begin(None)
        elif command is Command.HELP:
            self.log(ev.HelpRequested(self.now))
            if not session.welcomed and self.deployment.welcome_flow:
                self.begin(None)  # the welcome and notice come before anything else
                self.say_system("help")
                return
            self.say_system("help")
            self.prompt_again()
        elif command is Command.LANGUAGE:
            session.pending = LANGUAGE_MENU
            self.show_language_menu()
        elif command is Command.STOP:
            session.stack.clear()
            session.pending = None
            session.opted_out = True
            self.log(ev.OptOutRequested(self.now))
            self.say_system("stopped")

    def first_contact(self, text: str) -> None:
        """A new resident: a flow keyword or a language's name settles the language;
        otherwise, when more than one language is offered, they choose one first."""
        session = self.session
        engine = self.engine
        for lang in engine.languages:
            flow = engine.entry_matcher(lang.code).match(text)
            if flow is not None:
                self.settle_language(lang.code)
                self.begin(flow)
                return
        named = engine._language_names.match(text)
        if named is not None or len(engine.languages) < 2:
            self.settle_language(named or session.language)
            self.begin(None)
            return
        session.pending = LANGUAGE_MENU
        self.show_language_menu()

    def settle_language(self, code: str) -> None:
        session = self.session
        session.language_chosen = True
        if code != session.language:
            self.log(ev.LanguageChanged(self.now, code, session.language))
            session.language = code

    def show_language_menu(self) -> None:
        if self.session.language_chosen:
            self.say(self.engine.language_menu(self.system_text("language_menu")), None, None)
        else:
            self.say(self.engine.language_menu(), None, None)

    def choose_language(self, text: str) -> None:
        code = self.engine._languages.match(text)
        if code is None:
            self.not_understood(None, None)
            return
        session = self.session
        first_time = not session.language_chosen
        session.pending = None
        session.not_understood = 0
        self.settle_language(code)
        if session.stack:
            self.say_system("language_changed")
            self.prompt_again()
        elif first_time:
            self.begin(None)
        else:
            self.say_system("language_changed")
            self.begin(None)

    # -- answers at a wait -------------------------------------------------------

    def answer(self, text: str, raw: str) -> None:
        frame = self.session.stack[-1]
        node = self.flow(frame.flow).nodes[frame.node or ""]
        if isinstance(node, MenuNode):
            option = self.engine.menu_matcher(frame.flow, node, self.session.language).match(text)
            if option is not None:
                self.session.not_understood = 0
                self.choose(frame, node, option)
                return
        elif isinstance(node, QuestionNode):
            value = self.check_answer(node, text, raw)
            if value is not None:
                self.session.not_understood = 0
                self.session.fields[node.save] = value
                self.log(ev.FieldSaved(self.now, node.save, value, frame.flow, node.id))
                self.continue_at(node.next)
                return
            if self.ask_which_item(frame.flow, node, text):
                return
        elif isinstance(node, DirectoryNode):
            # "more" shows the next page; a flow keyword opens its flow; anything else
            # moves on.
            if self.engine.more_matcher(self.session.language).match(text):
                self.session.page += 1
                if not self.show_directory_page(frame.flow, node):
                    self.session.page = 0
                    self.continue_at(node.next)
                return
            self.session.page = 0
            if self.engine.entry_matcher(self.session.language).match(text) is None:
                self.continue_at(node.next)
                return
        entry = self.engine.entry_matcher(self.session.language).match(text)
        if entry is not None:
            self.begin(entry)
            return
        self.not_understood(frame.flow, node)

    def choose(self, frame: Frame, menu: MenuNode, option: Option) -> None:
        if option.flow and self.already_ran(option.flow):
            self.continue_at(option.next or menu.id)
        elif option.flow:
            # Come back to the option's ``next`` or, by default, to this menu.
            frame.node = option.next or menu.id
            self.start_flow(option.flow, replace=False)
        else:
            self.continue_at(option.go)

    def check_answer(self, node: QuestionNode, text: str, raw: str) -> str | None:
        check = node.check
        if check.kind is CheckKind.TEXT:
            # Saved as the resident wrote it (trimmed), not in the matching form.
            return " ".join(raw.split()) if text else None
        if check.kind is CheckKind.YES_NO:
            first = text.split(" ", 1)[0]
            yes_no = self.engine.yes_no_matcher(self.session.language)
            return yes_no.match(text) or yes_no.match(first)
        if check.kind is CheckKind.NUMBER:
            number = find_integer(text)
            if number is None:
                return None
            if check.minimum is not None and number < check.minimum:
                return None
            if check.maximum is not None and number > check.maximum:
                return None
            return str(number)
        choice_list = self.flows.lists[check.list_id or ""]
        offered = self.session.place_choices
        number = parse_number(text)
        if offered and number is not None:
            # The number of one of the items the follow-up offered (see ask_which_item).
            return offered[number - 1] if 1 <= number <= len(offered) else None
        if self.session.list_shown and number is not None:
            in_range = 1 <= number <= len(choice_list.items)
            return choice_list.items[number - 1].value if in_range else None
        items = self.engine._lists[choice_list.id]
        places = self.engine._places.get(choice_list.id)
        if places is None or items.exact(text):
            return items.match(text)
        if places.exact(text):
            # A place's whole name beats one word of an item's: "Antigua Guatemala" is
            # in Sacatepéquez. A name two items share stays unchosen (None).
            return places.match(text)
        found = items.match(text)
        return found if found is not None else places.match(text)

    def ask_which_item(self, flow: str, node: QuestionNode, text: str) -> bool:
        """A reply that is, as a whole, the name of a place several items share ("San
        José" is in Escuintla and in Petén): ask which, offering only those items,
        numbered in the list's order. True if asked (the deployment has the text)."""
        choice_list = self.flows.lists.get(node.check.list_id or "")
        places = self.engine._places.get(node.check.list_id or "")
        if choice_list is None or places is None or "place_which" not in self.deployment.texts:
            return False
        named = places.named(text)
        if len(named) < 2:
            return False
        compact = text.replace(" ", "")
        place = next(
            p.name
            for p in choice_list.places
            if p.item in named
            and any(normalize(n).replace(" ", "") == compact for n in (p.name, *p.aliases))
        )
        offered = [item for item in choice_list.items if item.value in named]
        session = self.session
        session.not_understood = 0
        session.list_shown = False
        session.place_choices = [item.value for item in offered]
        self.say_place_choices(flow, node, place)
        return True

    def say_place_choices(self, flow: str, node: QuestionNode, place: str = "") -> None:
        """The follow-up of :meth:`ask_which_item`, in messages that each fit an SMS;
        asked again (after help, a new language) without the place's name."""
        choices = self.session.place_choices
        heading = self.system_text("place_which")
        heading = f"{place}: {heading}" if place else heading
        subset = ChoiceList("", tuple(ListItem(value) for value in choices))
        for number, part in enumerate(numbered_list(heading, subset)):
            # Item values are not translated (as in the numbered list).
            self.untranslated = self.untranslated or number > 0
            self.say(part, flow, node.id)

    def not_understood(self, flow: str | None, node: Node | None) -> None:
        session = self.session
        session.place_choices = []
        session.not_understood += 1
        attempt = session.not_understood
        self.log(
            ev.InputNotUnderstood(
                self.now, flow, node.id if node else None, attempt, session.language
            )
        )
        if attempt > 1:
            # The options did not help twice: offer a way out, and show again what is
            # asked, so the resident need not scroll back to find the options.
            self.say_system("not_understood_again")
            self.prompt_again()
            return
        if isinstance(node, QuestionNode):
            retry = (
                self.text(node.retry, f"{flow}/{node.id}/retry")
                if node.retry
                else self.system_text(f"retry_{node.check.kind.value}")
            )
            choice_list = self.flows.lists.get(node.check.list_id or "")
            if choice_list is not None and choice_list.numbered:
                # The list itself is the best prompt: numbered, so a resident who cannot
                # spell a name can answer with its number.
                for number, part in enumerate(numbered_list(retry, choice_list)):
                    # List values are not translated: after the heading, a part is
                    # in the source language (and shaped as such).
                    self.untranslated = self.untranslated or number > 0
                    self.say(part, flow, node.id)
                self.session.list_shown = True
                return
            self.say(retry, flow, node.id)
        else:
            self.say_system("not_understood")
        self.prompt_again()

    def prompt_again(self) -> None:
        """Show the current wait again, so the resident knows what is being asked."""
        if self.session.pending == LANGUAGE_MENU:
            self.show_language_menu()
        elif self.session.stack:
            frame = self.session.stack[-1]
            node = self.flow(frame.flow).nodes[frame.node or ""]
            if isinstance(node, QuestionNode) and self.session.place_choices:
                self.say_place_choices(frame.flow, node)
            elif isinstance(node, MenuNode | QuestionNode):
                self.say(self.render(frame.flow, node), frame.flow, node.id)

    # -- walking -----------------------------------------------------------------

    def start_flow(self, flow_id: str, *, replace: bool) -> None:
        session = self.session
        if replace:
            session.stack.clear()
            session.pending = None
            session.not_understood = 0
        flow = self.flow(flow_id)
        self.mark_once(flow.id)
        run = self.engine.new_id()
        session.stack.append(Frame(flow.id, flow.start, run))
        self.log(ev.FlowStarted(self.now, flow.id, run))
        self.walk()

    def already_ran(self, flow_id: str) -> bool:
        """True for a once-per-conversation flow already run in this conversation."""
        return flow_id in self.deployment.once_per_conversation and flow_id in self.session.ran_once

    def mark_once(self, flow_id: str) -> None:
        once = self.deployment.once_per_conversation
        if flow_id in once and flow_id not in self.session.ran_once:
            self.session.ran_once.append(flow_id)

    def continue_at(self, node_id: str | None) -> None:
        if node_id is None:
            self.complete_flow()
        else:
            self.session.stack[-1].node = node_id
        self.walk()

    def complete_flow(self) -> None:
        """Pop the innermost flow; its caller continues where it asked to."""
        stack = self.session.stack
        while stack:
            done = stack.pop()
            self.log(ev.FlowCompleted(self.now, done.flow, done.run))
            if stack and stack[-1].node is not None:
                return

    def walk(self) -> None:
        """Follow nodes until one waits for the resident or the conversation ends."""
        stack = self.session.stack
        while stack:
            self.steps += 1
            if self.steps > self.engine.max_steps:
                raise _LoopGuard
            frame = stack[-1]
            flow = self.flow(frame.flow)
            node = flow.nodes[frame.node or ""]
            self.log(ev.NodeVisited(self.now, flow.id, node.id, frame.run))
            if isinstance(node, MenuNode | QuestionNode):
                self.session.list_shown = False
                self.session.place_choices = []
                self.say(self.render(flow.id, node), flow.id, node.id)
                return
            if isinstance(node, MessageNode):
                self.say(self.text(node.text, f"{flow.id}/{node.id}"), flow.id, node.id)
                self.advance(node.next)
            elif isinstance(node, BranchNode):
                self.advance(self.branch(node))
            elif isinstance(node, FlowNode) and self.already_ran(node.flow):
                self.advance(node.next)
            elif isinstance(node, FlowNode):
                self.mark_once(node.flow)
                frame.node = node.next
                target = self.flow(node.flow)
                run = self.engine.new_id()
                stack.append(Frame(target.id, target.start, run))
                self.log(ev.FlowStarted(self.now, target.id, run))
            elif isinstance(node, DirectoryNode):
                self.session.page = 0
                if self.show_directory_page(flow.id, node):
                    return  # more pages: wait for "more"
                self.advance(node.next)
            elif isinstance(node, EndNode):
                if node.text:
                    self.say(self.text(node.text, f"{flow.id}/{node.id}"), flow.id, node.id)
                while stack:
                    done = stack.pop()
                    self.log(ev.FlowCompleted(self.now, done.flow, done.run))

    def show_directory_page(self, flow_id: str, node: DirectoryNode) -> bool:
        """Send the current page of programmes; True if more pages follow."""
        page, found = directory_page(self.engine, flow_id, node, self.session)
        for programme in page:
            self.log(ev.ReferralGiven(
                self.now, programme.id, self.session.fields.get(node.field, ""),
                self.session.language, flow_id, node.id,
            ))  # fmt: skip
        self.say(self.directory_text(flow_id, node, page, found), flow_id, node.id)
        return (self.session.page + 1) * node.page_size < found

    def directory_text(
        self, flow_id: str, node: DirectoryNode, page: list[Programme], found: int
    ) -> str:
        context = f"{flow_id}/{node.id}"
        if not page:
            return self.text(node.empty, f"{context}/empty")
        lines = [self.text(node.text, context)]
        # Name and contact only: a page must fit one SMS. A programme's hours and
        # eligibility are not sent (and are None where the source does not say).
        for programme in page:
            base = f"directory/{node.directory}/{programme.id}"
            name = self.text(programme.name, f"{base}/name")
            contact = self.text(programme.contact, f"{base}/contact")
            lines.append(f"- {name}: {contact}")
        if (self.session.page + 1) * node.page_size < found:
            lines.append(self.text(node.more, f"{context}/more"))
        return "\n".join(lines)

    def advance(self, node_id: str | None) -> None:
        if node_id is None:
            self.complete_flow()
        else:
            self.session.stack[-1].node = node_id

    def branch(self, node: BranchNode) -> str:
        value = self.session.fields.get(node.field)
        if value is None:
            return node.unset or node.otherwise
        wanted = normalize(value)
        for case in node.cases:
            if any(normalize(v) == wanted for v in case.values):
                return case.go
        return node.otherwise

    # -- text --------------------------------------------------------------------

    def flow(self, flow_id: str) -> Flow:
        return self.flows.flows[flow_id]

    def text(self, source: str, context: str) -> str:
        language = self.session.language
        translated = self.engine.translate(source, context, language)
        if translated is source and language != self.engine.source_language:
            self.untranslated = True  # the message being built falls back to the source
        fields = self.session.fields
        return PLACEHOLDER.sub(lambda m: fields.get(m.group(1), ""), translated)

    def render(self, flow_id: str, node: MenuNode | QuestionNode) -> str:
        prompt = self.text(node.text, f"{flow_id}/{node.id}")
        if isinstance(node, QuestionNode):
            return prompt
        lines = [prompt]
        for option in node.options:
            label = self.text(option.label, f"{flow_id}/{node.id}/option/{option.number}")
            lines.append(f"{option.number}. {label}")
        return "\n".join(lines)

    def system_text(self, name: str) -> str:
        return self.text(self.deployment.texts[name], f"system/{name}")

    def say_system(self, name: str) -> None:
        self.say(self.system_text(name), None, None)

    def say(self, text: str, flow: str | None, node: str | None) -> None:
        language = self.session.language
        text_language = self.engine.source_language if self.untranslated else language
        self.untranslated = False
        self.log(ev.MessageCreated(self.now, text, flow, node, language, text_language))

    def log(self, event: ev.Event) -> None:
        self.events.append(event)
