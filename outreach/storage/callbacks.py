"""The missed-call callback queue: a caller's number, held only until the call back is
placed, and counts without any id.

- ``callback_queue``: the number (the one place a phone number is stored, DOMAIN.md
  section 7), from the missed call until the call back is placed, then deleted; the
  service empties the WAL after (``forget_erased``) and ``secure_delete`` overwrites the
  row in the file.
- ``callback_callers``: today's callbacks per caller, by a keyed pseudonym of the number
  (its own purpose: it links to no resident), deleted the next day.
- ``callback_hours``: callbacks queued, placed, failed and uncertain, per hour.
- ``callback_refusals``: missed calls not called back, per day and reason.

A row is claimed (``claimed_at``) before its call is placed and deleted after: a row
found claimed when a worker starts was left by a worker that died placing it (one worker
per database: outreach.service.worker), and is deleted without a call (see
outreach.service.callback for why).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from .connection import immediate

#: Why a missed call was not called back (callback_refusals.reason).
REFUSAL_REASONS = (
    "off",  # the callback is not configured
    "not_a_number",  # no caller id (withheld), or not a phone number
    "country",  # not one of the allowed country codes
    "queued",  # already waiting for its call back
    "caller_day",  # this caller's callbacks today are used up
    "hour",  # the callbacks of this hour are used up
    "budget",  # the day's budget of callbacks is used up
    "expired",  # waited too long (the worker was down): the caller no longer expects it
)


@dataclass(frozen=True)
class CallbackLimits:
    countries: tuple[str, ...]
    per_caller_day: int
    per_hour: int
    per_day: int


def count_refusal(db: Database, now: datetime, reason: str) -> None:
    """One more missed call not called back, for ``reason``, today."""
    with immediate(db):
        _count_refusal(db, now, reason)


def _count_refusal(db: Database, now: datetime, reason: str) -> None:
    db.execute(
        "INSERT INTO callback_refusals (day, reason, count) VALUES (?, ?, 1) "
        "ON CONFLICT (day, reason) DO UPDATE SET count = count + 1",
        [now.date().isoformat(), reason],
    )


def _count_hour(db: Database, now: datetime, outcome: str) -> None:
    db.execute(
        "INSERT INTO callback_hours (hour, outcome, count) VALUES (?, ?, 1) "
        "ON CONFLICT (hour, outcome) DO UPDATE SET count = count + 1",
        [now.strftime("%Y-%m-%dT%H"), outcome],
    )


def _queued(db: Database, where: str, value: str) -> int:
    row = db.execute(
        f"SELECT coalesce(sum(count), 0) FROM callback_hours WHERE outcome = 'queued' AND {where}",
        [value],
    ).fetchone()
    return int(row[0])


def request_callback(
    db: Database, number: str, caller: str, now: datetime, limits: CallbackLimits
) -> str | None:
    """Queue a call back to ``number`` (E.164) unless a limit refuses it; the reason it
    was refused (counted), or None. ``caller`` is the number's keyed pseudonym."""
    day = now.date().isoformat()
    with immediate(db):
        db.execute("DELETE FROM callback_callers WHERE day < ?", [day])
        mine = db.execute(
            "SELECT count FROM callback_callers WHERE day = ? AND caller = ?", [day, caller]
        ).fetchone()
        reason = None
        if not any(number.startswith(code) for code in limits.countries):
            reason = "country"
        elif db.execute("SELECT 1 FROM callback_queue WHERE number = ?", [number]).fetchone():
            reason = "queued"
        elif mine is not None and mine[0] >= limits.per_caller_day:
            reason = "caller_day"
        elif _queued(db, "hour = ?", now.strftime("%Y-%m-%dT%H")) >= limits.per_hour:
            reason = "hour"
        elif _queued(db, "substr(hour, 1, 10) = ?", day) >= limits.per_day:
            reason = "budget"
        if reason is not None:
            _count_refusal(db, now, reason)
            return reason
        db.execute(
            "INSERT INTO callback_queue (number, queued_at) VALUES (?, ?)",
            [number, now.isoformat()],
        )
        db.execute(
            "INSERT INTO callback_callers (day, caller, count) VALUES (?, ?, 1) "
            "ON CONFLICT (day, caller) DO UPDATE SET count = count + 1",
            [day, caller],
        )
        _count_hour(db, now, "queued")
    return None


def claim_next(db: Database, now: datetime, max_wait: timedelta) -> tuple[int, str] | None:
    """The oldest waiting call back (its row id and number), now claimed; rows that
    waited longer than ``max_wait`` are dropped first (counted as expired)."""
    with immediate(db):
        cutoff = (now - max_wait).isoformat()
        expired = db.execute(
            "DELETE FROM callback_queue WHERE claimed_at IS NULL AND queued_at < ?", [cutoff]
        ).rowcount
        for _ in range(expired):
            _count_refusal(db, now, "expired")
        row = db.execute(
            "SELECT id, number FROM callback_queue WHERE claimed_at IS NULL "
            "ORDER BY queued_at, id LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        db.execute(
            "UPDATE callback_queue SET claimed_at = ? WHERE id = ?", [now.isoformat(), row[0]]
        )
        return int(row[0]), str(row[1])


def release(db: Database, row_id: int) -> None:
    """A claimed call back that Twilio certainly did not place: back in the queue."""
    with immediate(db):
        db.execute("UPDATE callback_queue SET claimed_at = NULL WHERE id = ?", [row_id])


def finish(db: Database, row_id: int, now: datetime, outcome: str) -> None:
    """A claimed call back done with (``placed``, ``failed`` or ``uncertain``): its row,
    and the number with it, deleted."""
    with immediate(db):
        db.execute("DELETE FROM callback_queue WHERE id = ?", [row_id])
        _count_hour(db, now, outcome)


def drop_claimed(db: Database, now: datetime) -> int:
    """Delete the rows a dead worker had claimed, without a call; how many."""
    with immediate(db):
        dropped = db.execute("DELETE FROM callback_queue WHERE claimed_at IS NOT NULL").rowcount
        for _ in range(dropped):
            _count_hour(db, now, "uncertain")
    return int(dropped)


def waiting(db: Database) -> int:
    """How many call backs wait (claimed or not)."""
    return int(db.execute("SELECT count(*) FROM callback_queue").fetchone()[0])
