"""The engine: one resident message in, the new session state and events out.

It is pure: no I/O, no clock, no randomness. The time of the message and a generator of
run ids are passed in, so the same inputs always give the same sprint.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from . import events as ev
from .matching import find_integer, normalize, parse_number
from .model import (
    BranchNode,
    CheckKind,
    Command,
    DirectoryNode,
    EndNode,
    Flow,
    FlowNode,
    FlowSet,
    Language,
    MenuNode,
    MessageNode,
    Node,
    Option,
    QuestionNode,
)
from .session import Frame, Session
from .texts import ListingPage, Said, Texts, Translate, untranslated
from .understanding import Understanding

DEFAULT_MAX_STEPS = 100
DEFAULT_SESSION_TIMEOUT = timedelta(days=3)
LANGUAGE_MENU = "language"


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
        self.understanding = Understanding(flows, self.languages, translate, self.source_language)
        self.texts = Texts(flows, translate, self.source_language, self.languages)

    def preview(
        self, flow_id: str, node_id: str, language: str, fields: dict[str, str]
    ) -> str | None:
        """The message a node sends to a resident of ``language`` with these fields, or
        None for nodes that send nothing (for cost previews and translators)."""
        node = self.flows.flows[flow_id].nodes[node_id]
        texts = self.texts
        if isinstance(node, MenuNode | QuestionNode):
            return texts.prompt(flow_id, node, language, fields).text
        if isinstance(node, MessageNode) or (isinstance(node, EndNode) and node.text):
            return texts.text(node.text or "", f"{flow_id}/{node.id}", language, fields).text
        if isinstance(node, DirectoryNode):
            return texts.listing(flow_id, node, 0, language, fields).said.text
        return None

    def preview_numbered_list(self, flow_id: str, node_id: str, language: str) -> list[Said]:
        """The parts a question with a numbered list sends a resident of ``language`` after
        an answer that names nothing: the retry text, then the list, each part one SMS.
        Empty for a question whose list is not shown numbered."""
        node = self.flows.flows[flow_id].nodes[node_id]
        if not isinstance(node, QuestionNode):
            return []
        choice_list = self.flows.lists.get(node.check.list_id or "")
        if choice_list is None or not choice_list.numbered:
            return []
        return self.texts.retry(flow_id, node, language, {})

    def preview_listing_page(
        self, flow_id: str, node_id: str, department: str, page: int, language: str
    ) -> ListingPage:
        """Page ``page`` (from 0) of a directory listing, as a resident of ``language``
        whose department is ``department`` gets it."""
        node = self.flows.flows[flow_id].nodes[node_id]
        if not isinstance(node, DirectoryNode):
            raise TypeError(f"{flow_id}/{node_id} is not a directory listing")
        return self.texts.listing(flow_id, node, page, language, {node.field: department})

    def language_menu(self) -> str:
        """The language menu a new resident gets: its prompt in every offered language."""
        return self.texts.language_menu(None, self.source_language).text

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
        self.understanding = engine.understanding
        self.texts = engine.texts

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
        command = engine.understanding.commands.match(text)
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
            self.begin(engine.understanding.entry(session.language).match(text))

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
        spotter = self.understanding.danger
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
        if not stack or stack[-1].flow not in self.understanding.danger_flows:
            return False
        frame = stack[-1]
        node = self.flow(frame.flow).nodes.get(frame.node or "")
        if not isinstance(node, MenuNode):
            return False
        matcher = self.understanding.menu(frame.flow, node, self.session.language)
        return matcher.match(text) is not None

    def is_exact_answer(self, text: str) -> bool:
        """True if ``text`` is, as a whole, an answer to the current wait."""
        session = self.session
        engine = self.engine
        if session.pending == LANGUAGE_MENU:
            return engine.understanding.language_choice.exact(text)
        if not session.stack:
            return False
        frame = session.stack[-1]
        node = self.flow(frame.flow).nodes.get(frame.node or "")
        if isinstance(node, MenuNode):
            return engine.understanding.menu(frame.flow, node, session.language).exact(text)
        if isinstance(node, DirectoryNode):
            return engine.understanding.more(session.language).exact(text)
        if not isinstance(node, QuestionNode):
            return False
        kind = node.check.kind
        if kind is CheckKind.YES_NO:
            return engine.understanding.yes_no(session.language).exact(text)
        if kind is CheckKind.NUMBER:
            return parse_number(text) is not None
        if kind is CheckKind.ONE_OF:
            shown = session.list_shown or session.place_choices
            if shown and parse_number(text) is not None:
                return True
            return engine.understanding.lists[node.check.list_id or ""].exact(text)
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
            flow = engine.understanding.entry(lang.code).match(text)
            if flow is not None:
                self.settle_language(lang.code)
                self.begin(flow)
                return
        named = engine.understanding.language_names.match(text)
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
            prompt = self.system_text("language_menu")
            self.say(self.texts.language_menu(prompt, self.session.language), None, None)
        else:
            self.say(self.texts.language_menu(None, self.session.language), None, None)

    def choose_language(self, text: str) -> None:
        code = self.understanding.language_choice.match(text)
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
            option = self.understanding.menu(frame.flow, node, self.session.language).match(text)
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
            if self.understanding.more(self.session.language).match(text):
                self.session.page += 1
                if not self.show_directory_page(frame.flow, node):
                    self.session.page = 0
                    self.continue_at(node.next)
                return
            self.session.page = 0
            if self.understanding.entry(self.session.language).match(text) is None:
                self.continue_at(node.next)
                return
        entry = self.understanding.entry(self.session.language).match(text)
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
            yes_no = self.understanding.yes_no(self.session.language)
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
        items = self.understanding.lists[choice_list.id]
        places = self.understanding.places.get(choice_list.id)
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
        places = self.understanding.places.get(node.check.list_id or "")
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
        if place:
            heading = Said(f"{place}: {heading.text}", heading.language)
        # Item values are not translated (as in the numbered list).
        for part in self.texts.numbered_list(heading, choices):
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
            for part in self.texts.retry(flow or "", node, session.language, session.fields):
                self.say(part, flow, node.id)
            choice_list = self.flows.lists.get(node.check.list_id or "")
            if choice_list is not None and choice_list.numbered:
                session.list_shown = True  # a number now chooses from the list shown
                return
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
        session = self.session
        listing = self.texts.listing(flow_id, node, session.page, session.language, session.fields)
        for programme in listing.programmes:
            self.log(ev.ReferralGiven(
                self.now, programme.id, self.session.fields.get(node.field, ""),
                self.session.language, flow_id, node.id,
            ))  # fmt: skip
        self.say(listing.said, flow_id, node.id)
        return (self.session.page + 1) * node.page_size < listing.found

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

    def text(self, source: str, context: str) -> Said:
        session = self.session
        return self.texts.text(source, context, session.language, session.fields)

    def render(self, flow_id: str, node: MenuNode | QuestionNode) -> Said:
        session = self.session
        return self.texts.prompt(flow_id, node, session.language, session.fields)

    def system_text(self, name: str) -> Said:
        session = self.session
        return self.texts.system(name, session.language, session.fields)

    def say_system(self, name: str) -> None:
        self.say(self.system_text(name), None, None)

    def say(self, said: Said, flow: str | None, node: str | None) -> None:
        message = ev.MessageCreated(
            self.now, said.text, flow, node, self.session.language, said.language
        )
        self.log(message)

    def log(self, event: ev.Event) -> None:
        self.events.append(event)
