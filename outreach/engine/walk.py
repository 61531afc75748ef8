"""The walk and the waits: what each kind of node does when the conversation reaches it,
and with a resident's answer while it waits there.

Every verb dispatches on the node kinds with one ``match``, ending in
``case _: assert_never(node)``: a new kind of node fails type checking until each verb
says what it does with it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import assert_never

from . import events as ev
from .matching import find_integer, normalize, parse_number
from .model import (
    DEPARTMENT_FIELD,
    REMINDER_CHANNELS,
    BranchNode,
    CheckKind,
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
    Reminder,
)
from .session import Frame, Session
from .texts import Said, Texts
from .understanding import Understanding

#: ``Session.pending`` while the resident is at the language menu.
LANGUAGE_MENU = "language"


@dataclass(frozen=True)
class Prepared:
    """What every turn of one engine shares, prepared once by the engine."""

    flows: FlowSet
    understanding: Understanding
    texts: Texts
    #: The languages offered to residents.
    languages: tuple[Language, ...]
    new_id: Callable[[], str]
    #: Nodes a turn may visit before the loop guard ends it.
    max_steps: int
    #: Silence after which a message starts a new conversation.
    session_timeout: timedelta
    #: Message nodes (flow, node) that say a deployment text (its name) instead of their
    #: own: the welcome's notice of what Twilio keeps.
    replaced: Mapping[tuple[str, str], str] = field(default_factory=dict)


class LoopGuard(Exception):
    """Raised inside a turn when it takes more steps than allowed."""


class Walk:
    """Walks one resident's flows during one turn, logging what happens as events."""

    def __init__(self, prepared: Prepared, session: Session, now: datetime) -> None:
        self.prepared = prepared
        self.flows = prepared.flows
        self.deployment = prepared.flows.deployment
        self.understanding = prepared.understanding
        self.texts = prepared.texts
        self.session = session
        self.now = now
        self.events: list[ev.Event] = []
        self.steps = 0
        #: The channel of the message being handled (Turn.handle sets it).
        self.channel = "sms"

    # -- on entry ----------------------------------------------------------------

    def walk(self) -> None:
        """Follow nodes until one waits for the resident or the conversation ends."""
        stack = self.session.stack
        while stack:
            self.steps += 1
            if self.steps > self.prepared.max_steps:
                raise LoopGuard
            frame = stack[-1]
            flow = self.flow(frame.flow)
            node = flow.nodes[frame.node or ""]
            self.log(ev.NodeVisited(self.now, flow.id, node.id, frame.run))
            self.subscribe_at(flow.id, node.id)
            match node:
                case MenuNode() | QuestionNode():
                    self.session.list_shown = False
                    self.session.place_choices = []
                    self.say(self.prompt(flow.id, node), flow.id, node.id)
                    return
                case MessageNode() if node.remind is not None and (
                    reason := self.reminder_refused(node.remind)
                ):
                    # Its text promises a reminder that cannot come: not said.
                    self.log(ev.RunFailed(self.now, flow.id, node.id, reason))
                    self.advance(node.next)
                case MessageNode():
                    replaced = self.prepared.replaced.get((flow.id, node.id))
                    said = (
                        self.system_text(replaced)
                        if replaced
                        else self.text(node.text, f"{flow.id}/{node.id}")
                    )
                    self.say(said, flow.id, node.id)
                    if node.remind is not None:
                        self.log(ev.ReminderRequested(
                            self.now, flow.id, node.id, node.remind.at, self.session.language
                        ))  # fmt: skip
                    self.advance(node.next)
                case BranchNode():
                    self.advance(self.branch(node))
                case FlowNode() if self.already_ran(node.flow):
                    self.advance(node.next)
                case FlowNode():
                    self.mark_once(node.flow)
                    frame.node = node.next
                    target = self.flow(node.flow)
                    run = self.prepared.new_id()
                    stack.append(Frame(target.id, target.start, run))
                    self.log(ev.FlowStarted(self.now, target.id, run))
                case DirectoryNode():
                    self.session.page = 0
                    if self.show_directory_page(flow.id, node):
                        return  # more pages: wait for "more"
                    self.advance(node.next)
                case EndNode():
                    if node.text:
                        self.say(self.text(node.text, f"{flow.id}/{node.id}"), flow.id, node.id)
                    while stack:
                        done = stack.pop()
                        self.log(ev.FlowCompleted(self.now, done.flow, done.run))
                case _:
                    assert_never(node)

    def reminder_refused(self, remind: Reminder) -> str | None:
        """Why ``remind`` cannot be offered to this resident now, or None. (`outreach
        check` fails on a passed one ahead of this; a call or the simulator has no
        address to send it to; WhatsApp takes it days later only as a template.)"""
        if remind.at <= self.now:
            return "the reminder's time has passed"
        if self.channel not in REMINDER_CHANNELS:
            return f"a reminder needs an SMS or WhatsApp address, not {self.channel}"
        if self.channel == "whatsapp" and remind.whatsapp_template is None:
            return "a WhatsApp reminder needs its approved template (remind: whatsapp_template)"
        return None

    def subscribe_at(self, flow_id: str, node_id: str) -> None:
        """Reaching a topic's node of the alerts flow subscribes the resident to it, in
        the department they gave (the flow asks it first: without one, nothing is
        subscribed and the run is reported as failed)."""
        alerts = self.deployment.alerts
        if alerts is None or flow_id != alerts.flow or node_id not in alerts.topics:
            return
        department = self.session.fields.get(DEPARTMENT_FIELD)
        if not department:
            reason = "the alerts flow reached a topic before the department was asked"
            self.log(ev.RunFailed(self.now, flow_id, node_id, reason))
            return
        topic = alerts.topics[node_id]
        self.log(ev.AlertsSubscribed(self.now, topic, department, self.session.language))

    def start_flow(self, flow_id: str, *, replace: bool) -> None:
        session = self.session
        if replace:
            session.stack.clear()
            session.pending = None
            session.not_understood = 0
        flow = self.flow(flow_id)
        self.mark_once(flow.id)
        run = self.prepared.new_id()
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
        self.advance(node_id)
        self.walk()

    def advance(self, node_id: str | None) -> None:
        if node_id is None:
            self.complete_flow()
        else:
            self.session.stack[-1].node = node_id

    def complete_flow(self) -> None:
        """Pop the innermost flow; its caller continues where it asked to."""
        stack = self.session.stack
        while stack:
            done = stack.pop()
            self.log(ev.FlowCompleted(self.now, done.flow, done.run))
            if stack and stack[-1].node is not None:
                return

    def branch(self, node: BranchNode) -> str:
        value = self.session.fields.get(node.field)
        if value is None:
            return node.unset or node.otherwise
        wanted = normalize(value)
        for case in node.cases:
            if any(normalize(v) == wanted for v in case.values):
                return case.go
        return node.otherwise

    def show_directory_page(self, flow_id: str, node: DirectoryNode) -> bool:
        """Send the current page of programmes; True if more pages follow."""
        session = self.session
        listing = self.texts.listing(flow_id, node, session.page, session.language, session.fields)
        for programme in listing.programmes:
            self.log(ev.ReferralGiven(
                self.now, programme.id, session.fields.get(node.field, ""),
                session.language, flow_id, node.id,
            ))  # fmt: skip
        self.say(listing.said, flow_id, node.id)
        return (session.page + 1) * node.page_size < listing.found

    # -- at a wait ---------------------------------------------------------------

    def answer(self, text: str, raw: str) -> bool:
        """Give ``text`` (normalized; ``raw`` as written) to the node the innermost flow
        waits at. False if that node did not take it."""
        session = self.session
        frame = session.stack[-1]
        node = self.flow(frame.flow).nodes[frame.node or ""]
        match node:
            case MenuNode():
                option = self.understanding.menu(frame.flow, node, session.language).match(text)
                if option is None:
                    return False
                session.not_understood = 0
                self.choose(frame, node, option)
            case QuestionNode():
                value = self.check_answer(node, text, raw)
                if value is None:
                    return self.ask_which_item(frame.flow, node, text)
                session.not_understood = 0
                session.fields[node.save] = value
                self.log(ev.FieldSaved(self.now, node.save, value, frame.flow, node.id))
                self.continue_at(node.next)
            case DirectoryNode():
                # "more" shows the next page; a flow keyword opens its flow; anything
                # else moves on.
                if self.understanding.more(session.language).match(text):
                    session.page += 1
                    if not self.show_directory_page(frame.flow, node):
                        session.page = 0
                        self.continue_at(node.next)
                    return True
                session.page = 0
                if self.understanding.entry(session.language).match(text) is not None:
                    return False
                self.continue_at(node.next)
            case MessageNode() | BranchNode() | FlowNode() | EndNode():
                return False  # never a wait
            case _:
                assert_never(node)
        return True

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
        match check.kind:
            case CheckKind.TEXT:
                # Saved as the resident wrote it (trimmed), not in the matching form.
                return " ".join(raw.split()) if text else None
            case CheckKind.YES_NO:
                first = text.split(" ", 1)[0]
                yes_no = self.understanding.yes_no(self.session.language)
                return yes_no.match(text) or yes_no.match(first)
            case CheckKind.NUMBER:
                number = find_integer(text)
                if number is None:
                    return None
                if check.minimum is not None and number < check.minimum:
                    return None
                if check.maximum is not None and number > check.maximum:
                    return None
                return str(number)
            case CheckKind.ONE_OF:
                return self.list_answer(check.list_id or "", text)
            case _:
                assert_never(check.kind)

    def list_answer(self, list_id: str, text: str) -> str | None:
        """The list entry ``text`` names: by name, alias, a place in it, or by number once
        the list (or a follow-up's few entries) was shown numbered."""
        choice_list = self.flows.lists[list_id]
        offered = self.session.place_choices
        number = parse_number(text)
        if offered and number is not None:
            # The number of one of the items the follow-up offered (see ask_which_item).
            return offered[number - 1] if 1 <= number <= len(offered) else None
        if self.session.list_shown and number is not None:
            in_range = 1 <= number <= len(choice_list.items)
            return choice_list.items[number - 1].value if in_range else None
        items = self.understanding.lists[list_id]
        places = self.understanding.places.get(list_id)
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
        heading = self.system_text("place_which")
        if place:
            heading = Said(f"{place}: {heading.text}", heading.language)
        # Item values are not translated (as in the numbered list).
        for part in self.texts.numbered_list(heading, self.session.place_choices):
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
            return
        if not self.session.stack:
            return
        frame = self.session.stack[-1]
        node = self.flow(frame.flow).nodes[frame.node or ""]
        match node:
            case QuestionNode() if self.session.place_choices:
                self.say_place_choices(frame.flow, node)
            case MenuNode() | QuestionNode():
                self.say(self.prompt(frame.flow, node), frame.flow, node.id)
            case DirectoryNode() | MessageNode() | BranchNode() | FlowNode() | EndNode():
                pass  # nothing to show again: "more" or anything else goes on
            case _:
                assert_never(node)

    def show_language_menu(self) -> None:
        session = self.session
        prompt = self.system_text("language_menu") if session.language_chosen else None
        self.say(self.texts.language_menu(prompt, session.language), None, None)

    # -- words -------------------------------------------------------------------

    def flow(self, flow_id: str) -> Flow:
        return self.flows.flows[flow_id]

    def text(self, source: str, context: str) -> Said:
        session = self.session
        return self.texts.text(source, context, session.language, session.fields)

    def prompt(self, flow_id: str, node: MenuNode | QuestionNode) -> Said:
        session = self.session
        return self.texts.prompt(flow_id, node, session.language, session.fields)

    def system_text(self, name: str) -> Said:
        session = self.session
        return self.texts.system(name, session.language, session.fields)

    def say_system(self, name: str) -> None:
        self.say(self.system_text(name), None, None)

    def say(self, said: Said, flow: str | None, node: str | None) -> None:
        language = self.session.language
        self.log(ev.MessageCreated(self.now, said.text, flow, node, language, said.language))

    def log(self, event: ev.Event) -> None:
        self.events.append(event)
