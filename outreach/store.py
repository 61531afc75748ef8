"""The resident store: SQLite through sqlite-utils, and the only module that writes to it.

What is kept (DOMAIN.md section 6): a keyed pseudonym, never a phone number; the session
state and the fields a resident chose to give; opt-out; keyed ids of processed and sent
messages; and an interaction log of engine events (flow, node, kind, language, channel,
time) for the metrics. Never a message body. Each turn's writes are one transaction,
begun IMMEDIATE so that two messages of one resident are handled strictly one after the
other, across threads and worker processes alike.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from .engine import Event, Session
from .engine import events as ev

MIGRATIONS = Migrations("outreach")

#: Keyed ids of processed messages are kept this long: enough for any Twilio retry.
PROCESSED_RETENTION = timedelta(days=2)

#: Delivery statuses by how far a message got; callbacks arrive in any order.
STATUS_RANK = {
    "accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3,
    "canceled": 4, "failed": 4, "undelivered": 4, "delivered": 5, "read": 6,
}  # fmt: skip


@MIGRATIONS()
def m001_create_tables(db: Database) -> None:
    db.table("residents").create(
        {"id": str, "language": str, "opted_out": int, "session": str,
         "first_seen_on": str, "updated_at": str},
        pk="id",
    )  # fmt: skip
    db.table("processed_messages").create(
        {"id": str, "resident": str, "received_at": str, "reply": str}, pk="id"
    )
    db.table("outbound_messages").create(
        {"id": str, "resident": str, "status": str, "error_code": int, "updated_at": str},
        pk="id",
    )
    db.table("events").create(
        {"id": int, "resident": str, "at": str, "kind": str, "flow": str, "node": str,
         "language": str, "channel": str, "run": str, "field": str, "segments": int},
        pk="id",
    )  # fmt: skip
    db.table("events").create_index(["resident"])
    db.table("events").create_index(["at"])
    db.table("processed_messages").create_index(["received_at"])


def connect(path: str | Path, *, migrate: bool = False) -> Database:
    """Open the database (WAL, a patient busy timeout); ``migrate`` creates or upgrades
    the schema, which the app does once at start."""
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=30, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    db = Database(conn)
    if migrate:
        MIGRATIONS.apply(db)
    return db


@contextmanager
def immediate(db: Database) -> Iterator[Database]:
    """One write transaction that holds SQLite's write lock from its first statement."""
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


@dataclass
class Resident:
    id: str
    session: Session | None
    opted_out: bool


class Store:
    """Reads and writes about residents; call the writing methods inside :func:`immediate`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def resident(self, resident_id: str) -> Resident:
        rows = list(self.db.table("residents").rows_where("id = ?", [resident_id]))
        if not rows:
            return Resident(resident_id, None, False)
        row = rows[0]
        return Resident(
            resident_id, Session.from_dict(json.loads(row["session"])), bool(row["opted_out"])
        )

    def processed_reply(self, message_id: str) -> list[str] | None:
        rows = list(self.db.table("processed_messages").rows_where("id = ?", [message_id]))
        return json.loads(rows[0]["reply"]) if rows else None

    def save_turn(
        self,
        resident_id: str,
        session: Session,
        events: Sequence[Event],
        channel: str,
        message_id: str,
        reply: list[str],
        segments: Sequence[int | None],
        now: datetime,
    ) -> None:
        """Everything one turn changes, in the caller's transaction.

        Erasure removes every row about the resident and keeps nothing of this turn
        either, except, for a resident who had said STOP, that wish: a bare row so
        nothing is sent to them again. (A retried erasure just erases and confirms again.)
        """
        if any(isinstance(e, ev.ErasureRequested) for e in events):
            self.erase(resident_id)
            if session.opted_out:
                self.db.table("residents").insert(
                    {"id": resident_id, "language": session.language, "opted_out": 1,
                     "session": json.dumps(session.to_dict()),
                     "first_seen_on": now.date().isoformat(), "updated_at": now.isoformat()},
                    pk="id",
                )  # fmt: skip
            return
        first_seen = now.date().isoformat()
        existing = list(self.db.table("residents").rows_where("id = ?", [resident_id]))
        if existing:
            first_seen = existing[0]["first_seen_on"]
        self.db.table("residents").upsert(
            {
                "id": resident_id,
                "language": session.language,
                "opted_out": int(session.opted_out),
                "session": json.dumps(session.to_dict()),
                "first_seen_on": first_seen,
                "updated_at": now.isoformat(),
            },
            pk="id",
        )
        sizes = iter(segments)
        rows = []
        for event in events:
            rows.append(_event_row(resident_id, event, channel, session.language, sizes))
        if rows:
            self.db.table("events").insert_all(rows)
        self.db.table("processed_messages").insert(
            {"id": message_id, "resident": resident_id, "received_at": now.isoformat(),
             "reply": json.dumps(reply)},
            pk="id",
        )  # fmt: skip
        cutoff = (now - PROCESSED_RETENTION).isoformat()
        self.db.table("processed_messages").delete_where("received_at < ?", [cutoff])

    def erase(self, resident_id: str) -> None:
        for table in ("events", "processed_messages", "outbound_messages"):
            self.db.table(table).delete_where("resident = ?", [resident_id])
        self.db.table("residents").delete_where("id = ?", [resident_id])

    def record_status(
        self,
        message_id: str,
        resident_id: str | None,
        status: str,
        error_code: int | None,
        now: datetime,
    ) -> None:
        """Keep the furthest status a message reached, whatever order callbacks come in."""
        table = self.db.table("outbound_messages")
        rows = list(table.rows_where("id = ?", [message_id]))
        if rows:
            old = rows[0]
            if STATUS_RANK.get(status, -1) < STATUS_RANK.get(old["status"], -1):
                status = old["status"]
            error_code = error_code or old["error_code"]
            resident_id = resident_id or old["resident"]
        table.upsert(
            {"id": message_id, "resident": resident_id, "status": status,
             "error_code": error_code, "updated_at": now.isoformat()},
            pk="id",
        )  # fmt: skip

    def mark_opted_out(self, resident_id: str, now: datetime) -> None:
        resident = self.resident(resident_id)
        if resident.session is None:
            return  # never seen: there is nothing to send to anyway
        resident.session.opted_out = True
        self.db.table("residents").update(
            resident_id,
            {"opted_out": 1, "session": json.dumps(resident.session.to_dict()),
             "updated_at": now.isoformat()},
        )  # fmt: skip


def _event_row(
    resident_id: str, event: Event, channel: str, language: str, sizes: Iterator[int | None]
) -> dict[str, Any]:
    data = event.to_dict()
    row: dict[str, Any] = {
        "resident": resident_id,
        "at": event.at.isoformat(),
        "kind": event.kind,
        "flow": data.get("flow"),
        "node": data.get("node"),
        "language": data.get("language") or language,
        "channel": channel,
        "run": data.get("run"),
        "field": data.get("field"),  # the field's name only, never its value
        "segments": None,
    }
    if isinstance(event, ev.MessageCreated):
        row["segments"] = next(sizes, None)
    return row
