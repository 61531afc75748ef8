"""Alerts as reviewed content: the rows of ``alerts`` (m018), and their states.

An alert goes draft -> approved (by a second admin) -> sending -> sent, or canceled
(a draft, an approved one, or one still going out: its queued messages are canceled
then). The worker's fan-out (outreach.service.alert_sending) takes approved alerts
whose time has come into the outbox and makes them ``sending``; an alert is ``sent``
once none of its messages is queued or being sent any more.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

STATES = ("draft", "approved", "sending", "sent", "canceled")


@dataclass(frozen=True)
class AlertRow:
    id: int
    topic: str
    #: None: every department.
    departments: tuple[str, ...] | None
    #: Language code -> text; the source language's is always there.
    texts: dict[str, str]
    source: str
    verified_on: str
    review_by: str
    #: When it may start going out, UTC, ISO 8601.
    send_at: str
    #: The approved WhatsApp template (Content API) for residents outside the 24-hour
    #: window; None: no template, only those inside the window get it on WhatsApp.
    content_sid: str | None
    state: str
    created_by: str
    created_at: str
    approved_by: str | None
    approved_at: str | None


_COLUMNS = (
    "id, topic, departments, texts, source, verified_on, review_by, send_at, content_sid,"
    " state, created_by, created_at, approved_by, approved_at"
)


def _row(values: tuple[object, ...]) -> AlertRow:
    (id_, topic, departments, texts, source, verified_on, review_by, send_at, content_sid,
     state, created_by, created_at, approved_by, approved_at) = values  # fmt: skip
    return AlertRow(
        int(str(id_)), str(topic),
        None if departments is None else tuple(json.loads(str(departments))),
        dict(json.loads(str(texts))), str(source), str(verified_on), str(review_by),
        str(send_at), None if content_sid is None else str(content_sid), str(state),
        str(created_by), str(created_at),
        None if approved_by is None else str(approved_by),
        None if approved_at is None else str(approved_at),
    )  # fmt: skip


def insert_alert(
    db: Database,
    *,
    topic: str,
    departments: tuple[str, ...] | None,
    texts: dict[str, str],
    source: str,
    verified_on: str,
    review_by: str,
    send_at: str,
    content_sid: str | None,
    created_by: str,
    now: datetime,
) -> int:
    """A new draft; its id. In the caller's transaction."""
    cursor = db.conn.execute(
        "INSERT INTO alerts (topic, departments, texts, source, verified_on, review_by,"
        " send_at, content_sid, state, created_by, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?)",
        (topic, None if departments is None else json.dumps(list(departments), ensure_ascii=False),
         json.dumps(texts, ensure_ascii=False), source, verified_on, review_by, send_at,
         content_sid, created_by, now.isoformat()),
    )  # fmt: skip
    return int(cursor.lastrowid or 0)


def alert(db: Database, alert_id: int) -> AlertRow | None:
    row = db.conn.execute(f"SELECT {_COLUMNS} FROM alerts WHERE id = ?", (alert_id,)).fetchone()
    return None if row is None else _row(tuple(row))


def alerts(db: Database) -> list[AlertRow]:
    return [_row(tuple(r)) for r in db.conn.execute(f"SELECT {_COLUMNS} FROM alerts ORDER BY id")]


def set_approved(db: Database, alert_id: int, by: str, now: datetime) -> bool:
    """Approve a draft; False if it is no longer a draft. In the caller's transaction."""
    return bool(
        db.conn.execute(
            "UPDATE alerts SET state = 'approved', approved_by = ?, approved_at = ?"
            " WHERE id = ? AND state = 'draft'",
            (by, now.isoformat(), alert_id),
        ).rowcount
    )


def set_canceled(db: Database, alert_id: int) -> bool:
    """Cancel a draft, an approved alert, or one going out (the caller cancels its
    queued messages in the same transaction); False if it is sent or canceled."""
    return bool(
        db.conn.execute(
            "UPDATE alerts SET state = 'canceled' WHERE id = ?"
            " AND state IN ('draft', 'approved', 'sending')",
            (alert_id,),
        ).rowcount
    )


def due(db: Database, now: datetime) -> list[AlertRow]:
    """Approved alerts whose send time has come, oldest first."""
    rows = db.conn.execute(
        f"SELECT {_COLUMNS} FROM alerts WHERE state = 'approved' ORDER BY send_at, id"
    ).fetchall()
    found = [_row(tuple(r)) for r in rows]
    # Compared as times, not as text: a send_at written with another zone still counts.
    return [row for row in found if datetime.fromisoformat(row.send_at) <= now]


def set_sending(db: Database, alert_id: int) -> bool:
    """An approved alert starts going out; False if it is no longer approved (canceled
    meanwhile). In the caller's transaction, with its fan-out."""
    return bool(
        db.conn.execute(
            "UPDATE alerts SET state = 'sending' WHERE id = ? AND state = 'approved'",
            (alert_id,),
        ).rowcount
    )


def sending(db: Database) -> list[int]:
    """The ids of alerts going out."""
    return [int(r[0]) for r in db.conn.execute("SELECT id FROM alerts WHERE state = 'sending'")]


def set_sent(db: Database, alert_id: int) -> bool:
    """An alert going out is done: every message of it went, failed or was withheld."""
    return bool(
        db.conn.execute(
            "UPDATE alerts SET state = 'sent' WHERE id = ? AND state = 'sending'", (alert_id,)
        ).rowcount
    )
