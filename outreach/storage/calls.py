"""The calls table (m015): one row per voice call, keyed, for the metrics.

A row holds a keyed id of the CallSid, the day, the language and last flow reached, the
length and the last status: nothing about who called."""

from __future__ import annotations

from sqlite_utils import Database

from .connection import immediate

#: Twilio's call statuses that end a call.
FINAL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})


def record_step(
    db: Database, call_id: str, day: str, language: str, flow: str | None, now: str
) -> None:
    """Where a call is: its language and, once it reached one, the last flow."""
    with immediate(db, queued=True):
        db.execute(
            "INSERT INTO calls (id, day, language, flow, completed, updated_at)"
            " VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT (id) DO UPDATE SET"
            " language = excluded.language, flow = coalesce(excluded.flow, calls.flow),"
            " updated_at = excluded.updated_at",
            (call_id, day, language, flow, now),
        )


def record_status(
    db: Database, call_id: str, day: str, status: str, seconds: int | None, now: str
) -> None:
    """A status callback: the call's last status, its length once it ended."""
    completed = int(status == "completed")
    with immediate(db, queued=True):
        db.execute(
            "INSERT INTO calls (id, day, status, seconds, completed, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
            " status = excluded.status, seconds = coalesce(excluded.seconds, calls.seconds),"
            " completed = max(calls.completed, excluded.completed),"
            " updated_at = excluded.updated_at",
            (call_id, day, status, seconds, completed, now),
        )
