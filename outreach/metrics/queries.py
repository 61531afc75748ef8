"""Tables of counts from the interaction log, every cell with the distinct residents
behind it, by a row and a column dimension, over a date range and optional filters.

The log is read through the ``activity`` view: closed days (one row per resident, day and
what they did) plus today's events. Only aggregates leave this module, always through
:mod:`.suppression`; there is no per-resident view. Time is never finer than a day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlite_utils import Database

from .cellkey import CellKeys
from .suppression import DEFAULT_K, Published, Table, suppress, suppress_rows, suppress_series

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
#: What every figure can be split by (the columns of a page's tables), and filtered by.
SPLITS = ("language", "channel", "department", "day", "week", "month")
PERIODS = ("day", "week", "month")
#: The most bars a chart, or period columns a table, may have: long ranges get weeks or
#: months instead (see :func:`bounded`).
MAX_BARS = 120
FILTERS = ("language", "channel", "department")
ALL = "all"


def whole_periods(since: date, until: date, period: str) -> tuple[date, date]:
    """The range as a viewer may have it: one whole week (Monday to Sunday) when it lies
    within one and its bars are days, otherwise whole calendar months. Free date ranges
    let a viewer publish thousands of overlapping cells around the same residents and
    average their noise away (docs/metrics.md); weeks and months leave a few."""
    monday = since - timedelta(days=since.weekday())
    if period != "month" and until - monday < timedelta(days=7):
        return monday, monday + timedelta(days=6)
    first = since.replace(day=1)
    after = (until.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first, after - timedelta(days=1)


def bars(since: date, until: date, period: str) -> int:
    """How many days, weeks or months a range of whole periods covers."""
    if period == "day":
        return (until - since).days + 1
    if period == "week":
        first = since - timedelta(days=since.weekday())
        return (until - first).days // 7 + 1
    return (until.year - since.year) * 12 + until.month - since.month + 1


def bounded(since: date, until: date, period: str) -> tuple[date, date, str] | None:
    """The range in whole periods, with the finest period (from ``period`` on) that
    keeps it within :data:`MAX_BARS`; None if even months are too many."""
    for coarser in PERIODS[PERIODS.index(period) :]:
        first, last = whole_periods(since, until, coarser)
        if bars(first, last, coarser) <= MAX_BARS:
            return first, last, coarser
    return None


@dataclass(frozen=True)
class Query:
    """A date range (inclusive), the dimension every table is split by, and filters."""

    since: date
    until: date
    split: str = ALL
    filters: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.split != ALL and self.split not in SPLITS:
            raise ValueError(f"unknown split {self.split!r} ({', '.join(SPLITS)})")
        for name, _ in self.filters:
            if name not in FILTERS:
                raise ValueError(f"unknown filter {name!r} ({', '.join(FILTERS)})")
        if self.until < self.since:
            raise ValueError("the range ends before it starts")


@dataclass(frozen=True)
class Measure:
    """What a table counts. ``value`` is None for distinct residents; otherwise an SQL
    expression summed per cell (events, messages, segments), and the residents behind
    each cell still decide what is hidden."""

    kinds: tuple[str, ...]
    value: str | None = None
    #: Rows are this expression instead of a dimension (e.g. messages in or out).
    rows_sql: str | None = None
    #: A condition the rows must meet: a comparison, true (1) or false (0 or NULL), as
    #: :func:`count_many` reads it in the select list, shared with other tables' rows.
    where: str = ""
    params: tuple[str, ...] = field(default=())


#: Anyone who wrote that day has a resident_day row: the cheapest rows to count them by.
RESIDENTS_REACHED = Measure(("resident_day",))


def count(
    db: Database,
    query: Query,
    measure: Measure,
    rows: str = ALL,
    k: int = DEFAULT_K,
    hide_total: bool = False,
    totals: bool = True,
    noise: CellKeys | None = None,
) -> Published:
    """One table: ``rows`` by the query's split, with totals, small cells suppressed.
    With no split it is a one-dimensional series with its total. ``totals=False`` is for
    rows that overlap (flows, steps, topics, programmes): row totals only. ``noise``:
    every figure perturbed by its cell key (see :mod:`.cellkey`); everything published
    passes it, and only tests of the counting itself leave it out."""
    return count_each(db, query, [measure], rows, k, hide_total, totals, noise)[0]


def count_each(
    db: Database,
    query: Query,
    measures: Sequence[Measure],
    rows: str = ALL,
    k: int = DEFAULT_K,
    hide_total: bool = False,
    totals: bool = True,
    noise: CellKeys | None = None,
) -> list[Published]:
    """A table for each of ``measures``, which count the same rows (same kinds, rows and
    condition) and differ only in the value summed: one scan for all of them. The
    residents behind each cell are the same in every table, so the same cells are hidden.

    One scan: the residents of every (row, column) are gathered once, and the cells,
    both margins and the total are counted from them."""
    request = Request(query, tuple(measures), rows, k, hide_total, totals, noise)
    return count_many(db, [request])[0]


@dataclass(frozen=True)
class Request:
    """The arguments of one :func:`count_each`, for :func:`count_many`."""

    query: Query
    measures: tuple[Measure, ...]
    rows: str = ALL
    k: int = DEFAULT_K
    hide_total: bool = False
    totals: bool = True
    #: The deployment's cell keys: every figure perturbed (None: exact, for tests only).
    noise: CellKeys | None = None


def count_many(db: Database, requests: Sequence[Request]) -> list[list[Published]]:
    """What :func:`count_each` gives for each request, with one scan for all the
    requests that read the same rows (same kinds, dates and filters), whatever their rows,
    columns and conditions: a page's tables of one kind of row cost one pass, not one each.
    """
    scans: dict[tuple[object, ...], list[int]] = {}
    for n, request in enumerate(requests):
        first = request.measures[0]
        if any(
            (m.kinds, m.rows_sql, m.where, m.params)
            != (first.kinds, first.rows_sql, first.where, first.params)
            for m in request.measures
        ):
            raise ValueError("count_each: the measures must count the same rows")
        if request.rows != ALL and request.rows not in DIMENSIONS:
            raise ValueError(f"unknown dimension {request.rows!r} ({', '.join(DIMENSIONS)})")
        query = request.query
        key = (first.kinds, query.since, query.until, query.filters)
        scans.setdefault(key, []).append(n)
    gathered: dict[int, tuple[_Cells, _Amounts]] = {}
    for numbers in scans.values():
        gathered.update(zip(numbers, _scan(db, [requests[n] for n in numbers]), strict=True))
    return [_tables(*gathered[n], requests[n]) for n in range(len(requests))]


#: The residents behind each (row, column) cell, and each cell's sums of the values,
#: followed by the largest amount one row of the cell contributed to each (the scale of
#: a sum's noise).
_Cells = dict[tuple[str, str], set[str]]
_Amounts = dict[tuple[str, str], list[int]]


def _scan(db: Database, requests: Sequence[Request]) -> list[tuple[_Cells, _Amounts]]:
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
    found: list[tuple[_Cells, _Amounts]] = []
    for row_at, column_at, condition, sums in layout:
        residents: _Cells = {}
        amounts: _Amounts = {}
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


def _tables(residents: _Cells, amounts: _Amounts, request: Request) -> list[Published]:
    """The tables of one request from the cells its scan gathered."""
    measures, query, k = request.measures, request.query, request.k
    hide_total, totals = request.hide_total, request.totals
    # Level 0: the cells; 1: row totals; 2: column totals; 3: the total (always there).
    gathered: dict[int, dict[tuple[str, str], set[str]]] = {
        0: {},
        1: {},
        2: {},
        3: {("", ""): set()},
    }
    summing = [m for m in measures if m.value]
    added: list[dict[int, dict[tuple[str, str], int]]] = [
        {0: {}, 1: {}, 2: {}, 3: {("", ""): 0}} for m in summing
    ]
    largest: list[dict[int, dict[tuple[str, str], int]]] = [
        {0: {}, 1: {}, 2: {}, 3: {("", ""): 0}} for m in summing
    ]
    for (r, c), members in residents.items():
        cell_amounts = amounts[r, c]
        for level, key in ((0, (r, c)), (1, (r, "")), (2, ("", c)), (3, ("", ""))):
            gathered[level].setdefault(key, set()).update(members)
            for n in range(len(summing)):
                added[n][level][key] = added[n][level].get(key, 0) + cell_amounts[n]
                top = cell_amounts[len(summing) + n]
                largest[n][level][key] = max(largest[n][level].get(key, 0), top)
    people = {level: {key: len(m) for key, m in cells.items()} for level, cells in gathered.items()}
    noise = request.noise
    if noise is not None:
        # Every cell, margin and total is perturbed by its own residents' cell key.
        cell_keys = {
            level: {key: noise.cell_key(m) for key, m in cells.items()}
            for level, cells in gathered.items()
        }
        people = {
            level: {key: noise.count(n, cell_keys[level][key]) for key, n in cells.items()}
            for level, cells in people.items()
        }
        added = [
            {
                level: {
                    key: noise.amount(v, cell_keys[level][key], largest[n][level][key])
                    for key, v in cells.items()
                }
                for level, cells in sums.items()
            }
            for n, sums in enumerate(added)
        ]
    # Measures without a value sum nothing; the others have their column, in order.
    summed = iter(added)
    values: list[dict[int, dict[tuple[str, str], int]]] = [
        next(summed) if m.value else {0: {}, 1: {}, 2: {}, 3: {}} for m in measures
    ]
    return [
        _publish(people, values[n], measure, query, k, hide_total, totals)
        for n, measure in enumerate(measures)
    ]


def _publish(
    people: dict[int, dict[tuple[str, str], int]],
    values: dict[int, dict[tuple[str, str], int]],
    measure: Measure,
    query: Query,
    k: int,
    hide_total: bool,
    totals: bool,
) -> Published:
    """One measure's table from the counts of its scan, small cells suppressed."""
    total = people[3].get(("", ""), 0)
    row_names = sorted(r for r, _ in people[1])
    column_names = sorted(c for _, c in people[2])
    if not totals:
        columns = column_names if query.split != ALL else [ALL]
        overlapping = Table(
            row_names,
            columns,
            {(r, c): people[0].get((r, c), 0) for r in row_names for c in columns},
            {r: people[1][r, ""] for r in row_names},
            {},
            total,
        )
        return _values(suppress_rows(overlapping, k), values, measure)
    if query.split == ALL:
        series, shown_total = suppress_series(
            {r: people[1][r, ""] for r in row_names}, total, k, hide_total
        )
        cells: dict[tuple[str, str], int | None] = {
            (r, ALL): None
            if series[r] is None
            else _pick(values, 1, (r, ""), measure, people[1][r, ""])
            for r in row_names
        }
        row_totals = {r: cells[r, ALL] for r in row_names}
        grand = None if shown_total is None else _pick(values, 3, ("", ""), measure, total)
        return Published(
            row_names, [ALL], cells, row_totals, {ALL: grand}, grand, k,
            sum(1 for v in series.values() if v is None) + int(shown_total is None),
        )  # fmt: skip
    table = Table(
        row_names,
        column_names,
        {(r, c): people[0].get((r, c), 0) for r in row_names for c in column_names},
        {r: people[1][r, ""] for r in row_names},
        {c: people[2]["", c] for c in column_names},
        total,
    )
    return _values(suppress(table, k, hide_total), values, measure)


