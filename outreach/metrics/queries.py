"""Tables of counts from the interaction log, every cell with the distinct residents
behind it, by a row and a column dimension, over a date range and optional filters.

The log is read through the ``activity`` view: closed days (one row per resident, day and
what they did) plus today's events. Only aggregates leave this module, always through
:mod:`.suppression`; there is no per-resident view. Time is never finer than a day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlite_utils import Database

from .cellkey import CellKeys
from .scan import DIMENSIONS, Amounts, Cells, scan
from .suppression import DEFAULT_K, Published, Table, suppress, suppress_rows, suppress_series

#: What every figure can be split by (the columns of a page's tables), and filtered by.
SPLITS = ("language", "channel", "department", "day", "week", "month")
FILTERS = ("language", "channel", "department")
ALL = "all"


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
    expected_rows: Sequence[str] = (),
) -> Published:
    """One table: ``rows`` by the query's split, with totals, small cells suppressed.
    With no split it is a one-dimensional series with its total. ``totals=False`` is for
    rows that overlap (flows, steps, topics, programmes): row totals only. ``noise``:
    every figure perturbed by its cell key (see :mod:`.cellkey`); everything published
    passes it, and only tests of the counting itself leave it out. ``expected_rows``:
    rows shown with 0 where no one was counted (see :class:`Request`)."""
    request = Request(query, (measure,), rows, k, hide_total, totals, noise, tuple(expected_rows))
    return count_many(db, [request])[0][0]


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
    #: Rows the table has even where no one is counted (every step of a funnel): 0, as
    #: any empty cell, through the same suppression and perturbation as the others.
    expected_rows: tuple[str, ...] = ()
    #: The table's columns, every one shown, instead of the query's split (the answers
    #: to the usefulness question); only for rows that overlap (``totals=False``).
    columns: tuple[str, ...] = ()


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
    gathered: dict[int, tuple[Cells, Amounts]] = {}
    for numbers in scans.values():
        gathered.update(zip(numbers, scan(db, [requests[n] for n in numbers]), strict=True))
    return [_tables(*gathered[n], requests[n]) for n in range(len(requests))]


def publish_cells(residents: Cells, amounts: Amounts, request: Request) -> list[Published]:
    """The tables of ``request`` from cells gathered from other rows than the activity
    view's (the voice line's calls and call backs: outreach.metrics.voice), suppressed and
    perturbed exactly as a scan's: one rule for every published figure."""
    return _tables(residents, amounts, request)


def _tables(residents: Cells, amounts: Amounts, request: Request) -> list[Published]:
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
    for r in request.expected_rows:
        # A row no one reached: its residents are none, its sums 0.
        gathered[1].setdefault((r, ""), set())
        for n in range(len(summing)):
            added[n][1].setdefault((r, ""), 0)
            largest[n][1].setdefault((r, ""), 0)
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
        _publish(people, values[n], measure, query, k, hide_total, totals, request.columns)
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
    fixed_columns: tuple[str, ...] = (),
) -> Published:
    """One measure's table from the counts of its scan, small cells suppressed."""
    total = people[3].get(("", ""), 0)
    row_names = sorted(r for r, _ in people[1])
    column_names = sorted(c for _, c in people[2])
    if fixed_columns and totals:
        raise ValueError("fixed columns are for rows that overlap (totals=False)")
    if not totals:
        columns = column_names if query.split != ALL else [ALL]
        columns = list(fixed_columns) or columns
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
