"""A delivery status callback, below the webhook: what the service keeps of it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from outreach.service.deliveries import OPTED_OUT_ERROR, record_delivery
from outreach.storage import connect

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
