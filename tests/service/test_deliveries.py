"""A delivery status callback, below the webhook: what the service keeps of it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from outreach.engine import Session
from outreach.service.deliveries import OPTED_OUT_ERROR, record_delivery
from outreach.storage import connect, immediate, outbox

NOON = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def test_a_status_is_kept_short_and_an_opt_out_of_a_stranger_changes_no_resident(
    tmp_path: Path,
) -> None:
    db = connect(tmp_path / "db.sqlite3", migrate=True)
    record_delivery(db, "m1", "x" * 500, None, None, clock=lambda: NOON)
    record_delivery(db, "m2", "failed", OPTED_OUT_ERROR, "never-seen", clock=lambda: NOON)
    statuses = db.execute("SELECT id, status, error_code FROM outbound_messages ORDER BY id")
    assert statuses.fetchall() == [("m1", "x" * 20, None), ("m2", "failed", OPTED_OUT_ERROR)]
    assert db.execute("SELECT count(*) FROM residents").fetchone() == (0,)
    db.conn.close()


def test_an_outbox_message_keeps_its_status_and_21610_stops_the_residents_queue(
    tmp_path: Path,
) -> None:
    db = connect(tmp_path / "db.sqlite3", migrate=True)
    db.execute(
        "INSERT INTO residents (id, language, opted_out, session, updated_at)"
        " VALUES ('r-01', 'es', 0, ?, ?)",
        [json.dumps(Session(language="es").to_dict()), NOON.isoformat()],
    )  # fmt: skip
    with immediate(db):
        outbox.enqueue_alert(db, 1, "scams", [("r-01", "es", "sms"), ("r-02", "es", "sms")], NOON)
        outbox.enqueue_alert(db, 2, "scams", [("r-01", "es", "sms")], NOON)
        first = outbox.claim(db, NOON, "sms", alerts=True, weekly_limit=2)
        assert first is not None
        outbox.mark_sent(db, first.id, "m1", NOON)
    record_delivery(db, "m1", "sent", None, None, clock=lambda: NOON)
    assert db.execute("SELECT status FROM outbox WHERE id = ?", [first.id]).fetchone() == ("sent",)
    # Twilio names no number here: the outbox knows whose message it was.
    record_delivery(db, "m1", "undelivered", OPTED_OUT_ERROR, None, clock=lambda: NOON)
    rows = db.execute("SELECT alert, resident, state, status, error_code FROM outbox ORDER BY id")
    assert rows.fetchall() == [
        (1, "r-01", "sent", "undelivered", OPTED_OUT_ERROR),
        (1, "r-02", "queued", None, None),
        (2, "r-01", "canceled", None, None),
    ]
    assert db.execute("SELECT opted_out FROM residents").fetchone() == (1,)
    db.conn.close()
