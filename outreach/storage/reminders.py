"""Reminders residents asked for in a flow (a ``remind:`` of a message node): until its
time, a row with the address sealed (AES-GCM, as a subscriber's; the store never sees
it in clear); at its time the row moves into the outbox (:func:`due`, then
:func:`outreach.storage.outbox.enqueue_reminder` and :func:`remove` in one
transaction), and ALERTAS NO, STOP and DELETE delete it (:func:`end_reminders`).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlite_utils import Database


class ReminderRow(NamedTuple):
    """One row of ``reminders``, in its columns' order (without the id)."""

    resident: str
    flow: str
    node: str
    #: When it is due (ISO 8601, aware).
    send_at: str
    language: str
    channel: str
    #: The address, sealed with AES-GCM: never the number itself.
    address: bytes
    nonce: bytes
    #: The day it was asked for (no finer).
    created_on: str


_FIELDS = ", ".join(ReminderRow._fields)
_MARKS = ", ".join("?" for _ in ReminderRow._fields)


def remember(db: Database, row: ReminderRow) -> None:
    """Keep ``row``, in the caller's transaction; one already asked for stays as it is."""
    db.conn.execute(
        f"INSERT INTO reminders ({_FIELDS}) VALUES ({_MARKS})"
        " ON CONFLICT (resident, flow, node) DO NOTHING",
        row,
    )


def end_reminders(db: Database, resident: str) -> int:
    """Every reminder of ``resident`` and its address gone; in the caller's transaction."""
    return db.conn.execute("DELETE FROM reminders WHERE resident = ?", (resident,)).rowcount


def due(db: Database, now: datetime, limit: int) -> list[tuple[int, ReminderRow]]:
    """Up to ``limit`` reminders due at ``now``, the earliest first, with their ids."""
    # send_at is compared as a time, not as text: rows may carry any offset.
    rows = db.conn.execute(
        f"SELECT id, {_FIELDS} FROM reminders WHERE julianday(send_at) <= julianday(?)"
        " ORDER BY julianday(send_at), id LIMIT ?",
        (now.isoformat(), limit),
    ).fetchall()
    return [(int(row[0]), ReminderRow(*row[1:])) for row in rows]


def remove(db: Database, reminder_id: int) -> None:
    db.conn.execute("DELETE FROM reminders WHERE id = ?", (reminder_id,))


def reminders_of(db: Database, resident: str) -> list[ReminderRow]:
    rows = db.conn.execute(
        f"SELECT {_FIELDS} FROM reminders WHERE resident = ? ORDER BY send_at", (resident,)
    ).fetchall()
    return [ReminderRow(*row) for row in rows]
