"""The forget list: message and call records to delete at Twilio
(OUTREACH_TWILIO_FORGET=delete; outreach.service.forget does the deleting).

A row holds Twilio's raw sid, the one place the service ever keeps one, and only until
Twilio confirms the record is gone: then the row is deleted (``secure_delete``
overwrites it in the file; the task empties the WAL after). There is no resident, number
or text beside it, so the list says nothing about who wrote.

Nothing is claimed: a DELETE can be repeated (404 means gone), so a worker killed mid-
request leaves its row due, and the next one just sends it again. Call every writing
function inside :func:`~outreach.storage.immediate`.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlite_utils import Database

MESSAGE = "message"
CALL = "call"
KINDS = (MESSAGE, CALL)


class Job(NamedTuple):
    sid: str
    kind: str
    attempts: int
    created_at: datetime


def note(db: Database, kind: str, sid: str, due_at: datetime, now: datetime) -> None:
    """Delete record ``sid`` at Twilio from ``due_at`` on; noted again, the earlier of
    the two times holds (a final status moves a time limit forward, never back)."""
    assert kind in KINDS
    db.conn.execute(
        "INSERT INTO twilio_forget (sid, kind, due_at, attempts, created_at)"
        " VALUES (?, ?, ?, 0, ?)"
        " ON CONFLICT (sid) DO UPDATE SET due_at = min(due_at, excluded.due_at)",
        (sid, kind, due_at.isoformat(), now.isoformat()),
    )


def due(db: Database, now: datetime, limit: int) -> list[Job]:
    """Up to ``limit`` records due for deletion at ``now``, the longest due first."""
    return [
        Job(str(sid), str(kind), int(attempts), datetime.fromisoformat(created))
        for sid, kind, attempts, created in db.conn.execute(
            "SELECT sid, kind, attempts, created_at FROM twilio_forget WHERE due_at <= ?"
            " ORDER BY due_at, sid LIMIT ?",
            (now.isoformat(), limit),
        )
    ]


def done(db: Database, sid: str) -> None:
    """Twilio has no record ``sid`` any more: its row, and the sid with it, deleted."""
    db.conn.execute("DELETE FROM twilio_forget WHERE sid = ?", (sid,))


def later(db: Database, sid: str, at: datetime) -> None:
    """Twilio did not delete ``sid`` now (not final yet, or refused for now): again at
    ``at``."""
    db.conn.execute(
        "UPDATE twilio_forget SET due_at = ?, attempts = attempts + 1 WHERE sid = ?",
        (at.isoformat(), sid),
    )


def pending(db: Database) -> dict[str, int]:
    """Records still to delete, per kind (tests, and a deployment's check)."""
    return {
        str(kind): int(n)
        for kind, n in db.conn.execute("SELECT kind, count(*) FROM twilio_forget GROUP BY kind")
    }
