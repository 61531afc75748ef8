"""One resident message, from any channel, through the engine and into the store,
exactly once."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlite_utils import Database

from outreach.engine import Engine, Inbound, Session, Sprint
from outreach.engine import events as ev
from outreach.sms import segment_info
from outreach.sms.packing import Outgoing, Rendered, render
from outreach.storage import forget_erased, immediate
from outreach.storage.residents import AlreadyProcessed, Store, TurnRows

from . import utc_now
from .addresses import AddressBox
from .content import Content
from .turn_log import turn_rows

logger = logging.getLogger(__name__)


@dataclass
class Reply:
    messages: list[Outgoing]
    #: True when the message was handled before (a retry): nothing changed this time.
    repeated: bool = False
    #: Alert subscriptions the turn asked for (the alerts flow's "Listo"), and those kept:
    #: only with an address to send to, which a channel without one (the web simulator)
    #: never has, so there nothing is kept and no alert is ever sent.
    alerts_asked: int = 0
    alerts_kept: int = 0
    #: The turn ended the resident's alert subscriptions (ALERTAS NO, STOP).
    alerts_ended: bool = False


class Conversations:
    """The one path every channel uses, so the simulator behaves as a phone would."""

    def __init__(
        self,
        db: Database,
        content: Content,
        clock: Callable[[], datetime] = utc_now,
        addresses: AddressBox | None = None,
    ) -> None:
        self.db = db
        self.content = content
        self.clock = clock
        #: Seals the address of a resident who subscribes to alerts; None: no alerts.
        self.addresses = addresses

    def handle(
        self,
        resident_id: str,
        text: str,
        *,
        channel: str,
        message_id: str,
        rendering: str,
        language: str | None = None,
        languages: Sequence[str] | None = None,
        speak: Callable[[Sprint], list[str]] | None = None,
        reply_address: str | None = None,
    ) -> Reply:
        """Handle one message. ``resident_id`` and ``message_id`` are keyed ids, never a
        phone number or Twilio's own id; ``rendering`` is "sms" or "whatsapp".
        ``reply_address`` (the sender's Twilio address) is kept, sealed, only if the turn
        subscribes the resident to alerts; it is never logged.

        The turn is worked out before the write lock is taken, from the session as last
        committed, and written under the lock only if that session is still the one
        stored; if another message of the resident got in first, the turn is worked out
        again under the lock. Either way each turn starts from the state the one before
        it left, as if they ran one after the other, and the lock is held for the writes
        alone, not for the engine.

        A call (``rendering`` "voice") passes ``languages``, those it offers, and
        ``speak``, which turns the turn into what the call says (stored as the reply, so
        a retry says it again word for word)."""
        engine = self.content.engine(languages)
        store = Store(self.db)
        address = (reply_address, self.addresses)
        inbound = Inbound(text, channel, language)
        earlier, state = store.turn_state(message_id, resident_id)
        if earlier is None:
            turn = self._turn(engine, state, inbound, rendering, speak)
            rows = turn.rows(resident_id, channel, message_id, address)
            try:
                with immediate(self.db, queued=True):
                    # Most often the session is still the one the turn began from, and
                    # writing the resident's row only if so is the check: no read.
                    if not store.save_turn_if_unchanged(state, rows):
                        earlier, latest = store.turn_state(message_id, resident_id)
                        if earlier is None:
                            if latest != state:
                                # Another message of this resident got in first: start
                                # from where it left the conversation.
                                turn = self._turn(engine, latest, inbound, rendering, speak)
                                rows = turn.rows(resident_id, channel, message_id, address)
                            store.save_turn(rows)
            except AlreadyProcessed:
                # Handled meanwhile, and the session is as it left it: all rolled back.
                earlier = store.processed_reply(message_id)
                if earlier is None:
                    # ... and erased since, with the rest of the resident: new again.
                    return self.handle(resident_id, text, channel=channel,
                                       message_id=message_id, rendering=rendering,
                                       language=language, languages=languages,
                                       speak=speak,
                                       reply_address=reply_address)  # fmt: skip
            if earlier is None:
                if rows.erases:
                    forget_erased(self.db)
                asked = sum(isinstance(e, ev.AlertsSubscribed) for e in turn.sprint.events)
                return Reply(turn.rendered.messages, alerts_asked=asked,
                             alerts_kept=len(rows.subscriptions),
                             alerts_ended=rows.ends_alerts)  # fmt: skip
        # Twilio retried, or a double tap: the same answer again, and nothing changes.
        return Reply([_outgoing(body, rendering) for body in earlier], repeated=True)

    def forget(self, resident_id: str) -> None:
        """Erase everything about a resident at once (the simulator's "start again"), as
        an erasure request does, freed pages scrubbed from the files."""
        with immediate(self.db):
            Store(self.db).erase(resident_id)
        forget_erased(self.db)

    def _turn(
        self,
        engine: Engine,
        state: str | None,
        inbound: Inbound,
        rendering: str,
        speak: Callable[[Sprint], list[str]] | None = None,
    ) -> _Turn:
        """What the engine makes of ``inbound`` from the stored session ``state``."""
        session = None if state is None else Session.from_dict(json.loads(state))
        now = self.clock()
        sprint = engine.resume(session, inbound, now)
        if speak is not None:
            bodies = speak(sprint)
            return _Turn(now, sprint, Rendered([Outgoing(b, None) for b in bodies], []))
        sms = engine.flows.deployment.sms
        return _Turn(now, sprint, render(sprint.outgoing, rendering, sprint.session.language, sms))


class _Turn(NamedTuple):
    now: datetime
    sprint: Sprint
    rendered: Rendered

    def rows(
        self,
        resident_id: str,
        channel: str,
        message_id: str,
        address: tuple[str | None, AddressBox | None] = (None, None),
    ) -> TurnRows:
        """What this turn writes to the store; ``address``: the reply address and what
        seals it, for an alert subscription."""
        sprint, rendered = self.sprint, self.rendered
        bodies = [m.body for m in rendered.messages]
        return turn_rows(
            resident_id, sprint.session, sprint.events, channel, message_id, bodies,
            rendered.segments, self.now, *address,
        )  # fmt: skip


def _outgoing(body: str, rendering: str) -> Outgoing:
    return Outgoing(body, None if rendering in ("whatsapp", "voice") else segment_info(body))
