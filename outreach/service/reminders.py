"""Reminders residents ask for in a flow (issue #18 section 2, follow-ups): a message
node's ``remind:`` (flowfile spec; docs/alerts.md, "Reminders"), with the consent of
alerts: the resident reaches that node only by choosing a menu option, after a text that
says what they will get, when, and that their number is kept encrypted until then.

- The turn: the engine logs ``reminder_requested``; the turn's rows keep the reminder
  with the reply address sealed (outreach.service.turn_log), as a subscription's. A
  channel without an address (the simulator, a call) keeps none.
- Until its time: a row of ``reminders`` (m022). ALERTAS NO, STOP (BAJA) and DELETE
  (BORRAR) delete it, address included.
- At its time: :class:`ReminderTask`, a worker task, moves it into the outbox as a
  ``reminder`` row (storage/outbox.enqueue_reminder) and deletes it, in one transaction;
  the outbox's sender then sends it at the senders' pace, never in the quiet hours and
  within the weekly limit of alerts (it counts as one), and drops it for a resident who
  opted out since. :func:`reminder_text` is what the outbox's Composer says for such a
  row: the reminder's text in the resident's language, shaped for the channel; on
  WhatsApp as the reminder's approved template (:func:`reminder_of`), its text the
  variable {{1}}, as an alert outside the 24-hour window.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from outreach.engine.model import FlowSet, Reminder
from outreach.sms.shaping import shape
from outreach.storage import connect, immediate
from outreach.storage import outbox as ob
from outreach.storage import reminders as rm

#: Reminders moved into the outbox in one run_once at most.
BATCH = 200


def text_key(flow: str, node: str) -> str:
    """The catalog context of a node's reminder text (outreach.i18n.messages)."""
    return f"{flow}/{node}/remind"


class ReminderTask:
    """The worker's task that moves due reminders into the outbox (``run_once(now)``)."""

    def __init__(self, db_path: str | Path, config: Mapping[str, Any]) -> None:
        self.db_path = db_path
        self.config = config
        self._db: Database | None = None

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = connect(self.db_path)
        return self._db

    def run_once(self, now: datetime) -> bool:
        return move_due(self.db, now) > 0


def move_due(db: Database, now: datetime, limit: int = BATCH) -> int:
    """Each reminder due at ``now`` into the outbox, once (its key), and out of
    ``reminders``: both in one transaction, so a worker killed in between loses none and
    doubles none. Returns how many moved."""
    with immediate(db):
        due = rm.due(db, now, limit)
        for reminder_id, row in due:
            ob.enqueue_reminder(
                db, key=f"reminder:{row.resident}:{row.flow}:{row.node}",
                resident=row.resident, channel=row.channel, language=row.language,
                text_key=text_key(row.flow, row.node), address=row.address, nonce=row.nonce,
                due=now, now=now,
            )  # fmt: skip
            rm.remove(db, reminder_id)
    return len(due)


def reminder_of(flows: FlowSet, key: str) -> Reminder | None:
    """The reminder an outbox row's ``text_key`` names; None when the content no longer
    has it. On WhatsApp it goes as ``whatsapp_template`` (its text the variable {{1}}):
    the engine offers WhatsApp residents only reminders that have one."""
    flow_id, _, rest = key.partition("/")
    node_id = rest.removesuffix("/remind")
    flow = flows.flows.get(flow_id)
    node = flow.nodes.get(node_id) if flow is not None else None
    remind = getattr(node, "remind", None)
    return remind if isinstance(remind, Reminder) else None


def reminder_text(
    flows: FlowSet, key: str, language: str, channel: str,
    translate: Callable[[str, str, str], str] | None = None,
) -> str | None:  # fmt: skip
    """The text of the reminder ``key`` (an outbox row's ``text_key``) for a resident
    of ``language`` on ``channel``, translated by the catalogs' ``translate`` (the
    served content's TranslationState.translations; without a translation, the Spanish)
    and shaped as every SMS is; None when the content no longer has that reminder (the
    row is then withheld, not sent)."""
    remind = reminder_of(flows, key)
    if remind is None:
        return None
    # translate(text, context, language), as the engine's: the very same text if none.
    text = translate(remind.text, key, language) if translate else remind.text
    # Untranslated (the very same object), it is the source language's text: shaped so.
    source = flows.deployment.default_language
    return shape(text, language if text is not remind.text else source, channel,
                 flows.deployment.sms)  # fmt: skip
