"""One pass over the ``activity`` view's rows for several tables at once: the residents
and the sums behind every cell, gathered in Python sets (see :func:`scan`).

Nothing here is published: :mod:`.queries` turns the cells into suppressed, perturbed
tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlite_utils import Database

if TYPE_CHECKING:
    from .queries import Request


#: What a row or a column can be, as SQL over the ``activity`` view. Days are UTC.
DIMENSIONS = {
    "language": "language",
    "channel": "channel",
    # Only where the resident chose to give it; "unknown" otherwise.
    "department": "department",
    "day": "day",
    # A week is named by its Monday: forward to its Sunday (itself if one), back six days.
    "week": "date(day, 'weekday 0', '-6 days')",
    "month": "substr(day, 1, 7)",
    "flow": "coalesce(flow, '-')",
    "node": "coalesce(flow || '/' || node, '-')",
    "programme": "coalesce(programme, '-')",
}


#: The residents behind each (row, column) cell, and each cell's sums of the values,
#: followed by the largest amount one row of the cell contributed to each (the scale of
#: a sum's noise).
Cells = dict[tuple[str, str], set[str]]


Amounts = dict[tuple[str, str], list[int]]


def scan(db: Database, requests: Sequence[Request]) -> list[tuple[Cells, Amounts]]:
    """One pass over the rows that ``requests`` all read, gathering each one's cells.

    The rows are first gathered by every expression any request groups or filters them
    by (a "fine" cell, such as new-or-returning x day x language x SMS-or-not); each
    request's cells are then unions of fine cells. Python touches each row once, whatever
    the number of requests, and the unions are set operations."""
    first = requests[0].measures[0]
    query = requests[0].query
    expressions: list[str] = []  # what a fine cell is keyed by, each expression once
    values: list[str] = []  # the value expressions summed, each once
    select_params: list[str] = []

    def place(expression: str, params: Sequence[str] = ()) -> int:
        key = (expression, tuple(params))
        if key not in placed:
            placed[key] = len(expressions)
            expressions.append(expression)
            select_params.extend(params)
        return placed[key]

    placed: dict[tuple[str, tuple[str, ...]], int] = {}
    #: Per request: where its row, column and condition (or None) are in a fine key, and
    #: where its values are among the sums.
    layout: list[tuple[int, int, int | None, list[int]]] = []
    for request in requests:
        measure = request.measures[0]
        row = place(measure.rows_sql or DIMENSIONS.get(request.rows, "'all'"))
        column = place(DIMENSIONS.get(request.query.split, "'all'"))
        condition = place(f"({measure.where})", measure.params) if measure.where else None
        sums = []
        for m in request.measures:
            if m.value:
                if m.value not in values:
                    values.append(m.value)
                sums.append(values.index(m.value))
        layout.append((row, column, condition, sums))
    where = [
        f"kind IN ({', '.join('?' for _ in first.kinds)})",
        "day >= ?",
        "day <= ?",
        *(f"{DIMENSIONS[name]} = ?" for name, _ in query.filters),
    ]
    params: list[str] = [
        *select_params,
        *first.kinds,
        query.since.isoformat(),
        query.until.isoformat(),
        *(value for _, value in query.filters),
    ]
    width = len(expressions)
    sql = (
        f"SELECT resident, {', '.join(expressions + values)} "
        f"FROM activity WHERE {' AND '.join(where)}"
    )
    # The residents of each cell are gathered here, in sets, rather than counted in SQL:
    # SQLite sorts every row once per count(DISTINCT) (cells, rows, columns, all), and
    # with 64-character keyed ids that was most of a page's time.
    fine: dict[tuple[object, ...], set[str]] = {}
    fine_sums: dict[tuple[object, ...], list[int]] = {}
    for row in db.execute(sql, params):
        key = row[1 : width + 1]
        members = fine.get(key)
        if members is None:
            members = fine[key] = set()
            fine_sums[key] = [0] * (2 * len(values))
        members.add(row[0])
        if values:
            totals = fine_sums[key]
            summed = len(values)
            for n, amount in enumerate(row[width + 1 :]):
                totals[n] += amount or 0
                if (amount or 0) > totals[summed + n]:
                    totals[summed + n] = amount
    found: list[tuple[Cells, Amounts]] = []
    for row_at, column_at, condition, sums in layout:
        residents: Cells = {}
        amounts: Amounts = {}
        for key, members in fine.items():
            if condition is not None and not key[condition]:
                continue
            cell = (str(key[row_at]), str(key[column_at]))
            gathered = residents.get(cell)
            fine_sum = fine_sums[key]
            if gathered is None:
                residents[cell] = set(members)
                amounts[cell] = [fine_sum[n] for n in sums] + [
                    fine_sum[len(values) + n] for n in sums
                ]
            else:
                gathered.update(members)
                cell_sums = amounts[cell]
                for i, n in enumerate(sums):
                    cell_sums[i] += fine_sum[n]
                    cell_sums[len(sums) + i] = max(
                        cell_sums[len(sums) + i], fine_sum[len(values) + n]
                    )
        found.append((residents, amounts))
    return found
