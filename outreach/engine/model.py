"""The vocabulary of conversations: flows, nodes, options, checks and the deployment.

Everything here is plain, immutable data built by :mod:`outreach.flowfile` from the
files NGO staff edit. The engine walks it; it never changes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum

#: ``{department}`` in a text is replaced by the resident's saved field of that name.
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: The saved field that holds a resident's department, the one place that names it: the
#: metrics break figures down by its value, which the service hands to the store.
DEPARTMENT_FIELD = "department"


def placeholders(text: str) -> list[str]:
    """Field names used as placeholders in ``text``, in order of appearance."""
    return PLACEHOLDER.findall(text)


@dataclass(frozen=True)
class Provenance:
    """Where a piece of content comes from and when it must be checked again."""

    source: str
    verified_on: date
    review_by: date
    sample: bool


@dataclass(frozen=True)
class Option:
    """One numbered choice of a menu.

    It leads either to a node of the same flow (``go``) or into another flow
    (``flow``); when that flow completes the conversation continues at ``next``,
    or shows the menu again when ``next`` is not given.
    """

    number: str
    label: str
    keywords: tuple[str, ...] = ()
    go: str | None = None
    flow: str | None = None
    next: str | None = None


class CheckKind(Enum):
    NUMBER = "number"
    YES_NO = "yes_no"
    ONE_OF = "one_of"
    TEXT = "text"


@dataclass(frozen=True)
class Check:
    """What a question accepts as an answer."""

    kind: CheckKind
    minimum: int | None = None
    maximum: int | None = None
    #: For ``one_of``: the id of a :class:`ChoiceList`.
    list_id: str | None = None


@dataclass(frozen=True)
class Case:
    values: tuple[str, ...]
    go: str


#: Channels whose messages come from an address a reminder can be sent back to: not a
#: call (the voice line has no SMS address), not the web simulator.
REMINDER_CHANNELS = ("sms", "whatsapp")


@dataclass(frozen=True)
class Reminder:
    """A reminder a resident asks for by reaching its message node (through a menu
    option: their choice): ``text`` is sent to them at ``at`` (aware), once, through the
    outbox, with the quiet hours and the weekly limit of alerts. ``provenance`` is the
    dated item's source: a reminder repeats a fact (a job fair's day and place)."""

    at: datetime
    text: str
    provenance: Provenance
    #: The approved WhatsApp template (its content_sid, HX...) the reminder goes as, its
    #: text the variable {{1}}: WhatsApp allows free text only within 24 hours of the
    #: resident's last message. Without one, WhatsApp residents are offered no reminder.
    whatsapp_template: str | None = None


@dataclass(frozen=True)
class MessageNode:
    """Sends a message, then continues at ``next`` (or completes the flow). With a
    ``remind``, reaching it asks for that reminder (its text says what and when)."""

    id: str
    text: str
    next: str | None = None
    provenance: Provenance | None = None
    remind: Reminder | None = None


@dataclass(frozen=True)
class MenuNode:
    """Sends a prompt with numbered options and waits for the resident's choice."""

    id: str
    text: str
    options: tuple[Option, ...]
    provenance: Provenance | None = None


@dataclass(frozen=True)
class QuestionNode:
    """Asks a question, waits, checks the answer and saves it into a field."""

    id: str
    text: str
    check: Check
    save: str
    next: str | None = None
    #: Said when the answer does not pass the check (a default text is used otherwise).
    retry: str | None = None
    provenance: Provenance | None = None


@dataclass(frozen=True)
class BranchNode:
    """Continues at the first case whose values include the saved field's value, at
    ``unset`` when the field has no value yet, and at ``otherwise`` in every other case."""

    id: str
    field: str
    cases: tuple[Case, ...]
    otherwise: str
    unset: str | None = None
    provenance: Provenance | None = None


@dataclass(frozen=True)
class FlowNode:
    """Runs another flow, then comes back and continues at ``next``."""

    id: str
    flow: str
    next: str | None = None
    provenance: Provenance | None = None


@dataclass(frozen=True)
class EndNode:
    """Ends the whole conversation (every flow that called this one too)."""

    id: str
    text: str | None = None
    provenance: Provenance | None = None


@dataclass(frozen=True)
class DirectoryNode:
    """Lists the programmes of a directory that serve the department in ``field`` (and,
    if given, of one ``kind``), a page at a time; "more" shows the next page, anything
    else continues at ``next``. Each programme listed is a referral."""

    id: str
    directory: str
    field: str
    text: str
    empty: str
    more: str
    kind: str | None = None
    page_size: int = 3
    next: str | None = None
    provenance: Provenance | None = None


Node = MessageNode | MenuNode | QuestionNode | BranchNode | FlowNode | EndNode | DirectoryNode


@dataclass(frozen=True)
class Flow:
    """One conversation, from one file. The first node is where it starts."""

    id: str
    name: str
    nodes: dict[str, Node]
    provenance: Provenance
    #: Words that open this flow from anywhere in a conversation.
    keywords: tuple[str, ...] = ()
    #: Node id -> the step's name for staff, where the file gives one (``label:``);
    #: see :func:`step_label` for the names derived from the content.
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def start(self) -> str:
        return next(iter(self.nodes))


