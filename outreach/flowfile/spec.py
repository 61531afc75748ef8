"""The keys of every object in the content files: one table for the loader, the JSON
Schema and the documentation, so the three cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from outreach.engine.model import (
    OPTIONAL_COMMANDS,
    OPTIONAL_TEXTS,
    PROGRAMME_KINDS,
    SYSTEM_TEXTS,
    Command,
)


class Kind(Enum):
    ID = "id"  # lower-case letters, digits and _: stable in git diffs
    TEXT = "text"
    WORDS = "words"  # one word or a list of words, kept as written
    SWITCH = "switch"  # true, false, or a list of words it applies to
    BOOL = "bool"  # true or false
    INT = "int"
    DATE = "date"  # YYYY-MM-DD
    OBJECT = "object"  # described by its own table
    LIST = "list"  # a list of objects described by their own table
    MAP = "map"  # a mapping of ids to objects


@dataclass(frozen=True)
class Key:
    kind: Kind
    help: str
    required: bool = False
    #: For OBJECT, LIST and MAP: the name of the table describing the items.
    of: str | None = None
    #: For ID keys with a fixed set of values.
    choices: tuple[str, ...] = ()


PROVENANCE = {
    "source": Key(Kind.TEXT, "Where the facts come from (publication, URL, organisation).", True),
    "verified_on": Key(Kind.DATE, "When someone last checked the facts (YYYY-MM-DD).", True),
    "review_by": Key(Kind.DATE, "When the facts must be checked again (YYYY-MM-DD).", True),
    "sample": Key(
        Kind.BOOL,
        "true while the deploying organisation has not verified this content itself.",
        True,
    ),
}

FLOW = {
    "flow": Key(Kind.ID, "The flow's id, used to refer to it from other flows.", True),
    "name": Key(Kind.TEXT, "A name for staff, shown in reports.", True),
    "keywords": Key(Kind.WORDS, "Words that open this flow from anywhere in a conversation."),
    "provenance": Key(Kind.OBJECT, "Source and review dates of the content.", True, "provenance"),
    "nodes": Key(
        Kind.MAP, "The steps of the flow by id; the first one is where it starts.", True, "node"
    ),
}

NODE_TYPES = ("message", "menu", "question", "branch", "flow", "end", "directory")

_TYPE = Key(Kind.ID, "What the node does: " + ", ".join(NODE_TYPES) + ".", True, choices=NODE_TYPES)
_NODE_PROVENANCE = Key(
    Kind.OBJECT, "Overrides the flow's provenance for this node.", of="provenance"
)
_NEXT = Key(Kind.ID, "The node that follows; without it the flow is complete.")
_LABEL = Key(
    Kind.TEXT,
    "The step's name for staff, on the dashboard and in exports (translated like any "
    "message). Not needed where a menu option leads to it (its label names it), for a "
    "node that runs a flow (that flow's name) or for the flow's first node (the flow's).",
)

NODE = {
    "message": {
        "type": _TYPE,
        "label": _LABEL,
        "text": Key(Kind.TEXT, "The message sent to the resident.", True),
        "next": _NEXT,
        "provenance": _NODE_PROVENANCE,
        "remind": Key(
            Kind.OBJECT,
            "A reminder the resident asks for by reaching this node through a menu option "
            "(docs/alerts.md, 'Reminders'): its text is sent to them once, at its time.",
            of="remind",
        ),
    },
    "menu": {
        "type": _TYPE,
        "label": _LABEL,
        "text": Key(Kind.TEXT, "The prompt shown above the numbered options.", True),
        "options": Key(Kind.LIST, "The numbered choices.", True, "option"),
        "provenance": _NODE_PROVENANCE,
    },
    "question": {
        "type": _TYPE,
        "label": _LABEL,
        "text": Key(Kind.TEXT, "The question sent to the resident.", True),
        "check": Key(Kind.OBJECT, "What the answer must be.", True, "check"),
        "save": Key(Kind.ID, "The field of the resident that keeps the answer.", True),
        "retry": Key(Kind.TEXT, "Said when the answer does not pass the check."),
        "next": _NEXT,
        "provenance": _NODE_PROVENANCE,
    },
    "branch": {
        "type": _TYPE,
        "label": _LABEL,
        "field": Key(Kind.ID, "The saved field to look at.", True),
        "cases": Key(Kind.LIST, "Where to go for which values, first match wins.", of="case"),
        "unset": Key(Kind.ID, "Where to go when the field has no value yet (default: otherwise)."),
        "otherwise": Key(Kind.ID, "Where to go when no case matches.", True),
        "provenance": _NODE_PROVENANCE,
    },
    "flow": {
        "type": _TYPE,
        "label": _LABEL,
        "flow": Key(Kind.ID, "The flow to run; the conversation comes back here after it.", True),
        "next": _NEXT,
        "provenance": _NODE_PROVENANCE,
    },
    "end": {
        "type": _TYPE,
        "label": _LABEL,
        "text": Key(Kind.TEXT, "A last message, if any."),
        "provenance": _NODE_PROVENANCE,
    },
    "directory": {
        "type": _TYPE,
        "label": _LABEL,
        "directory": Key(Kind.ID, "The directory of programmes to list.", True),
        "field": Key(Kind.ID, "The saved field with the resident's department.", True),
        "kind": Key(
            Kind.ID, "Only programmes of this kind (default: all).", choices=PROGRAMME_KINDS
        ),
        "text": Key(Kind.TEXT, "The line above the programmes, e.g. 'Programas en {x}:'.", True),
        "empty": Key(Kind.TEXT, "Said when no programme serves the department.", True),
        "more": Key(Kind.TEXT, "Said under a page when more follow, e.g. 'MAS: ver más'.", True),
        "page_size": Key(Kind.INT, "Programmes per message (default 3)."),
        "next": _NEXT,
        "provenance": _NODE_PROVENANCE,
    },
}

OPTION = {
    "label": Key(Kind.TEXT, "The option's text, shown after its number.", True),
    "number": Key(Kind.INT, "The number to type; by default the option's position."),
    "keywords": Key(Kind.WORDS, "More words that choose this option."),
    "go": Key(Kind.ID, "A node of this flow to go to."),
    "flow": Key(Kind.ID, "A flow to run; afterwards the menu is shown again (or `next`)."),
    "next": Key(Kind.ID, "With `flow`: the node to continue at after that flow."),
}

CHECK_TYPES = ("number", "yes_no", "one_of", "text")

CHECK = {
    "type": Key(Kind.ID, "number, yes_no, one_of (a list) or text.", True, choices=CHECK_TYPES),
    "min": Key(Kind.INT, "For number: the smallest accepted."),
    "max": Key(Kind.INT, "For number: the largest accepted."),
    "list": Key(Kind.ID, "For one_of: the id of the list of accepted answers."),
}

CASE = {
    "value": Key(Kind.WORDS, "The value, or list of values, of the field.", True),
    "go": Key(Kind.ID, "The node to go to.", True),
}

DEPLOYMENT = {
    "deployment": Key(Kind.ID, "The deployment's id.", True),
    "main_flow": Key(Kind.ID, "The main menu's flow, where the menu command leads.", True),
    "welcome_flow": Key(Kind.ID, "The flow that starts a new conversation (default: main_flow)."),
    "languages": Key(
        Kind.LIST, "Languages offered, the default (source) language first.", True, "language"
    ),
    "commands": Key(Kind.OBJECT, "Words of the global commands.", True, "commands"),
    "texts": Key(Kind.OBJECT, "What the service itself says.", True, "texts"),
    "sms": Key(Kind.OBJECT, "How SMS text is shaped and the cost budget.", of="sms"),
    "yes_words": Key(Kind.WORDS, "Words yes/no questions accept as yes."),
    "no_words": Key(Kind.WORDS, "Words yes/no questions accept as no."),
    "once_per_conversation": Key(
        Kind.WORDS,
        "Flows run at most once per conversation, such as the usefulness question; "
        "afterwards the flow or option that would run one goes straight on.",
    ),
    "danger": Key(
        Kind.OBJECT,
        "Words that tell a resident may be in danger, and the emergency message they get.",
        of="danger",
    ),
    "alerts": Key(
        Kind.OBJECT,
        "Opt-in alerts: the flow the alerts command opens, and the topics residents "
        "subscribe to in it (docs/alerts.md).",
        of="alerts",
    ),
    "usefulness": Key(
        Kind.ID,
        "The flow that asks whether the information was useful (its first node a menu, "
        "one option per answer, each leading to a step of its own): the dashboard counts "
        "the answers per topic.",
    ),
    "twilio_notice": Key(
        Kind.ID,
        "The welcome flow's message node that says what Twilio keeps. Its own text is said "
        "while Twilio keeps numbers and texts (OUTREACH_TWILIO_FORGET=keep); the texts "
        "twilio_redaction and twilio_delete, which it then needs, are said instead with "
        "Message Redaction on, or while the service deletes every record at Twilio.",
    ),
}

ALERTS = {
    "flow": Key(
        Kind.ID,
        "The flow the alerts command opens: it says what residents will get and how to "
        "stop, asks the department, then the topic.",
        True,
    ),
    "topics": Key(
        Kind.LIST, "The topics, each with the node of the flow that subscribes.", True, "topic"
    ),
}

TOPIC = {
    "topic": Key(Kind.ID, "The topic's id, named by the alerts staff write.", True),
    "node": Key(
        Kind.ID,
        "The node of the alerts flow that subscribes the resident to the topic, in the "
        "department they gave, when the conversation reaches it (its text confirms).",
        True,
    ),
}

DANGER = {
    "text": Key(
        Kind.TEXT,
        "The emergency message, sent at once when a danger word is found anywhere in a "
        "message: one SMS that names the numbers to call now.",
        True,
    ),
    "words": Key(Kind.LIST, "The danger words and phrases, by language.", True, "danger_words"),
    "flow": Key(
        Kind.ID,
        "The flow with what to do (the one the text's last word opens). In it and the "
        "flows it runs, an answer its menus understand wins over a danger word.",
    ),
    "provenance": Key(
        Kind.OBJECT, "Source and review dates of the numbers in the text.", True, "provenance"
    ),
}

DANGER_WORDS = {
    "language": Key(Kind.ID, "A language of the deployment (es, en...).", True),
    "words": Key(
        Kind.WORDS,
        "Words and phrases found anywhere in a message, forgiving case, accents and one "
        "typo in words of six or more letters. Every language's words work for everyone.",
        True,
    ),
    "not_danger": Key(
        Kind.WORDS,
        "Everyday phrases holding a danger word that are no danger ('se trata de' holds "
        "'trata'): where one is found, the danger words inside it do not count, unless a "
        "longer danger phrase covers them ('trata de personas').",
    ),
}

SMS = {
    "budget": Key(Kind.INT, "Segments a message may take before `outreach check` warns (1)."),
    "punctuation": Key(
        Kind.SWITCH,
        "true, false, or the languages whose SMS turn curly quotes, ʼ, dashes, ellipses and "
        "odd spaces into GSM-7 (true: all).",
    ),
    "plain_vowels": Key(
        Kind.WORDS, "Languages whose SMS write á í ó ú as a i o u, to stay GSM-7 (none)."
    ),
    "channels": Key(Kind.WORDS, "Channels whose text is shaped (sms)."),
}

LANGUAGE = {
    "code": Key(Kind.ID, "ISO 639 code (es, en, quc, kek, cak, mam).", True),
    "name": Key(Kind.TEXT, "The name residents know it by (default: the registry's)."),
}

_COMMAND_HELP = {
    Command.MENU: "Back to the main menu, from anywhere.",
    Command.HELP: "Explain how to use the service.",
    Command.LANGUAGE: "Choose another language.",
    Command.STOP: "Stop all messages (opt out). Matched exactly, never as a typo.",
    Command.START: "Receive messages again after stopping.",
    Command.DELETE: "Delete everything about the resident. Matched exactly, never as a typo.",
    Command.ALERTS: "Subscribe to alerts (with an alerts: section): opens the alerts flow.",
    Command.ALERTS_OFF: "End every alert subscription (ALERTAS NO). Matched exactly.",
}
COMMANDS = {
    command.value: Key(Kind.WORDS, _COMMAND_HELP[command], command not in OPTIONAL_COMMANDS)
    for command in Command
}

TEXTS = {name: Key(Kind.TEXT, f"The service's '{name}' text.", True) for name in SYSTEM_TEXTS} | {
    name: Key(Kind.TEXT, f"The service's '{name}' text (optional).") for name in OPTIONAL_TEXTS
}

LIST = {
    "list": Key(Kind.ID, "The list's id, used by one_of checks.", True),
    "items": Key(Kind.LIST, "The accepted answers, numbered in this order.", True, "item"),
    "numbered": Key(
        Kind.BOOL,
        "true: a reply that names no item gets the items, numbered, with the question's "
        "retry text, and a number then chooses its item (false).",
    ),
    "places": Key(
        Kind.TEXT,
        "A CSV file, relative to this file, of places inside the items (columns codigo, "
        "municipio, departamento, alias, nota; # lines are comments): a reply naming a "
        "place chooses the item it is in, e.g. Cobán chooses Alta Verapaz.",
    ),
    "places_count": Key(
        Kind.INT, "How many places the file must hold (the official count, e.g. 340)."
    ),
}

ITEM = {
    "value": Key(Kind.TEXT, "The value saved when this item is chosen.", True),
    "aliases": Key(Kind.WORDS, "Other spellings and names that choose this item."),
}

DIRECTORY = {
    "directory": Key(Kind.ID, "The directory's id, used by directory nodes.", True),
    "list": Key(Kind.ID, "The list whose values name the departments (departments).", True),
    "programmes": Key(
        Kind.LIST, "The programmes, in the order they are listed.", True, "programme"
    ),
}

#: What a programme's hours or eligibility say when the source does not say.
UNKNOWN = "unknown"

PROGRAMME = {
    "id": Key(Kind.ID, "A stable id, counted in referrals.", True),
    "name": Key(Kind.TEXT, "The programme's name as residents will see it.", True),
    "kind": Key(
        Kind.ID,
        "jobs, training, legal_aid, shelter, health or returnees.",
        True,
        choices=PROGRAMME_KINDS,
    ),
    "departments": Key(Kind.WORDS, "The departments served, or all.", True),
    "contact": Key(Kind.TEXT, "How to reach it, as short as possible.", True),
    "hours": Key(
        Kind.TEXT,
        "When it is open, as the source says; unknown if the source does not say "
        "(then not sent). Leaving it out is a warning.",
    ),
    "eligibility": Key(
        Kind.TEXT,
        "Who may apply, as the source says; unknown if the source does not say "
        "(then not sent). Leaving it out is a warning.",
    ),
    "provenance": Key(Kind.OBJECT, "Source and review dates of this entry.", True, "provenance"),
}

REMIND = {
    "at": Key(
        Kind.TEXT,
        "When the reminder is sent: a date and time with its zone, e.g. "
        "2027-02-09T09:00:00-06:00 (Guatemala). Never in the quiet hours: it would wait.",
        True,
    ),
    "text": Key(Kind.TEXT, "The reminder itself, one SMS: what, when and where.", True),
    "whatsapp_template": Key(
        Kind.TEXT,
        "The approved WhatsApp template (content_sid, HX...) the reminder goes as, its text "
        "the variable {{1}}: WhatsApp allows free text only within 24 hours of the "
        "resident's last message. Without it, residents on WhatsApp are not offered it.",
    ),
    "provenance": Key(
        Kind.OBJECT,
        "Source and review dates of the dated item the reminder repeats.",
        True,
        "provenance",
    ),
}

TABLES: dict[str, dict[str, Key]] = {
    "flow": FLOW,
    "provenance": PROVENANCE,
    "option": OPTION,
    "check": CHECK,
    "case": CASE,
    "deployment": DEPLOYMENT,
    "language": LANGUAGE,
    "sms": SMS,
    "danger": DANGER,
    "danger_words": DANGER_WORDS,
    "alerts": ALERTS,
    "topic": TOPIC,
    "remind": REMIND,
    "commands": COMMANDS,
    "texts": TEXTS,
    "list": LIST,
    "item": ITEM,
    "directory": DIRECTORY,
    "programme": PROGRAMME,
}

#: The key that tells what a file holds.
FILE_KINDS = {"flow": FLOW, "deployment": DEPLOYMENT, "list": LIST, "directory": DIRECTORY}
