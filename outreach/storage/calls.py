"""The calls table (m015): one row per voice call, keyed, for the metrics.

A row holds a keyed id of the CallSid, the day, the language and last flow reached, the
length and the last status, and the caller's keyed pseudonym (the interaction log's, so
that figures are protected by the residents behind them: outreach.metrics.voice). The
caller's BORRAR deletes their calls (Store.erase); ``outreach purge`` deletes calls older
than the retention window (:func:`forget_before`)."""

from __future__ import annotations

from sqlite_utils import Database

from .connection import immediate

#: Twilio's call statuses that end a call.
FINAL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})


def record_step(
    db: Database,
    call_id: str,
    day: str,
    language: str,
    flow: str | None,
    now: str,
    resident: str | None = None,
) -> None:
    """Where a call is: its language and, once it reached one, the last flow; and who
    calls (None once they erased their data: the call's row then names no one)."""
    with immediate(db, queued=True):
        db.execute(
            "INSERT INTO calls (id, day, language, flow, completed, updated_at, resident)"
            " VALUES (?, ?, ?, ?, 0, ?, ?) ON CONFLICT (id) DO UPDATE SET"
            " language = excluded.language, flow = coalesce(excluded.flow, calls.flow),"
            " updated_at = excluded.updated_at, resident = excluded.resident",
            (call_id, day, language, flow, now, resident),
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


def forget_before(db: Database, cutoff: str) -> int:
    """Delete the calls of days before ``cutoff``: past the retention window, as the
    interaction rows are. In the caller's transaction; how many."""
    return int(db.execute("DELETE FROM calls WHERE day < ?", [cutoff]).rowcount)
