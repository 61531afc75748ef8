"""One turn: a resident's message, from the session timeout to the reply.

In order: a long silence starts a new conversation; frames that point at edited-away
nodes are dropped; erasure (always, even after STOP); opt-out; danger words; global
commands; the language menu; an answer to the current wait (see walk.py); a new
resident's first contact. The loop guard ends a turn that never waits.
"""

from __future__ import annotations

from typing import assert_never

from . import events as ev
from .matching import normalize, parse_number
from .model import (
    BranchNode,
    CheckKind,
    Command,
    DirectoryNode,
    EndNode,
    FlowNode,
    MenuNode,
    MessageNode,
    QuestionNode,
)
from .session import Frame, Inbound, Session
from .walk import LANGUAGE_MENU, LoopGuard, Walk


class Turn(Walk):
    """The work of one :meth:`Engine.resume` call: what comes before and around the walk."""

    def handle(self, message: Inbound) -> None:
        self.channel = message.channel
        try:
            self.dispatch(message)
        except LoopGuard:
            frame = self.session.stack[-1] if self.session.stack else None
            reason = f"more than {self.prepared.max_steps} steps without waiting for the resident"
            self.fail(frame.flow if frame else None, frame.node if frame else None, reason)

    def fail(self, flow: str | None, node: str | None, reason: str) -> None:
        """Broken content, not the resident's fault: say so and offer the main menu."""
        self.log(ev.RunFailed(self.now, flow, node, reason))
        self.session.stack.clear()
        self.session.pending = None
        self.say_system("failed")

    def dispatch(self, message: Inbound) -> None:
        session = self.session
        prepared = self.prepared
        understanding = self.understanding
        text = normalize(message.text)
        if session.last_seen and self.now - session.last_seen > prepared.session_timeout:
            session.clear_conversation()
        self.drop_stale_frames()
        if (
            message.language
            and not session.language_chosen
            and message.language in {lang.code for lang in prepared.languages}
        ):
            # The channel already knows the language (the web simulator's picker).
            self.settle_language(message.language)
        command = understanding.commands.match(text)
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
            if not self.answer(text, message.text):
                self.not_answered(text)
        elif not session.language_chosen:
            self.first_contact(text)
        else:
            self.begin(understanding.entry(session.language).match(text))

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
        greeting_run, asked_run = self.prepared.new_id(), self.prepared.new_id()
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
            offered = [lang.code for lang in self.prepared.languages]
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
        if frame is not None and frame.flow == danger.flow and self.at_menu(frame):
            # Already at the danger flow's menu, which the danger text sends them to:
            # that text would only say "write EMERGENCIA" again. Show the menu again
            # (it begins with the number to call) so a number chooses what to do.
            self.prompt_again()
            return True
        self.say(self.text(danger.text, "system/danger"), None, None)
        return True

    def at_menu(self, frame: Frame) -> bool:
        return isinstance(self.flow(frame.flow).nodes.get(frame.node or ""), MenuNode)

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
        understanding = self.understanding
        if session.pending == LANGUAGE_MENU:
            return understanding.language_choice.exact(text)
        if not session.stack:
            return False
        frame = session.stack[-1]
        node = self.flow(frame.flow).nodes.get(frame.node or "")
        match node:
            case None | MessageNode() | BranchNode() | FlowNode() | EndNode():
                return False
            case MenuNode():
                return understanding.menu(frame.flow, node, session.language).exact(text)
            case DirectoryNode():
                return understanding.more(session.language).exact(text)
            case QuestionNode():
                match node.check.kind:
                    case CheckKind.YES_NO:
                        return understanding.yes_no(session.language).exact(text)
                    case CheckKind.NUMBER:
                        return parse_number(text) is not None
                    case CheckKind.ONE_OF:
                        shown = session.list_shown or session.place_choices
                        if shown and parse_number(text) is not None:
                            return True
                        return understanding.lists[node.check.list_id or ""].exact(text)
                    case CheckKind.TEXT:
                        return False  # a free-text answer is no reason to miss a danger
                    case _:
                        assert_never(node.check.kind)
            case _:
                assert_never(node)

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
        source = self.texts.source_language
        self.session = Session(language=source, opted_out=self.session.opted_out)

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
            if self.deployment.alerts is not None:
                # STOP stops every message: alerts too, and their address goes.
                self.log(ev.AlertsEnded(self.now, "stop"))
            self.say_system("stopped")
        elif command is Command.ALERTS:
            alerts = self.deployment.alerts
            if alerts is not None:
                session.pending = None
                self.begin(alerts.flow)
        elif command is Command.ALERTS_OFF and self.deployment.alerts is not None:
            self.log(ev.AlertsEnded(self.now, "alerts_off"))
            if "alerts_ended" in self.deployment.texts:
                self.say_system("alerts_ended")
            self.prompt_again()

    def first_contact(self, text: str) -> None:
        """A new resident: a flow keyword or a language's name settles the language;
        otherwise, when more than one language is offered, they choose one first."""
        session = self.session
        languages = self.prepared.languages
        for lang in languages:
            flow = self.understanding.entry(lang.code).match(text)
            if flow is not None:
                self.settle_language(lang.code)
                self.begin(flow)
                return
        named = self.understanding.language_names.match(text)
        if named is not None or len(languages) < 2:
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

    def not_answered(self, text: str) -> None:
        """A reply the current wait did not take: a flow keyword opens its flow (as a new
        conversation); anything else is not understood there."""
        entry = self.understanding.entry(self.session.language).match(text)
        if entry is not None:
            self.begin(entry)
            return
        frame = self.session.stack[-1]
        self.not_understood(frame.flow, self.flow(frame.flow).nodes[frame.node or ""])
