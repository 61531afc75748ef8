"""Rows about residents: the state a turn starts from, everything a turn writes, an
erasure, delivery statuses, opt-out, and forgetting residents silent for too long.

The per-message path is plain SQL on cached statements: sqlite-utils, which looks up
each table's schema on every call, stays with the migrations and the rarer writes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlite_utils import Database

from outreach.engine.session import Session

from .alert_tallies import mark_opted_out as mark_alert_opt_out
from .connection import FileDatabase
from .reminders import ReminderRow, end_reminders, remember
from .subscriptions import SubscriptionRow, end_subscriptions, subscribe

#: Keyed ids of processed messages are kept this long: enough for any Twilio retry.
PROCESSED_RETENTION = timedelta(days=2)
#: Old processed ids are pruned at most this often by each connection: a scan of two days
#: of ids once an hour costs less than keeping an index on them up to date on every turn.
PRUNE_INTERVAL = timedelta(hours=1)

#: Delivery statuses by how far a message got; callbacks arrive in any order.
STATUS_RANK = {
    "accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3,
    "canceled": 4, "failed": 4, "undelivered": 4, "delivered": 5, "read": 6,
}  # fmt: skip


class AlreadyProcessed(Exception):
    """The message was processed before: roll the transaction back, answer as then."""

    def __init__(self, message_id: str) -> None:
        super().__init__("message processed before")  # no id: it is the caller's to know
        self.message_id = message_id


@dataclass
class Resident:
    id: str
    session: Session | None
    opted_out: bool


class Store:
    """Reads and writes about residents; call the writing methods inside
    :func:`~outreach.storage.immediate`."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.conn = db.conn

    def resident(self, resident_id: str) -> Resident:
        row = self.conn.execute(
            "SELECT session, opted_out FROM residents WHERE id = ?", (resident_id,)
        ).fetchone()
        if row is None:
            return Resident(resident_id, None, False)
        return Resident(resident_id, Session.from_dict(json.loads(row[0])), bool(row[1]))

    def turn_state(self, message_id: str, resident_id: str) -> tuple[list[str] | None, str | None]:
        """In one statement: the reply already given to ``message_id`` (None if it is new)
        and the resident's session as stored, JSON text (None for someone never seen)."""
        reply, state = self.conn.execute(_TURN_STATE, (message_id, resident_id)).fetchone()
        return (None if reply is None else json.loads(reply)), state

    def processed_reply(self, message_id: str) -> list[str] | None:
        row = self.conn.execute(
            "SELECT reply FROM processed_messages WHERE id = ?", (message_id,)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def save_turn(self, rows: TurnRows) -> None:
        """Everything one turn changes (see :mod:`outreach.service.turn_log`), in the
        caller's transaction.

        Erasure removes every row about the resident and keeps nothing of this turn
        either, except, for a resident who had said STOP, that wish: a bare row so
        nothing is sent to them again; and the message id, so that a retry changes nothing.
        """
        if rows.erases:
            resident_id = rows.resident.id
            self.erase(resident_id)
            self.conn.execute(
                "INSERT INTO anonymous_counts (day, metric, language, channel, count) "
                "VALUES (?, 'erasure', ?, ?, 1) ON CONFLICT DO UPDATE SET count = count + 1",
                (rows.now.date().isoformat(), rows.language, rows.channel),
            )
            if rows.opted_out:
                self.conn.execute(_UPSERT_RESIDENT, rows.resident)
            # The erasure's own message id stays, linked to no one, as long as any
            # processed id does: a retry of this BORRAR, however late, gets the same
            # answer, is not counted again and erases nothing written since.
            processed = rows.processed
            self.conn.execute(
                "INSERT INTO processed_messages (id, resident, received_at, reply)"
                " VALUES (?, NULL, ?, ?) ON CONFLICT (id) DO NOTHING",
                (processed.id, processed.received_at, processed.reply),
            )
            return
        self.conn.execute(_UPSERT_RESIDENT, rows.resident)
        self._log_turn(rows)

    def save_turn_if_unchanged(self, stored: str | None, rows: TurnRows) -> bool:
        """:meth:`save_turn` in one statement fewer, for a turn worked out from the session
        ``stored`` (JSON text as read, None for a resident never seen): False, with
        nothing written, if the stored session is no longer that one or the turn erases.
        Raises :class:`AlreadyProcessed` if the message was processed before; the
        caller's transaction must then be rolled back."""
        if rows.erases:
            return False
        params: tuple[object, ...]
        if stored is None:
            # Never seen: inserted, unless another message of theirs got in first.
            sql, params = _INSERT_RESIDENT_IF_NEW, rows.resident
        else:
            # Only over that session: not over a newer one, and not into a row erased or
            # forgotten meanwhile (an upsert would bring the erased resident back).
            resident_id, *values = rows.resident
            sql, params = _UPDATE_RESIDENT_IF_UNCHANGED, (*values, resident_id, stored)
        if not self.conn.execute(sql, params).rowcount:
            return False
        self._log_turn(rows)
        return True

    def _log_turn(self, rows: TurnRows) -> None:
        self.conn.executemany(_INSERT_EVENT, rows.events)
        if rows.ends_alerts:
            end_subscriptions(self.db, rows.resident.id)
            end_reminders(self.db, rows.resident.id)
            # BAJA or ALERTAS NO soon after an alert: counted against it (section 5).
            mark_alert_opt_out(self.db, rows.resident.id, rows.now)
        for subscription in rows.subscriptions:
            subscribe(self.db, subscription)
        for reminder in rows.reminders:
            remember(self.db, reminder)
        if not self.conn.execute(
            "INSERT INTO processed_messages (id, resident, received_at, reply) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (id) DO NOTHING",
            rows.processed,
        ).rowcount:
            raise AlreadyProcessed(rows.processed.id)
        now = rows.now
        pruned_at = getattr(self.db, "pruned_at", None)
        if pruned_at is None or not timedelta(0) <= now - pruned_at < PRUNE_INTERVAL:
            cutoff = (now - PROCESSED_RETENTION).isoformat()
            self.conn.execute("DELETE FROM processed_messages WHERE received_at < ?", (cutoff,))
            if isinstance(self.db, FileDatabase):
                self.db.pruned_at = now

    def erase(self, resident_id: str) -> None:
        # The subscriptions go too, and with them the one address ever kept.
        for table in (
            "events",
            "daily_activity",
            "processed_messages",
            "outbox",
            # After the outbox: what its deleted rows left to count names the resident.
            "alert_tally_pending",
            "subscriptions",
            "calls",
            "reminders",
        ):
            self.db.table(table).delete_where("resident = ?", [resident_id])
        self.db.table("residents").delete_where("id = ?", [resident_id])

    def record_status(
        self, message_id: str, status: str, error_code: int | None, now: datetime
    ) -> None:
        """Keep the furthest status a message reached, with that status's error code,
        whatever order callbacks come in. The row names no resident: a status arriving
        after an erasure must not link anything back to them."""
        old = self.conn.execute(
            "SELECT status, error_code FROM outbound_messages WHERE id = ?", (message_id,)
        ).fetchone()
        if old is not None and STATUS_RANK.get(status, -1) < STATUS_RANK.get(old[0], -1):
            return
        self.conn.execute(
            "INSERT INTO outbound_messages (id, status, error_code, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET status = excluded.status,"
            " error_code = excluded.error_code, updated_at = excluded.updated_at",
            (message_id, status, error_code, now.isoformat()),
        )

    def mark_opted_out(self, resident_id: str, now: datetime) -> None:
        resident = self.resident(resident_id)
        if resident.session is None:
            return  # never seen: there is nothing to send to anyway
        resident.session.opted_out = True
        self.conn.execute(
            "UPDATE residents SET opted_out = 1, session = ?, updated_at = ? WHERE id = ?",
            (json.dumps(resident.session.to_dict()), now.isoformat(), resident_id),
        )


_TURN_STATE = (
    "SELECT (SELECT reply FROM processed_messages WHERE id = ?),"
    " (SELECT session FROM residents WHERE id = ?)"
)
# The first day a resident was seen is kept (a purge clears it from a bare STOP row:
# writing again, they start afresh); everything else is the latest.
_UPSERT_RESIDENT = (
    "INSERT INTO residents (id, language, opted_out, session, first_seen_on, updated_at,"
    " department) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
    " language = excluded.language, opted_out = excluded.opted_out, session = excluded.session,"
    " first_seen_on = coalesce(residents.first_seen_on, excluded.first_seen_on),"
    " updated_at = excluded.updated_at, department = excluded.department"
)
#: A resident's first row, unless one was written meanwhile.
_INSERT_RESIDENT_IF_NEW = (
    "INSERT INTO residents (id, language, opted_out, session, first_seen_on, updated_at,"
    " department) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"
)
#: The resident's row, only if it still holds the session the turn was worked out from.
_UPDATE_RESIDENT_IF_UNCHANGED = (
    "UPDATE residents SET language = ?, opted_out = ?, session = ?, "
    "first_seen_on = coalesce(first_seen_on, ?), updated_at = ?, department = ? "
    "WHERE id = ? AND session = ?"
)


class ResidentRow(NamedTuple):
    """A resident's row in ``residents``, in the order of the statements above."""

    id: str
    language: str
    opted_out: int
    #: The session, as JSON text.
    session: str
    first_seen_on: str
    updated_at: str
    #: The value of the session's department field (the service names the field), for
    #: the metrics: the store reads no field out of the session.
    department: str | None


class EventRow(NamedTuple):
    """One row of the interaction log, ``events``."""

    resident: str
    at: str
    kind: str
    flow: str | None
    node: str | None
    language: str | None
    channel: str
    run: str | None
    field: str | None
    #: The SMS segments of the node's message (0 on WhatsApp), None if it sent none.
    segments: int | None
    programme: str | None


class ProcessedRow(NamedTuple):
    """A processed message: its keyed id, the resident, when, and the reply (JSON)."""

    id: str
    resident: str
    received_at: str
    reply: str


_INSERT_EVENT = (
    f"INSERT INTO events ({', '.join(EventRow._fields)}) "
    f"VALUES ({', '.join('?' for _ in EventRow._fields)})"
)


class TurnRows(NamedTuple):
    """The rows one turn writes, worked out before the write lock is taken, so that the
    lock is held for the writes alone."""

    resident: ResidentRow
    events: list[EventRow]
    processed: ProcessedRow
    now: datetime
    erases: bool
    #: What an erasure still needs: the turn's language and channel (counted, with no
    #: resident), and whether the resident had said STOP (kept).
    language: str
    channel: str
    opted_out: bool
    #: Alert subscriptions the turn made, each with the address sealed, after ending
    #: every earlier one if ``ends_alerts`` (ALERTAS NO, STOP).
    subscriptions: tuple[SubscriptionRow, ...] = ()
    ends_alerts: bool = False
    #: Reminders the turn asked for, each with the address sealed (after ending every
    #: earlier one if ``ends_alerts``).
    reminders: tuple[ReminderRow, ...] = ()


def forget_silent_residents(db: Database, cutoff: str) -> int:
    """Residents whose last message is older than ``cutoff`` (a day): their row goes, or,
    for one who opted out, becomes a bare STOP in their language. Either way they start
    afresh if they write again, and count as new. In the caller's transaction."""
    forgotten = db.execute(
        "DELETE FROM residents WHERE updated_at < ? AND opted_out = 0", [cutoff]
    ).rowcount
    # A bare STOP row has no first day: those already reduced are left as they are.
    stopped = db.execute(
        "SELECT id, language FROM residents WHERE updated_at < ? AND opted_out = 1"
        " AND first_seen_on IS NOT NULL",
        [cutoff],
    ).fetchall()
    for resident, language in stopped:
        bare = Session(language=language, language_chosen=True, opted_out=True)
        db.execute(
            "UPDATE residents SET session = ?, first_seen_on = NULL, department = NULL"
            " WHERE id = ?",
            [json.dumps(bare.to_dict()), resident],
        )
    return forgotten + len(stopped)
