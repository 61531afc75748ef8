"""Retention: interaction-level rows older than the window are folded into daily
aggregates, with small cells suppressed, and then deleted (DOMAIN.md section 6, rule 4).

The long-run trend survives; the details, which could one day single someone out, do not.
Nor does what the service remembers of a resident silent for the whole window (their
conversation, language and department): a resident who said STOP keeps only that wish,
so that nothing is ever sent to them again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlite_utils import Database

from outreach.storage import immediate
from outreach.storage.calls import forget_before
from outreach.storage.residents import forget_silent_residents

from .cellkey import CellKeys
from .rollup import close_days
from .scan import DIMENSIONS
from .suppression import suppress_series
from .voice import fold_calls

#: What is kept of each day: distinct residents by these dimensions, and plain counts.
FOLDED_DIMENSIONS = ("language", "channel", "department")
FOLDED_KINDS = ("msg_received", "msg_created", "node_visited", "flow_started",
                "flow_completed", "input_not_understood", "referral_given",
                "opt_out_requested", "danger_recognised")  # fmt: skip


@dataclass(frozen=True)
class PurgeReport:
    days: int
    rows_deleted: int
    aggregates_written: int
    #: Residents silent since before the window: forgotten, or reduced to their STOP.
    residents_forgotten: int = 0
    #: Calls of days before the window: folded into daily totals, then deleted.
    calls_deleted: int = 0


def purge(
    db: Database, today: date, retention_days: int, k: int, noise: CellKeys | None = None
) -> PurgeReport:
    """Fold and delete every day before ``today - retention_days``, in one transaction.
    Days not yet closed are closed first, so nothing is purged without being folded.
    ``noise``: the deployment's cell keys, so that what is kept is perturbed exactly as
    the dashboard showed it while the details were there."""
    close_days(db, today)
    cutoff = (today - timedelta(days=retention_days)).isoformat()
    days = [
        row[0]
        for row in db.execute(
            "SELECT DISTINCT day FROM daily_activity WHERE day < ? ORDER BY 1", [cutoff]
        )
    ]
    written = 0
    with immediate(db):
        for day in days:
            written += _fold_day(db, day, k, noise)
        deleted = db.execute("DELETE FROM daily_activity WHERE day < ?", [cutoff]).rowcount
        forgotten = forget_silent_residents(db, cutoff)
        # Calls name their caller too: past the window only daily totals are kept.
        folded = fold_calls(db, cutoff, k)
        db.conn.executemany(_KEEP, folded)
        calls = forget_before(db, cutoff)
    return PurgeReport(len(days), deleted, written + len(folded), forgotten, calls)


def _fold_day(db: Database, day: str, k: int, noise: CellKeys | None) -> int:
    rows: list[tuple[str, str, str, str, int | None]] = []
    base = "FROM daily_activity WHERE day = ? AND kind = 'msg_received'"

    def counted(residents: set[str]) -> int:
        return (
            len(residents)
            if noise is None
            else noise.count(len(residents), noise.cell_key(residents))
        )

    everyone = {r for (r,) in db.execute(f"SELECT DISTINCT resident {base}", [day])}
    total = counted(everyone)
    for dimension in FOLDED_DIMENSIONS:
        expression = DIMENSIONS[dimension]
        members: dict[str, set[str]] = {}
        for value, resident in db.execute(f"SELECT DISTINCT {expression}, resident {base}", [day]):
            members.setdefault(str(value), set()).add(resident)
        counts = {value: counted(found) for value, found in members.items()}
        series, _ = suppress_series(counts, total, k)
        rows += [(day, "residents_reached", dimension, v, n) for v, n in series.items()]
    rows.append((day, "residents_reached", "all", "all", None if 0 < total < k else total))
    for kind, events, messages, segments, residents in db.execute(
        "SELECT kind, sum(events), sum(messages), sum(segments), count(DISTINCT resident) "
        "FROM daily_activity WHERE day = ? GROUP BY kind",
        [day],
    ):
        if kind not in FOLDED_KINDS:
            continue
        # Counts of events, not of residents; still, those of a few residents are not kept.
        small = residents < k
        rows.append((day, f"events_{kind}", "all", "all", None if small else events))
        if kind in ("node_visited", "msg_created"):
            rows.append((day, f"messages_{kind}", "all", "all", None if small else messages))
            rows.append((day, f"segments_{kind}", "all", "all", None if small else segments))
    db.conn.executemany(_KEEP, rows)
    return len(rows)


_KEEP = (
    "INSERT INTO daily_aggregates (day, metric, dimension, value, count) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET count = excluded.count"
)
