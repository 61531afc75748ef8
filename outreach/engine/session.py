"""A resident's conversation state: plain data that round-trips through JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


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
    stack: list[Frame] = field(default_factory=list)
    pending: str | None = None
    #: The page of a directory listing the resident is at (0 when not in one).
    page: int = 0
    #: True once a question's numbered list was shown at the current wait: a number
    #: then chooses from it (before, "1" is more likely a menu habit than an answer).
    list_shown: bool = False
    #: The items offered, numbered from 1, by a follow-up asking which one a place named
    #: by the resident is in ("San José": Escuintla or Petén); empty when none was asked.
    place_choices: list[str] = field(default_factory=list)
    not_understood: int = 0
    opted_out: bool = False
    #: True once the resident got the welcome and privacy notice: it comes before
    #: anything else for a new resident, and only once.
    welcomed: bool = False
    #: The once-per-conversation flows already run in this conversation.
    ran_once: list[str] = field(default_factory=list)
    last_seen: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "language_chosen": self.language_chosen,
            "fields": dict(self.fields),
            "stack": [frame.to_dict() for frame in self.stack],
            "pending": self.pending,
            "page": self.page,
            "list_shown": self.list_shown,
            "place_choices": list(self.place_choices),
            "not_understood": self.not_understood,
            "opted_out": self.opted_out,
            "welcomed": self.welcomed,
            "ran_once": list(self.ran_once),
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        last_seen = data.get("last_seen")
        return cls(
            language=data["language"],
            language_chosen=bool(data.get("language_chosen", False)),
            fields=dict(data.get("fields", {})),
            stack=[Frame(**frame) for frame in data.get("stack", [])],
            pending=data.get("pending"),
            page=int(data.get("page", 0)),
            list_shown=bool(data.get("list_shown", False)),
            place_choices=[str(v) for v in data.get("place_choices", [])],
            not_understood=int(data.get("not_understood", 0)),
            opted_out=bool(data.get("opted_out", False)),
            # Sessions saved before this flag existed belong to residents already greeted.
            welcomed=bool(data.get("welcomed", True)),
            ran_once=[str(flow) for flow in data.get("ran_once", [])],
            last_seen=datetime.fromisoformat(last_seen) if last_seen else None,
        )
