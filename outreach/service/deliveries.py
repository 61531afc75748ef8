"""What Twilio says became of a message the service sent: a delivery status callback.

The furthest status a message reached is kept (callbacks come in any order), and a
carrier's "this recipient opted out" marks the resident opted out, as if they had
replied STOP. Ids are keyed ids, never Twilio's own or a phone number.

A message the outbox sent (an alert) is found by the same keyed id: its row keeps the
furthest status too, and a 21610 on it stops everything still queued for its resident
(whose keyed id the outbox knows even when Twilio names no number).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlite_utils import Database

from outreach.storage import alert_tallies, immediate, outbox
from outreach.storage.residents import Store

from . import utc_now

#: Twilio's error for a recipient who opted out (replied STOP to the sender).
OPTED_OUT_ERROR = 21610
#: Twilio's statuses are short words (the longest, partially_delivered, has 19
#: letters): whatever else a request claims is cut, not stored whole.
MAX_STATUS = 20


def record_delivery(
    db: Database,
    message_id: str,
    status: str,
    error_code: int | None,
    resident_id: str | None,
    clock: Callable[[], datetime] = utc_now,
    record_key: Callable[[str], int] | None = None,
) -> None:
    """Store one status callback: ``message_id`` is the keyed id of Twilio's MessageSid,
    ``resident_id`` the pseudonym of the recipient (None if Twilio named no number).
    ``record_key``: the residents' record keys (outreach.metrics.cellkey), with which an
    alert's figures are tallied in this same transaction (outreach.storage.alert_tallies)."""
    now = clock()
    with immediate(db, queued=True):
        store = Store(db)
        store.record_status(message_id, status[:MAX_STATUS], error_code, now)
        sent_to = outbox.record_status(db, message_id, status[:MAX_STATUS], error_code, now)
        resident_id = resident_id or sent_to
        if error_code == OPTED_OUT_ERROR and resident_id:
            store.mark_opted_out(resident_id, now)
            outbox.stop_resident(db, resident_id, "opted_out", now)
            # The carrier's STOP after an alert is an opt-out after it, as BAJA is.
            alert_tallies.mark_opted_out(db, resident_id, now)
        if record_key is not None and sent_to is not None:
            alert_tallies.settle_message(db, message_id, record_key)
