"""Retention: interaction-level rows older than the window are folded into daily
aggregates, with small cells suppressed, and then deleted (DOMAIN.md section 6, rule 4).

The long-run trend survives; the details, which could one day single someone out, do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlite_utils import Database

from outreach.store import immediate

from .queries import DIMENSIONS
from .suppression import suppress_series

#: What is kept of each day: distinct residents by these dimensions, and plain counts.
FOLDED_DIMENSIONS = ("language", "channel", "department")
FOLDED_KINDS = ("msg_received", "msg_created", "flow_started", "flow_completed",
                "input_not_understood", "referral_given", "opt_out_requested")  # fmt: skip


@dataclass(frozen=True)
class PurgeReport:
    days: int
    events_deleted: int
    aggregates_written: int


def purge(db: Database, today: date, retention_days: int, k: int) -> PurgeReport:
    """Fold and delete every day before ``today - retention_days``, in one transaction."""
    cutoff = (today - timedelta(days=retention_days)).isoformat()
    days = [
        row[0]
        for row in db.execute(
            "SELECT DISTINCT substr(at, 1, 10) FROM events WHERE at < ? ORDER BY 1", [cutoff]
        )
    ]
    written = 0
    with immediate(db):
        for day in days:
            written += _fold_day(db, day, k)
        deleted = db.execute("DELETE FROM events WHERE at < ?", [cutoff]).rowcount
    return PurgeReport(len(days), deleted, written)


def _fold_day(db: Database, day: str, k: int) -> int:
    rows: list[tuple[str, str, str, str, int | None]] = []
    where = "substr(e.at, 1, 10) = ? AND e.kind = 'msg_received'"
    base = f"FROM events e LEFT JOIN residents r ON r.id = e.resident WHERE {where}"
    for dimension in FOLDED_DIMENSIONS:
        expression = DIMENSIONS[dimension]
        counts = {
            str(value): int(n)
            for value, n in db.execute(
                f"SELECT {expression}, count(DISTINCT e.resident) {base} GROUP BY {expression}",
                [day],
            )
        }
        total = db.execute(f"SELECT count(DISTINCT e.resident) {base}", [day]).fetchone()[0]
        series, shown_total = suppress_series(counts, int(total), k)
        rows += [(day, "residents_reached", dimension, v, n) for v, n in series.items()]
        rows.append((day, "residents_reached", "all", "all", shown_total))
    for kind, n in db.execute(
        "SELECT kind, count(*) FROM events WHERE substr(at, 1, 10) = ? GROUP BY kind", [day]
    ):
        if kind in FOLDED_KINDS:
            # Counts of events, not of residents; still, a small one is not kept.
            rows.append((day, f"events_{kind}", "all", "all", n if n >= k else None))
    db.conn.executemany(
        "INSERT INTO daily_aggregates (day, metric, dimension, value, count) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET count = excluded.count",
        rows,
    )
    return len(rows)
