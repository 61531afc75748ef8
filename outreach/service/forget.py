"""Twilio forgets too (issue #18 section 4): with ``OUTREACH_TWILIO_FORGET=delete`` each
message and call record is deleted at Twilio once its final status is known, so that
Twilio's logs do not keep what this service never keeps: residents' numbers and texts.

What is noted, and when its record is deleted:

- An inbound message (the message webhook's MessageSid): final at receipt.
- A message the service sent, as a TwiML reply or through the outbox: its status
  callback's MessageSid, and the outbox's sid when Twilio takes it (:func:`sent_hook`,
  the sender's ``on_sent``). Final at delivered, undelivered, failed or canceled, or at
  read on WhatsApp, where a delivered message may still be read (deleting it then would
  lose the read callback the alert figures count). A message whose final status never
  comes (a lost callback, a WhatsApp message never read) is deleted
  ``TWILIO_FORGET_AFTER_HOURS`` after it was noted.
- A call (the voice webhook's and the missed-call webhook's CallSid, and each call
  status callback's): final at completed, busy, no-answer, failed or canceled.

Twilio asks for a minute after a record is final before it is deleted (error 20009,
"cannot delete this resource before it is complete", also comes later in rare cases):
a due record is deleted a minute after its final status, and a refusal puts it back
for later, 1 minute, then 2, 4 ... up to 6 hours, for up to :data:`GIVE_UP` (Twilio
says a record may take 14 days to be final). A 404 is done: already gone.

The deleting is a worker task, through the one REST client, with no retry inside the
request (``retries=0``): its own backoff is the durable one above, so a throttled
Twilio never holds the worker's other tasks (a resident waiting for a call back, an
alert at its pace) for the client's pauses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlite_utils import Database

from outreach.storage import connect, forget_erased, immediate
from outreach.storage import forget as jobs

from .twilio_api import TwilioApi, TwilioApiError

logger = logging.getLogger(__name__)

DELETE = "delete"
#: Twilio: wait at least a minute after a record is final before deleting it.
SETTLE = timedelta(minutes=1)
#: The pause after the first refusal, doubled after each, and its ceiling.
RETRY_FIRST = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=6)
#: After this long a record Twilio still will not delete is given up on (logged): its
#: sid should not be kept for ever. Twilio: up to 14 days to be final.
GIVE_UP = timedelta(days=15)
#: Records deleted in one ``run_once`` at most, before the worker's other tasks run.
BATCH = 20
#: Twilio's "not final yet" answer to a DELETE.
NOT_FINAL = 20009

#: Final statuses of a message; WhatsApp's "delivered" is not (a "read" may follow).
FINAL_MESSAGE = frozenset({"received", "delivered", "undelivered", "failed", "canceled", "read"})
FINAL_CALL = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})


def forgetting(config: Mapping[str, Any]) -> bool:
    """True when records are deleted at Twilio (OUTREACH_TWILIO_FORGET=delete)."""
    return config.get("TWILIO_FORGET") == DELETE


def _limit(config: Mapping[str, Any]) -> timedelta:
    return timedelta(hours=int(config.get("TWILIO_FORGET_AFTER_HOURS") or 24))


def message_final(status: str | None, channel: str) -> bool:
    if status == "delivered" and channel == "whatsapp":
        return False
    return status in FINAL_MESSAGE


def note_message(
    db: Database, config: Mapping[str, Any], sid: str, status: str | None, channel: str,
    now: datetime,
) -> None:  # fmt: skip
    """A message record Twilio has as ``sid``, last seen with ``status`` (None: just
    sent): noted for deletion, at once if final, else after the time limit."""
    if not forgetting(config) or not sid:
        return
    due = now + (SETTLE if message_final(status, channel) else _limit(config))
    with immediate(db, queued=True):
        jobs.note(db, jobs.MESSAGE, sid, due, now)


def note_call(
    db: Database, config: Mapping[str, Any], sid: str, status: str | None, now: datetime
) -> None:
    """A call record (``sid``, last seen with ``status``): noted like a message."""
    if not forgetting(config) or not sid:
        return
    due = now + (SETTLE if status in FINAL_CALL else _limit(config))
    with immediate(db, queued=True):
        jobs.note(db, jobs.CALL, sid, due, now)


def sent_hook(db: Database, config: Mapping[str, Any]) -> Callable[[str, datetime], None] | None:
    """The outbox sender's ``on_sent``: the MessageSid of each message Twilio took,
    deleted after the time limit unless its final status callback comes first; None
    when nothing is deleted."""
    if not forgetting(config):
        return None

    def on_sent(sid: str, now: datetime) -> None:
        # Not final yet, whatever the channel: the status callback makes it due.
        note_message(db, config, sid, None, "", now)

    return on_sent


class DeleteApi(Protocol):
    def delete_message(self, sid: str) -> None: ...
    def delete_call(self, sid: str) -> None: ...


def retry_delay(attempts: int) -> timedelta:
    """The pause after the ``attempts``-th refusal (0: the first)."""
    return min(RETRY_MAX, RETRY_FIRST * (1 << min(20, max(0, attempts))))


class ForgetTask:
    """The worker's task that deletes due records at Twilio (``run_once(now) -> bool``)."""

    def __init__(
        self, db_path: str | Path, config: Mapping[str, Any], api: DeleteApi | None = None
    ) -> None:
        self.db_path = db_path
        self.config = config
        self.api = api
        self._db: Database | None = None

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = connect(self.db_path)
        return self._db

    def run_once(self, now: datetime) -> bool:
        if not (self.config.get("TWILIO_ACCOUNT_SID") and self.config.get("TWILIO_AUTH_TOKEN")):
            return False
        due = jobs.due(self.db, now, BATCH)
        if not due:
            return False
        if self.api is None:
            self.api = TwilioApi.from_config(dict(self.config) | {"TWILIO_API_RETRIES": 0})
        forgotten = 0
        for job in due:
            delete = self.api.delete_call if job.kind == jobs.CALL else self.api.delete_message
            try:
                delete(job.sid)
            except Exception as exc:
                throttled = isinstance(exc, TwilioApiError) and exc.retryable
                if now - job.created_at >= GIVE_UP:
                    # Only the kind and the code: never the sid in a log.
                    logger.warning(
                        "a %s record Twilio would not delete for %d days was given up on"
                        " (code %s)", job.kind, GIVE_UP.days, getattr(exc, "code", None),
                    )  # fmt: skip
                    with immediate(self.db):
                        jobs.done(self.db, job.sid)
                    forgotten += 1
                else:
                    with immediate(self.db):
                        jobs.later(self.db, job.sid, now + retry_delay(job.attempts))
                if throttled:
                    break  # Twilio asks the account to slow down: the rest wait too
                continue
            with immediate(self.db):
                jobs.done(self.db, job.sid)
            forgotten += 1
        if forgotten:
            forget_erased(self.db)  # the deleted sids out of the WAL too
        return True


def pending(db: Database) -> dict[str, int]:
    """Records still to delete at Twilio, per kind."""
    return jobs.pending(db)
