"""Small-cell suppression for published tables (DOMAIN.md section 6, rule 6).

A cell counting fewer than k residents could point at someone, so it is hidden (primary
suppression). Hiding it is not enough when the table also publishes totals: a hidden cell
that is the only hidden one in its row (or column) equals the row total minus the shown
cells. So, as statistical offices do, more cells are hidden until every row and column
with a hidden cell has at least two, or its total is hidden too (complementary
suppression). The smallest shown cell is chosen each time, to lose as little as possible.
A hidden row or column total hides the grand total, which would otherwise give it away.
Zero is published: it reveals no one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The default and the floor of k: below 5, published health statistics already leak.
DEFAULT_K = 10
MIN_K = 5

Cell = tuple[str, str]


@dataclass
class Table:
    """Counts by a row and a column dimension, with their totals (a one-dimensional
    breakdown is a table with one column)."""

    rows: list[str]
    columns: list[str]
    cells: dict[Cell, int]
    row_totals: dict[str, int]
    column_totals: dict[str, int]
    total: int


@dataclass
class Published:
    """A table as it may be shown: None where a count is suppressed."""

    rows: list[str]
    columns: list[str]
    cells: dict[Cell, int | None]
    row_totals: dict[str, int | None]
    column_totals: dict[str, int | None]
    total: int | None
    k: int
    suppressed: int = field(default=0)


def check_k(k: int) -> int:
    if k < MIN_K:
        raise ValueError(f"k must be at least {MIN_K}: smaller cells can single people out")
    return k


def suppress(table: Table, k: int = DEFAULT_K) -> Published:
    check_k(k)
    hidden: set[Cell] = {c for c, v in table.cells.items() if 0 < v < k}
    hidden_rows = {r for r, v in table.row_totals.items() if 0 < v < k}
    hidden_columns = {c for c, v in table.column_totals.items() if 0 < v < k}
    hidden_total = 0 < table.total < k

    def complement(line: list[Cell], total_hidden: bool) -> Cell | None:
        """The cell to hide so that this line no longer gives a hidden cell away."""
        if total_hidden:
            return None
        secret = [c for c in line if c in hidden]
        if len(secret) != 1:
            return None
        shown = [c for c in line if c not in hidden and table.cells.get(c, 0) > 0]
        if not shown:
            return None  # every other cell is zero: the hidden one is its total, not shown
        return min(shown, key=lambda c: (table.cells[c], c))

    # Each line (a row or a column) with its cells and the set its total is hidden in.
    lines: list[tuple[str, list[Cell], set[str]]] = [
        (row, [(row, column) for column in table.columns], hidden_rows) for row in table.rows
    ] + [
        (column, [(row, column) for row in table.rows], hidden_columns) for column in table.columns
    ]
    changed = True
    while changed:
        changed = False
        for name, line, hidden_totals in lines:
            if (extra := complement(line, name in hidden_totals)) is not None:
                hidden.add(extra)
                changed = True
            elif (
                _lone_secret(line, hidden)
                and not any(table.cells.get(c, 0) for c in line if c not in hidden)
                and name not in hidden_totals
            ):
                # Nothing else to hide in the line: its total would give the cell away.
                hidden_totals.add(name)
                changed = True
    # A hidden row or column total would be the grand total minus the others: the grand
    # total goes too. (A hidden total's own cells are hidden, so it cannot be summed up.)
    if hidden_rows or hidden_columns:
        hidden_total = True
    cells = {c: (None if c in hidden else v) for c, v in table.cells.items()}
    return Published(
        table.rows,
        table.columns,
        cells,
        {r: (None if r in hidden_rows else v) for r, v in table.row_totals.items()},
        {c: (None if c in hidden_columns else v) for c, v in table.column_totals.items()},
        None if hidden_total else table.total,
        k,
        len(hidden) + len(hidden_rows) + len(hidden_columns) + int(hidden_total),
    )


def _lone_secret(line: list[Cell], hidden: set[Cell]) -> bool:
    return sum(1 for c in line if c in hidden) == 1


def suppress_series(
    counts: dict[str, int], total: int, k: int = DEFAULT_K
) -> tuple[dict[str, int | None], int | None]:
    """The one-dimensional case: counts by one dimension and their total. A lone hidden
    count would be the total minus the others, so a second one is hidden, or, when no
    other count is shown, the total."""
    check_k(k)
    hidden = {name for name, value in counts.items() if 0 < value < k}
    total_hidden = 0 < total < k
    if len(hidden) == 1 and not total_hidden:
        shown = [n for n, v in counts.items() if n not in hidden and v > 0]
        if shown:
            hidden.add(min(shown, key=lambda n: (counts[n], n)))
        else:
            total_hidden = True
    return {n: (None if n in hidden else v) for n, v in counts.items()}, (
        None if total_hidden else total
    )