def option_context(flow: str, node: str, number: str) -> str:
    """The catalogs' context of a menu option's label (and, with a suffix, its words)."""
    return f"{flow}/{node}/option/{number}"


@dataclass(frozen=True)
class Label:
    """A name staff read (on the dashboard, in exports), from the content: its Spanish,
    and the catalogs' context it is translated under, like any message."""

    text: str
    context: str


def flow_title(flow: Flow) -> Label:
    """A flow's name for staff: its ``name:``."""
    return Label(flow.name, f"flow/{flow.id}/name")


def step_label(flows: dict[str, Flow], flow: Flow, node_id: str) -> Label | None:
    """A step's name for staff, so that editors write few: its own ``label:``; else, for
    the flow's first node, the flow's name; else the label of the first menu option of
    its flow that leads to it (what residents chose to get there); else, for a node that
    runs a flow, that flow's name. None: nothing names it, and the dashboard shows its id
    (a test keeps every shipped step named)."""
    if node_id in flow.labels:
        return Label(flow.labels[node_id], f"{flow.id}/{node_id}/label")
    if node_id == flow.start:
        # Before the options: one leading back to the start is "Volver", not a name.
        return flow_title(flow)
    for node in flow.nodes.values():
        if isinstance(node, MenuNode):
            for option in node.options:
                if option.go == node_id:
                    return Label(option.label, option_context(flow.id, node.id, option.number))
    runs = flow.nodes.get(node_id)
    if isinstance(runs, FlowNode) and runs.flow in flows:
        return flow_title(flows[runs.flow])
    return None


#: Kinds of programme a directory entry can be.
PROGRAMME_KINDS = ("jobs", "training", "legal_aid", "shelter", "health", "returnees")


@dataclass(frozen=True)
class Programme:
    """One entry of a programme directory."""

    id: str
    name: str
    kind: str
    #: The departments served, as written in the directory's list; None: all of them.
    departments: tuple[str, ...] | None
    contact: str
    provenance: Provenance
    hours: str | None = None
    eligibility: str | None = None

    def serves(self, department: str) -> bool:
        return self.departments is None or department in self.departments


@dataclass(frozen=True)
class Directory:
    """Programmes residents can be referred to, each with the departments it serves."""

    id: str
    programmes: tuple[Programme, ...]


@dataclass(frozen=True)
class ListItem:
    value: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlaceName:
    """A place inside one item of a list: a municipality, in its department."""

    name: str
    #: The value of the list item it is in.
    item: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChoiceList:
    """A named list of accepted answers, such as Guatemala's 22 departments."""

    id: str
    items: tuple[ListItem, ...]
    #: When a reply names no item, show the items numbered (in this order) with the
    #: question's retry text; from then on a number also chooses its item.
    numbered: bool = False
    #: Places within the items (Guatemala's municipalities): a reply that names no item
    #: but names a place chooses the place's item, when only one item has a place so
    #: named. Read from the list's ``places`` file by the content reader.
    places: tuple[PlaceName, ...] = ()


class Command(Enum):
    """Global commands: they interrupt any flow, in any language."""

    MENU = "menu"
    HELP = "help"
    LANGUAGE = "language"
    STOP = "stop"
    START = "start"
    DELETE = "delete"
    #: Subscribe to alerts: opens the deployment's alerts flow (see :class:`Alerts`).
    ALERTS = "alerts"
    #: End every alert subscription of the resident (ALERTAS NO).
    ALERTS_OFF = "alerts_off"


#: Commands a deployment may leave out (without an ``alerts:`` section, the alerts ones).
OPTIONAL_COMMANDS = frozenset({Command.ALERTS, Command.ALERTS_OFF})


@dataclass(frozen=True)
class Language:
    code: str
    #: The name residents know the language by, in that language.
    name: str


#: Texts the engine itself says; a deployment sets them all.
SYSTEM_TEXTS = (
    "not_understood",
    "not_understood_again",
    "help",
    "language_menu",
    "language_changed",
    "stopped",
    "started",
    "deleted",
    "retry_number",
    "retry_yes_no",
    "retry_one_of",
    "retry_text",
    "failed",
)


#: Texts a deployment may set; without one the engine says nothing at that point.
#: ``welcome_back``: a resident already welcomed who greets again ("hola") gets it and the
#: main menu, not the whole welcome and notice again.
#: ``place_which``: a reply naming a place that several items of a list share ("San José",
#: in Escuintla and in Petén) gets it after the place's name, with only those items
#: numbered; without it, the reply is not understood (the whole list is shown).
#: ``alerts_ended``: said after the alerts_off command (ALERTAS NO); a deployment with
#: ``alerts:`` sets it.
#: ``twilio_redaction``, ``twilio_delete``: what the welcome's notice node
#: (``Deployment.twilio_notice``) says instead of its own text when Twilio's Message
#: Redaction is on, or when the service deletes every record at Twilio
#: (OUTREACH_TWILIO_FORGET); its own text says what Twilio keeps otherwise.
OPTIONAL_TEXTS = (
    "welcome_back", "place_which", "alerts_ended", "twilio_redaction", "twilio_delete",
)  # fmt: skip
#: What Twilio keeps (OUTREACH_TWILIO_FORGET), and so what the notice node says: its own
#: text (keep), or the texts above.
TWILIO_CASES = ("keep", "redaction", "delete")


