"""Counts of distinct residents from the interaction log, by up to two dimensions.

Only aggregates leave this module, always through :mod:`.suppression`; there is no
per-resident view. Time is never finer than a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlite_utils import Database

from .suppression import DEFAULT_K, Published, Table, suppress, suppress_series

#: What a row or a column can be, as SQL over events ``e`` joined to residents ``r``.
DIMENSIONS = {
    "language": "e.language",
    "channel": "e.channel",
    # Only where the resident chose to give it; "unknown" otherwise.
    "department": "coalesce(json_extract(r.session, '$.fields.department'), 'unknown')",
    "day": "substr(e.at, 1, 10)",
    "week": "strftime('%Y-W%W', e.at)",
    "month": "substr(e.at, 1, 7)",
    "flow": "coalesce(e.flow, '-')",
    "node": "coalesce(e.flow || '/' || e.node, '-')",
    "programme": "coalesce(e.programme, '-')",
}
ALL = "all"


@dataclass(frozen=True)
class Query:
    since: date
    until: date
    rows: str = ALL
    columns: str = ALL
    #: Which events count: a resident is "reached" by any message they sent.
    kind: str = "msg_received"


def reached(db: Database, query: Query, k: int = DEFAULT_K) -> Published:
    """Distinct residents per cell, with totals, small cells suppressed."""
    for dimension in (query.rows, query.columns):
        if dimension != ALL and dimension not in DIMENSIONS:
            raise ValueError(f"unknown dimension {dimension!r} ({', '.join(DIMENSIONS)})")
    row_sql = DIMENSIONS.get(query.rows, "'all'")
    column_sql = DIMENSIONS.get(query.columns, "'all'")
    where = "e.kind = ? AND e.at >= ? AND e.at < date(?, '+1 day')"
    params = [query.kind, query.since.isoformat(), query.until.isoformat()]
    base = f"FROM events e LEFT JOIN residents r ON r.id = e.resident WHERE {where}"

    def grouped(*expressions: str) -> list[tuple[tuple[str, ...], int]]:
        """(the dimensions' values, distinct residents) per group."""
        select = ", ".join(expressions) if expressions else "'all'"
        group = f"GROUP BY {select}" if expressions else ""
        sql = f"SELECT {select}, count(DISTINCT e.resident) {base} {group}"
        return [
            (tuple(str(value) for value in row[:-1]), int(row[-1]))
            for row in db.execute(sql, params)
        ]

    row_totals = {key[0]: n for key, n in grouped(row_sql)}
    total_rows = grouped()
    total = total_rows[0][1] if total_rows else 0
    rows = sorted(row_totals)
    if query.columns == ALL:
        # One dimension: its counts and their total, no separate margins.
        series, shown_total = suppress_series(row_totals, int(total), k)
        return Published(
            rows, [ALL], {(r, ALL): series[r] for r in rows}, dict(series),
            {ALL: shown_total}, shown_total, k,
            sum(1 for v in series.values() if v is None) + int(shown_total is None),
        )  # fmt: skip
    cells = {(key[0], key[1]): n for key, n in grouped(row_sql, column_sql)}
    column_totals = {key[0]: n for key, n in grouped(column_sql)}
    columns = sorted(column_totals)
    for r in rows:
        for c in columns:
            cells.setdefault((r, c), 0)
    return suppress(Table(rows, columns, cells, row_totals, column_totals, int(total)), k)
