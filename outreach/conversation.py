"""One resident message, from any channel, through the engine and into the store,
exactly once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlite_utils import Database

from .channels.replies import Outgoing, render
from .content import Content
from .engine import Inbound
from .sms import segment_info
from .store import Store, forget_erased, immediate

logger = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Reply:
    messages: list[Outgoing]
    #: True when the message was handled before (a retry): nothing changed this time.
    repeated: bool = False


class Conversations:
    """The one path every channel uses, so the simulator behaves as a phone would."""

    def __init__(
        self, db: Database, content: Content, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.db = db
        self.content = content
        self.clock = clock

    def handle(
        self,
        resident_id: str,
        text: str,
        *,
        channel: str,
        message_id: str,
        rendering: str,
        language: str | None = None,
    ) -> Reply:
        """Handle one message. ``resident_id`` and ``message_id`` are keyed ids, never a
        phone number or Twilio's own id; ``rendering`` is "sms" or "whatsapp"."""
        engine = self.content.engine()
        sms = engine.flows.deployment.sms
        with immediate(self.db):
            store = Store(self.db)
            earlier = store.processed_reply(message_id)
            if earlier is not None:
                # Twilio retried, or a double tap: the same answer again, and nothing changes.
                return Reply([_outgoing(body, rendering) for body in earlier], repeated=True)
            resident = store.resident(resident_id)
            now = self.clock()
            sprint = engine.resume(resident.session, Inbound(text, channel, language), now)
            rendered = render(sprint.outgoing, rendering, sprint.session.language, sms)
            store.save_turn(
                resident_id,
                sprint.session,
                sprint.events,
                channel,
                message_id,
                [m.body for m in rendered.messages],
                rendered.segments,
                now,
            )
        if any(e.kind == "erasure_requested" for e in sprint.events):
            forget_erased(self.db)
        return Reply(rendered.messages)


def _outgoing(body: str, rendering: str) -> Outgoing:
    return Outgoing(body, None if rendering == "whatsapp" else segment_info(body))