def _values(
    published: Published, values: dict[int, dict[tuple[str, str], int]], measure: Measure
) -> Published:
    """The residents decided what is hidden; what is shown is the measure's value."""
    if measure.value is None:
        return published
    return Published(
        published.rows,
        published.columns,
        {rc: None if v is None else values[0].get(rc, 0) for rc, v in published.cells.items()},
        {r: None if v is None else values[1][r, ""] for r, v in published.row_totals.items()},
        {c: None if v is None else values[2]["", c] for c, v in published.column_totals.items()},
        None if published.total is None else values[3]["", ""],
        published.k,
        published.suppressed,
        published.totals,
    )


def _pick(
    values: dict[int, dict[tuple[str, str], int]],
    level: int,
    key: tuple[str, str],
    measure: Measure,
    residents: int,
) -> int:
    return values[level][key] if measure.value else residents


def reached(
    db: Database,
    query: Query,
    rows: str = ALL,
    k: int = DEFAULT_K,
    noise: CellKeys | None = None,
) -> Published:
    """Distinct residents who sent at least one message, per cell. ``rows`` is a
    resident's dimension or a period (:data:`SPLITS`): what flows, steps and programmes
    residents reached are the dashboard's flows and topics pages."""
    if rows != ALL and rows not in SPLITS:
        raise ValueError(
            f"residents reached are split by {', '.join(SPLITS)}, not {rows!r} "
            "(flows, steps and programmes: the flows and topics pages)"
        )
    return count(db, query, RESIDENTS_REACHED, rows, k, noise=noise)
