"""What a turn takes and gives: the resident's message (:class:`Inbound`), their state
between messages (:class:`Session`, plain data that round-trips through JSON) and the
outcome (:class:`Sprint`).

The fields of :class:`Session` are listed once, in the dataclass: copying a session,
clearing a conversation and the JSON round trip all follow from that list, by each
field's type, so a new field cannot be forgotten by one of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, Field, dataclass, field, fields
from datetime import datetime
from typing import Any, Self

from . import events as ev


@dataclass(frozen=True)
class Inbound:
    """A resident's message as the engine sees it: no phone number, ever."""

    text: str
    channel: str = "sms"
    #: A language the channel already knows (e.g. picked in the web simulator), if any.
    language: str | None = None


@dataclass
class Frame:
    """One flow in progress. ``node`` is where it waits or, for a caller, the node that
    called the flow below it."""

    flow: str
    #: None for a caller that completes as soon as the flow it called completes.
    node: str | None
    run: str

    def to_dict(self) -> dict[str, str | None]:
        return {"flow": self.flow, "node": self.node, "run": self.run}


#: Field metadata: cleared when a conversation starts afresh (:meth:`Session.clear_conversation`);
#: the other fields belong to the resident and stay.
CONVERSATION = {"conversation": True}


@dataclass
class Session:
    """Everything the engine remembers about one resident between messages.

    ``stack`` holds the flows in progress, the innermost last; an empty stack means no
    conversation is under way. ``pending`` names a built-in wait such as the language menu.
    """

    language: str
    #: False until the resident chose a language (or it was clear from what they wrote).
    language_chosen: bool = False
    fields: dict[str, str] = field(default_factory=dict)
    stack: list[Frame] = field(default_factory=list, metadata=CONVERSATION)
    pending: str | None = field(default=None, metadata=CONVERSATION)
    #: The page of a directory listing the resident is at (0 when not in one).
    page: int = 0
    #: True once a question's numbered list was shown at the current wait: a number
    #: then chooses from it (before, "1" is more likely a menu habit than an answer).
    list_shown: bool = False
    #: The items offered, numbered from 1, by a follow-up asking which one a place named
    #: by the resident is in ("San José": Escuintla or Petén); empty when none was asked.
    place_choices: list[str] = field(default_factory=list, metadata=CONVERSATION)
    not_understood: int = field(default=0, metadata=CONVERSATION)
    opted_out: bool = False
    #: True once the resident got the welcome and privacy notice: it comes before
    #: anything else for a new resident, and only once. Sessions saved before this flag
    #: existed belong to residents already greeted (``missing``).
    welcomed: bool = field(default=False, metadata={"missing": True})
    #: The once-per-conversation flows already run in this conversation.
    ran_once: list[str] = field(default_factory=list, metadata=CONVERSATION)
    last_seen: datetime | None = None

    def copy(self) -> Self:
        """A session equal to this one that shares nothing mutable with it."""
        cls = type(self)
        mutable = _MUTABLE.get(cls)
        if mutable is None:
            _plan(self)  # every field's type is known
            mutable = _MUTABLE[cls]
        # The engine copies a session every turn, so the copy is made as copy.copy does
        # (the values as they are, no __init__), then what can change in place is copied.
        new = object.__new__(cls)
        values = new.__dict__
        values.update(self.__dict__)
        for name, copy in mutable:
            values[name] = copy(values[name])
        return new

    def clear_conversation(self) -> None:
        """Forget the conversation under way (after the session timeout), not the resident:
        their language, answers, opt-out and welcome stay."""
        for f, _kind in _plan(self):
            if f.metadata.get("conversation"):
                setattr(self, f.name, _default(f))

    def to_dict(self) -> dict[str, Any]:
        return {f.name: kind.dump(getattr(self, f.name)) for f, kind in _plan(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        values = {}
        for f, kind in _plan(cls):
            if f.name in data:
                values[f.name] = kind.load(data[f.name])
            elif "missing" in f.metadata:
                values[f.name] = f.metadata["missing"]
            else:
                values[f.name] = _default(f)  # a field newer than the saved session
        return cls(**values)


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


@dataclass(frozen=True)
class _Kind:
    """How a field of one type is copied, written as JSON and read back."""

    copy: Callable[[Any], Any]
    dump: Callable[[Any], Any]
    load: Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


def _strings(values: Any) -> list[str]:
    return [str(value) for value in values]


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


#: By the field's annotation (a string: annotations are not evaluated here).
_KINDS = {
    "str": _Kind(_same, _same, str),
    "str | None": _Kind(_same, _same, _same),
    "bool": _Kind(_same, _same, bool),
    "int": _Kind(_same, _same, int),
    "dict[str, str]": _Kind(dict, dict, dict),
    "list[str]": _Kind(list, list, _strings),
    "list[Frame]": _Kind(
        lambda stack: [Frame(f.flow, f.node, f.run) for f in stack],
        lambda stack: [f.to_dict() for f in stack],
        lambda stack: [Frame(**f) for f in stack],
    ),
    "datetime | None": _Kind(_same, lambda t: t.isoformat() if t else None, _time),
}


_PLANS: dict[type, tuple[tuple[Field[Any], _Kind], ...]] = {}
#: By class: the fields a copy must not share, each with how to copy it.
_MUTABLE: dict[type, tuple[tuple[str, Callable[[Any], Any]], ...]] = {}


def _plan(session: Session | type[Session]) -> tuple[tuple[Field[Any], _Kind], ...]:
    """Each field of a session class with its kind, worked out once per class."""
    cls = session if isinstance(session, type) else type(session)
    plan = _PLANS.get(cls)
    if plan is None:
        kinds = []
        for f in fields(cls):
            kind = _KINDS.get(str(f.type))
            if kind is None:
                raise TypeError(f"Session field {f.name!r}: no copy and JSON for type {f.type}")
            kinds.append((f, kind))
        plan = _PLANS[cls] = tuple(kinds)
        _MUTABLE[cls] = tuple((f.name, kind.copy) for f, kind in plan if kind.copy is not _same)
    return plan


def _default(f: Field[Any]) -> Any:
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    raise KeyError(f.name)  # a required field (the language): a saved session has it
