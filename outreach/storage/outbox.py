"""The outbox: messages the service sends on its own (alerts, replies), each a row that
goes queued -> sending -> sent | failed | unknown | canceled, and never back from
``sending`` to ``queued`` (see :mod:`outreach.service.outbox` for why).

A row names its recipient by keyed id and its text by reference (an alert's id and the
language, or a catalog context); a reply's address is sealed (AES-GCM, as a subscriber's
is), an alert's is the subscription's. Call every writing function inside
:func:`~outreach.storage.immediate`: a claim and its ``sending`` state are one
transaction, committed before the message is handed to Twilio.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlite_utils import Database

QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
#: Twilio may or may not have taken the message: it is never handed over again.
UNKNOWN = "unknown"
#: Not sent, on purpose: the resident opted out, unsubscribed, or reached the weekly limit.
CANCELED = "canceled"
STATES = (QUEUED, SENDING, SENT, FAILED, UNKNOWN, CANCELED)

REPLY = "reply"
ALERT = "alert"
#: A reminder the resident asked for in a flow (outreach.service.reminders): sent like an
#: alert, never in the quiet hours and within the weekly limit; its text by catalog
#: context (``text_key``, "<flow>/<node>/remind") and its address sealed, as a reply's.
REMINDER = "reminder"
#: Lower goes first: replies to residents always ahead of bulk alerts.
PRIORITY = {REPLY: 0, ALERT: 1, REMINDER: 1}
#: Kinds the weekly limit counts and holds (the service's own initiative).
LIMITED = (ALERT, REMINDER)

#: Rows whose end is known are kept this long, for the weekly limit and late status
#: callbacks, then deleted (:func:`prune`).
KEEP_FINISHED = timedelta(days=8)

#: States in which a message counts against a resident's weekly limit: it went, or may have.
_COUNTED = (SENDING, SENT, UNKNOWN)


class OutboxRow(NamedTuple):
    """What the sender needs of a claimed row."""

    id: int
    kind: str
    resident: str
    channel: str
    language: str | None
    alert: int | None
    topic: str | None
    text_key: str | None
    address: bytes | None
    nonce: bytes | None
    attempts: int


_COLUMNS = "id, kind, resident, channel, language, alert, topic, text_key, address, nonce, attempts"
_O_COLUMNS = ", ".join(f"o.{c.strip()}" for c in _COLUMNS.split(","))


def enqueue_reply(
    db: Database, *, key: str, resident: str, channel: str, language: str, text_key: str,
    address: bytes, nonce: bytes, now: datetime,
) -> bool:  # fmt: skip
    """Queue a reply (a catalog text, ``text_key`` its context) to a sealed ``address``.
    ``key`` is the caller's id of this message: queueing it again is a no-op. True if
    it was new."""
    stamp = now.isoformat()
    return bool(
        db.conn.execute(
            "INSERT INTO outbox (key, kind, priority, resident, channel, language, text_key,"
            " address, nonce, state, attempts, next_attempt_at, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
            (key, REPLY, PRIORITY[REPLY], resident, channel, language, text_key, address,
             nonce, QUEUED, stamp, stamp, stamp),
        ).rowcount
    )  # fmt: skip


def enqueue_reminder(
    db: Database, *, key: str, resident: str, channel: str, language: str, text_key: str,
    address: bytes, nonce: bytes, due: datetime, now: datetime,
) -> bool:  # fmt: skip
    """Queue a reminder (outreach.storage.reminders) for ``due``: its text by catalog
    context, its address sealed. ``key`` makes it once only. True if it was new."""
    stamp = now.isoformat()
    return bool(
        db.conn.execute(
            "INSERT INTO outbox (key, kind, priority, resident, channel, language, text_key,"
            " address, nonce, state, attempts, next_attempt_at, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
            (key, REMINDER, PRIORITY[REMINDER], resident, channel, language, text_key,
             address, nonce, QUEUED, due.astimezone(now.tzinfo).isoformat(), stamp, stamp),
        ).rowcount
    )  # fmt: skip


def enqueue_alert(
    db: Database, alert: int, topic: str, recipients: Iterable[tuple[str, str, str]],
    now: datetime,
) -> int:  # fmt: skip
    """Queue ``alert`` for each (resident, language, channel) of ``recipients``, once per
    resident however often this runs (a fan-out cut short and started again). Returns
    how many rows are new."""
    stamp = now.isoformat()
    cursor = db.conn.executemany(
        "INSERT INTO outbox (key, kind, priority, resident, channel, language, alert, topic,"
        " state, attempts, next_attempt_at, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
        (
            (f"alert:{alert}:{resident}", ALERT, PRIORITY[ALERT], resident, channel,
             language, alert, topic, QUEUED, stamp, stamp, stamp)
            for resident, language, channel in recipients
        ),
    )  # fmt: skip
    return max(cursor.rowcount, 0)


def claim(
    db: Database, now: datetime, channel: str, *, alerts: bool, weekly_limit: int
) -> OutboxRow | None:
    """The next message of ``channel`` due at ``now``, marked ``sending``; None if there
    is none. Replies come first; alerts only if ``alerts`` (not in quiet hours).

    A due message for a resident who opted out since is canceled instead, and so is an
    alert that would be the resident's ``weekly_limit`` + 1st in seven days: the limit
    always holds, and an alert a week late would be stale."""
    stamp = now.isoformat()
    week_ago = (now - timedelta(days=7)).isoformat()
    max_priority = PRIORITY[ALERT] if alerts else PRIORITY[REPLY]
    while True:
        found = db.conn.execute(
            f"SELECT {_O_COLUMNS}, coalesce(r.opted_out, 0) FROM outbox o"
            " LEFT JOIN residents r ON r.id = o.resident"
            " WHERE o.state = ? AND o.channel = ? AND o.priority <= ?"
            " AND o.next_attempt_at <= ? ORDER BY o.priority, o.next_attempt_at, o.id LIMIT 1",
            (QUEUED, channel, max_priority, stamp),
        ).fetchone()
        if found is None:
            return None
        row = OutboxRow(*found[:-1])
        if found[-1]:
            _cancel(db, row.id, "opted_out", stamp)
            continue
        if row.kind in LIMITED and alerts_since(db, row.resident, week_ago) >= weekly_limit:
            _cancel(db, row.id, "weekly_limit", stamp)
            continue
        db.conn.execute(
            "UPDATE outbox SET state = ?, attempts = attempts + 1, claimed_at = ?,"
            " updated_at = ? WHERE id = ?",
            (SENDING, stamp, stamp, row.id),
        )
        return row._replace(attempts=row.attempts + 1)


def alerts_since(db: Database, resident: str, since: str) -> int:
    """Alerts (and reminders) handed to Twilio for ``resident`` (or maybe handed) after
    ``since``."""
    marks = ", ".join("?" for _ in _COUNTED)
    kinds = ", ".join("?" for _ in LIMITED)
    return int(
        db.conn.execute(
            f"SELECT count(*) FROM outbox WHERE resident = ? AND kind IN ({kinds})"
            f" AND claimed_at > ? AND state IN ({marks})",
            (resident, *LIMITED, since, *_COUNTED),
        ).fetchone()[0]
    )


def mark_sent(db: Database, row_id: int, message_id: str, now: datetime) -> None:
    """Twilio took the message; ``message_id`` is the keyed id of its MessageSid, by
    which status callbacks find the row."""
    db.conn.execute(
        "UPDATE outbox SET state = ?, message_id = ?, status = coalesce(status, 'accepted'),"
        " updated_at = ? WHERE id = ? AND state = ?",
        (SENT, message_id, now.isoformat(), row_id, SENDING),
    )


def retry_at(
    db: Database, row_id: int, at: datetime, error_code: int | None, now: datetime
) -> None:
    """Twilio surely did not take the message: queue it again for ``at``."""
    db.conn.execute(
        "UPDATE outbox SET state = ?, next_attempt_at = ?, error_code = ?, updated_at = ?"
        " WHERE id = ? AND state = ?",
        (QUEUED, at.isoformat(), error_code, now.isoformat(), row_id, SENDING),
    )


def finish(
    db: Database, row_id: int, state: str, error_code: int | None, reason: str, now: datetime
) -> None:
    """End a claimed row without a MessageSid: ``failed`` (Twilio refused it, or retries
    ran out) or ``unknown`` (Twilio may have taken it)."""
    assert state in (FAILED, UNKNOWN, CANCELED)
    db.conn.execute(
        "UPDATE outbox SET state = ?, error_code = ?, reason = ?, updated_at = ?"
        " WHERE id = ? AND state = ?",
        (state, error_code, reason, now.isoformat(), row_id, SENDING),
    )


def _cancel(db: Database, row_id: int, reason: str, stamp: str) -> None:
    db.conn.execute(
        "UPDATE outbox SET state = ?, reason = ?, updated_at = ? WHERE id = ?",
        (CANCELED, reason, stamp, row_id),
    )


def recover(db: Database, now: datetime) -> int:
    """At a sender's start: rows a crashed sender left ``sending`` become ``unknown``
    (it may have handed them to Twilio: they are not handed over again). Returns how
    many."""
    return int(
        db.conn.execute(
            "UPDATE outbox SET state = ?, reason = 'interrupted', updated_at = ? WHERE state = ?",
            (UNKNOWN, now.isoformat(), SENDING),
        ).rowcount
    )


def stop_resident(db: Database, resident: str, reason: str, now: datetime) -> int:
    """Cancel every message still queued for ``resident`` (opted out, error 21610)."""
    return int(
        db.conn.execute(
            "UPDATE outbox SET state = ?, reason = ?, updated_at = ? WHERE resident = ?"
            " AND state = ?",
            (CANCELED, reason, now.isoformat(), resident, QUEUED),
        ).rowcount
    )


#: Twilio's delivery statuses by how far a message got (callbacks come in any order).
_STATUS_RANK = {
    "accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3,
    "canceled": 4, "failed": 4, "undelivered": 4, "delivered": 5, "read": 6,
}  # fmt: skip


def record_status(
    db: Database, message_id: str, status: str, error_code: int | None, now: datetime
) -> str | None:
    """A status callback for the outbox message Twilio knows as ``message_id`` (keyed):
    its furthest status kept. Returns the message's resident, None if no outbox message
    has that id (a reply sent as TwiML, or one pruned)."""
    found = db.conn.execute(
        "SELECT id, resident, status FROM outbox WHERE message_id = ?", (message_id,)
    ).fetchone()
    if found is None:
        return None
    row_id, resident, old = found
    if old is None or _STATUS_RANK.get(status, -1) >= _STATUS_RANK.get(old, -1):
        db.conn.execute(
            "UPDATE outbox SET status = ?, error_code = coalesce(?, error_code),"
            " updated_at = ? WHERE id = ?",
            (status, error_code, now.isoformat(), row_id),
        )
    return str(resident)


def erase(db: Database, resident: str) -> None:
    """Every outbox row of ``resident`` gone (an erasure)."""
    db.conn.execute("DELETE FROM outbox WHERE resident = ?", (resident,))


def prune(db: Database, now: datetime) -> int:
    """Delete rows that ended more than :data:`KEEP_FINISHED` ago."""
    marks = ", ".join("?" for _ in (SENT, FAILED, UNKNOWN, CANCELED))
    return int(
        db.conn.execute(
            f"DELETE FROM outbox WHERE state IN ({marks}) AND updated_at < ?",
            (SENT, FAILED, UNKNOWN, CANCELED, (now - KEEP_FINISHED).isoformat()),
        ).rowcount
    )


def counts(db: Database) -> dict[str, int]:
    """Rows per state (for `outreach alerts list`, tests and the bench)."""
    return {
        str(state): int(n)
        for state, n in db.conn.execute("SELECT state, count(*) FROM outbox GROUP BY state")
    }


def cancel_alert(db: Database, alert: int, now: datetime) -> int:
    """Cancel every message of ``alert`` still queued (the alert was canceled while it
    went out); one being sent right now goes on. Returns how many."""
    return int(
        db.conn.execute(
            "UPDATE outbox SET state = ?, reason = 'alert_canceled', updated_at = ?"
            " WHERE alert = ? AND state = ?",
            (CANCELED, now.isoformat(), alert, QUEUED),
        ).rowcount
    )


def alert_open(db: Database, alert: int) -> bool:
    """True while a message of ``alert`` is queued or being sent."""
    return (
        db.conn.execute(
            "SELECT 1 FROM outbox WHERE alert = ? AND state IN (?, ?) LIMIT 1",
            (alert, QUEUED, SENDING),
        ).fetchone()
        is not None
    )


def alert_recipients(db: Database, alert: int) -> dict[str, list[str]]:
    """The residents (keyed ids) of ``alert``'s messages by state, and the sent ones
    also by Twilio's last status (``status:delivered``, ``status:read``, ...): what
    `outreach alerts list/show` publish, protected as every figure (a count of keys
    perturbs by who is behind it)."""
    found: dict[str, list[str]] = {}
    for resident, state, status in db.conn.execute(
        "SELECT resident, state, status FROM outbox WHERE alert = ? ORDER BY resident",
        (alert,),
    ):
        found.setdefault(str(state), []).append(str(resident))
        if state == SENT and status:
            found.setdefault(f"status:{status}", []).append(str(resident))
    return found


def alert_counts(db: Database, alert: int) -> dict[str, int]:
    """Exact counts of :func:`alert_recipients`, for tests and the bench."""
    return {name: len(members) for name, members in alert_recipients(db, alert).items()}
