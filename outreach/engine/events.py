"""Events: what happened during one turn of a conversation.

The engine never sends, stores or logs anything itself; it returns these events and the
caller (a channel, the simulator, a test) acts on them. Each event's docstring starts with
its ``kind``, the name used in the interaction log and in conversation tests.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str] = "event"
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return {"kind": self.kind, **data}


@dataclass(frozen=True)
class MessageCreated(Event):
    """msg_created: a message to send to the resident."""

    kind: ClassVar[str] = "msg_created"
    text: str
    flow: str | None
    node: str | None
    language: str
    #: The language the text is really in: the source language where a translation was
    #: missing (the resident's language is ``language``). SMS shaping follows this one.
    text_language: str = ""


@dataclass(frozen=True)
class NodeVisited(Event):
    """node_visited: the conversation reached a node."""

    kind: ClassVar[str] = "node_visited"
    flow: str
    node: str
    run: str


@dataclass(frozen=True)
class FlowStarted(Event):
    """flow_started: a run of a flow began."""

    kind: ClassVar[str] = "flow_started"
    flow: str
    run: str


@dataclass(frozen=True)
class FlowCompleted(Event):
    """flow_completed: a run of a flow reached its end."""

    kind: ClassVar[str] = "flow_completed"
    flow: str
    run: str


@dataclass(frozen=True)
class FieldSaved(Event):
    """field_saved: an answer was saved into a field of the resident."""

    kind: ClassVar[str] = "field_saved"
    field: str
    value: str
    flow: str
    node: str


@dataclass(frozen=True)
class ReferralGiven(Event):
    """referral_given: a programme of a directory was shown to the resident."""

    kind: ClassVar[str] = "referral_given"
    programme: str
    department: str
    language: str
    flow: str
    node: str


@dataclass(frozen=True)
class InputNotUnderstood(Event):
    """input_not_understood: the resident's message matched nothing at a wait."""

    kind: ClassVar[str] = "input_not_understood"
    flow: str | None
    node: str | None
    attempt: int
    language: str


@dataclass(frozen=True)
class DangerRecognised(Event):
    """danger_recognised: a message held a danger word; the emergency message was sent.

    ``flow`` and ``node`` are where the conversation was waiting (None outside a flow);
    which word it was is not kept: it is the resident's own words."""

    kind: ClassVar[str] = "danger_recognised"
    flow: str | None
    node: str | None
    language: str


@dataclass(frozen=True)
class HelpRequested(Event):
    """help_requested: the resident used the help command."""

    kind: ClassVar[str] = "help_requested"


@dataclass(frozen=True)
class LanguageChanged(Event):
    """language_changed: the resident chose another language."""

    kind: ClassVar[str] = "language_changed"
    language: str
    previous: str


@dataclass(frozen=True)
class OptOutRequested(Event):
    """opt_out_requested: the resident asked to receive no more messages."""

    kind: ClassVar[str] = "opt_out_requested"


@dataclass(frozen=True)
class OptInRequested(Event):
    """opt_in_requested: an opted-out resident asked to receive messages again."""

    kind: ClassVar[str] = "opt_in_requested"


@dataclass(frozen=True)
class ErasureRequested(Event):
    """erasure_requested: the resident asked for everything about them to be deleted."""

    kind: ClassVar[str] = "erasure_requested"


@dataclass(frozen=True)
class AlertsSubscribed(Event):
    """alerts_subscribed: the resident, told what they will get and how to stop, asked
    for alerts of ``topic`` in ``department``. The service keeps their address for it."""

    kind: ClassVar[str] = "alerts_subscribed"
    topic: str
    department: str
    language: str


@dataclass(frozen=True)
class ReminderRequested(Event):
    """reminder_requested: the resident chose a reminder (reached the message node of
    ``flow`` and ``node`` that offers it): its text is to be sent to them at ``at``. The
    service keeps their address, sealed, until then; ALERTAS NO, STOP and DELETE
    cancel it."""

    kind: ClassVar[str] = "reminder_requested"
    flow: str
    node: str
    remind_at: datetime
    language: str


@dataclass(frozen=True)
class AlertsEnded(Event):
    """alerts_ended: the resident's alert subscriptions end (``reason``: alerts_off for
    ALERTAS NO, stop for STOP/BAJA); the service deletes them and their address."""

    kind: ClassVar[str] = "alerts_ended"
    reason: str


@dataclass(frozen=True)
class RunFailed(Event):
    """run_failed: the turn was stopped because the content is broken (e.g. a loop)."""

    kind: ClassVar[str] = "run_failed"
    flow: str | None
    node: str | None
    reason: str