@dataclass(frozen=True)
class SmsSettings:
    """How SMS text is shaped to stay cheap, and the cost budget `outreach check` warns at."""

    #: Segments a message may take before `outreach check` warns.
    budget: int = 1
    #: Languages whose SMS turn curly quotes, ʼ, dashes, ellipses and odd spaces into
    #: GSM-7 characters; None means every language.
    punctuation: frozenset[str] | None = None
    #: Languages whose SMS lose the accent on á í ó ú (opt-in: it changes the spelling).
    plain_vowels: frozenset[str] = frozenset()
    #: Channels whose text is shaped; WhatsApp and the web keep what was written.
    channels: frozenset[str] = frozenset({"sms"})


@dataclass(frozen=True)
class Danger:
    """Words and phrases that tell a resident may be in danger, and what to answer.

    Found anywhere in a message, whatever the conversation is waiting for, they get
    ``text`` (one SMS with the numbers to call now) at once; the conversation stays
    where it was. ``words`` are by language code; every list is searched for every
    resident, since many write in Spanish whatever their language."""

    text: str
    words: dict[str, tuple[str, ...]]
    provenance: Provenance
    #: The flow with what to do; inside it (and the flows it runs) an answer its menus
    #: understand ("mi hijo no aparece" at "¿Qué pasa?") wins over a danger word.
    flow: str | None = None
    #: Everyday phrases that hold a danger word and are no danger ("se trata de"), by
    #: language code: the danger words they cover do not count.
    not_danger: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Alerts:
    """Opt-in alerts: the flow the alerts command opens and, by node of that flow, the
    topic a resident subscribes to on reaching it (in the department they gave, the
    ``department`` field). The flow tells what they will get and how to stop before
    any of those nodes, and asks the department first."""

    flow: str
    #: Node id -> topic id.
    topics: dict[str, str]


@dataclass(frozen=True)
class Deployment:
    """Settings of one deployment that NGO staff edit with the flows."""

    id: str
    main_flow: str
    languages: tuple[Language, ...]
    commands: dict[Command, tuple[str, ...]]
    texts: dict[str, str]
    #: The flow that greets a resident at the start of a conversation.
    welcome_flow: str | None = None
    sms: SmsSettings = field(default_factory=SmsSettings)
    #: Words accepted as "yes" and "no" by yes/no questions.
    yes_words: tuple[str, ...] = ("si", "sí", "s", "yes", "y", "claro", "ok")
    no_words: tuple[str, ...] = ("no", "n")
    #: Flows run at most once per conversation (the usefulness question): a flow node
    #: or option that would run one again goes straight on.
    once_per_conversation: frozenset[str] = frozenset()
    #: Danger words and the emergency message; None: no danger recognition.
    danger: Danger | None = None
    #: Opt-in alerts; None: the deployment offers none.
    alerts: Alerts | None = None
    #: The welcome flow's message node that says what Twilio keeps: it says the text
    #: ``twilio_<case>`` instead of its own when the engine is told Twilio keeps less.
    twilio_notice: str | None = None
    #: The flow that asks whether the information was useful: its first node is a menu,
    #: each option an answer, whose counts per topic the dashboard publishes.
    usefulness: str | None = None

    @property
    def default_language(self) -> str:
        return self.languages[0].code


def flows_run_from(flows: dict[str, Flow], start: str) -> set[str]:
    """``start`` and every flow it can run, directly or through the flows it runs."""
    found: set[str] = set()
    todo = [start]
    while todo:
        flow = flows.get(todo.pop())
        if flow is None or flow.id in found:
            continue
        found.add(flow.id)
        for node in flow.nodes.values():
            if isinstance(node, FlowNode):
                todo.append(node.flow)
            elif isinstance(node, MenuNode):
                todo += [option.flow for option in node.options if option.flow]
    return found


def menu_options(flows: FlowSet) -> Iterator[tuple[Flow, MenuNode, Option]]:
    """Every option of every menu, with its flow and menu."""
    for flow in flows.flows.values():
        for node in flow.nodes.values():
            if isinstance(node, MenuNode):
                for option in node.options:
                    yield flow, node, option


@dataclass(frozen=True)
class FlowSet:
    """Everything the engine needs: the flows, the answer lists, the deployment."""

    deployment: Deployment
    flows: dict[str, Flow]
    lists: dict[str, ChoiceList] = field(default_factory=dict)
    directories: dict[str, Directory] = field(default_factory=dict)
