"""Small-cell suppression for published tables (DOMAIN.md section 6, rule 6).

A cell counting fewer than k residents could point at someone, so it is hidden (primary
suppression). Hiding it is not enough when the table also publishes totals: a hidden cell
that is the only hidden one in its row (or column) equals the row total minus the shown
cells. So, as statistical offices do, more cells are hidden until no row or column, with
its total counted as one of its elements, has exactly one hidden element (complementary
suppression). The margins are lines too: a hidden row total that is the only hidden one
would be the grand total minus the others. The smallest shown element is chosen each
time, to lose as little as possible. Zero is published: it reveals no one.

That rule alone is not enough: hidden cells spread over several rows and columns can
still be solved for by adding and subtracting whole lines. Every element of the grid is
in exactly two lines (its row and its column), so the hidden elements are the edges of a
graph whose nodes are the lines, and the line equations determine a hidden element
exactly when its edge lies on no cycle of hidden edges: when it is a bridge. So the
suppression goes on, hiding one more element beside a bridge, until there is none.

Counts of distinct residents need not add up (one resident may write in two languages),
so the rule is conservative for them; for sums, such as messages, it is exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The default and the floor of k: below 5, published health statistics already leak.
DEFAULT_K = 10
MIN_K = 5

Cell = tuple[str, str]
#: The one column of a table that is not split.
ALL_COLUMNS = "all"
#: The name of the margins' row and column in the grid :func:`suppress` works on.
TOTAL = "\x00total"


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
    #: False for a table whose rows overlap (a resident may be in several: flows, steps,
    #: topics): it has row totals only, see :func:`suppress_rows`.
    totals: bool = True


def check_k(k: int) -> int:
    if k < MIN_K:
        raise ValueError(f"k must be at least {MIN_K}: smaller cells can single people out")
    return k


def suppress(table: Table, k: int = DEFAULT_K, hide_total: bool = False) -> Published:
    """``hide_total``: the grand total is hidden elsewhere on the page, so here too."""
    check_k(k)
    # The table with its margins is one grid: a row's total sits in column TOTAL, a
    # column's in row TOTAL, the grand total at (TOTAL, TOTAL). Every row and column of
    # the grid, margins included, adds up to its last element, so none may have exactly
    # one hidden element: it would be that line's total minus the shown ones.
    grid: dict[Cell, int] = dict(table.cells)
    grid.update({(r, TOTAL): v for r, v in table.row_totals.items()})
    grid.update({(TOTAL, c): v for c, v in table.column_totals.items()})
    grid[TOTAL, TOTAL] = table.total
    hidden = {e for e, v in grid.items() if 0 < v < k}
    if hide_total:
        hidden.add((TOTAL, TOTAL))
    lines = [[(r, c) for c in [*table.columns, TOTAL]] for r in [*table.rows, TOTAL]] + [
        [(r, c) for r in [*table.rows, TOTAL]] for c in [*table.columns, TOTAL]
    ]

    def smallest(candidates: list[Cell]) -> Cell:
        # The smallest, to lose as little as possible; a cell before a total.
        return min(candidates, key=lambda e: (grid[e], TOTAL in e, e))

    while True:
        changed = True
        while changed:
            changed = False
            for line in lines:
                if sum(1 for e in line if e in hidden) != 1:
                    continue
                shown = [e for e in line if e not in hidden and grid.get(e, 0) > 0]
                if shown:
                    hidden.add(smallest(shown))
                    changed = True
        bridge = next(iter(bridges(hidden)), None)
        if bridge is None:
            break
        # Hide one more element in the bridge's row or column, closing a cycle through it;
        # failing that anywhere, and zeros only as a last resort.
        row, column = bridge
        near = [e for e in grid if (e[0] == row or e[1] == column) and e not in hidden]
        anywhere = [e for e in grid if e not in hidden]
        candidates = (
            [e for e in near if grid[e] > 0] or [e for e in anywhere if grid[e] > 0] or anywhere
        )
        if not candidates:
            break  # everything is hidden already
        hidden.add(smallest(candidates))
    return Published(
        table.rows,
        table.columns,
        {c: (None if c in hidden else v) for c, v in table.cells.items()},
        {r: (None if (r, TOTAL) in hidden else v) for r, v in table.row_totals.items()},
        {c: (None if (TOTAL, c) in hidden else v) for c, v in table.column_totals.items()},
        None if (TOTAL, TOTAL) in hidden else table.total,
        k,
        len(hidden),
    )


def bridges(hidden: set[Cell]) -> list[Cell]:
    """The hidden elements that the line equations determine: the bridges of the graph
    whose nodes are the grid's rows and columns and whose edges are the hidden elements
    (Tarjan's algorithm, without recursion). Rows and columns are told apart by a prefix,
    since a row and a column may share a name."""
    adjacent: dict[tuple[str, str], list[tuple[tuple[str, str], Cell]]] = {}
    for element in sorted(hidden):
        row, column = ("row", element[0]), ("column", element[1])
        adjacent.setdefault(row, []).append((column, element))
        adjacent.setdefault(column, []).append((row, element))
    order: dict[tuple[str, str], int] = {}
    low: dict[tuple[str, str], int] = {}
    found: list[Cell] = []
    for start in adjacent:
        if start in order:
            continue
        order[start] = low[start] = len(order)
        # (node, the edge it was reached by, the index of its next neighbour)
        stack: list[tuple[tuple[str, str], Cell | None, int]] = [(start, None, 0)]
        while stack:
            node, via, index = stack[-1]
            if index < len(adjacent[node]):
                stack[-1] = (node, via, index + 1)
                neighbour, edge = adjacent[node][index]
                if edge == via:
                    continue
                if neighbour in order:
                    low[node] = min(low[node], order[neighbour])
                else:
                    order[neighbour] = low[neighbour] = len(order)
                    stack.append((neighbour, edge, 0))
                continue
            stack.pop()
            if stack:
                parent = stack[-1][0]
                low[parent] = min(low[parent], low[node])
                if low[node] > order[parent] and via is not None:
                    found.append(via)
    return found


def suppress_rows(table: Table, k: int = DEFAULT_K) -> Published:
    """A table whose rows overlap, such as the steps of a flow: a resident counts in every
    row they reached, so column totals are not the sum of anything and are not
    published. Each row is suppressed on its own, with its total, as a series; so the
    same row in two tables (a step in a funnel and among the topics) is always
    suppressed alike, and comparing the tables gives nothing away."""
    check_k(k)
    cells: dict[Cell, int | None] = {}
    row_totals: dict[str, int | None] = {}
    for row in table.rows:
        line = {column: table.cells[row, column] for column in table.columns}
        shown, shown_total = suppress_series(line, table.row_totals[row], k)
        if table.columns == [ALL_COLUMNS]:
            # One column: the cell is the row total; hidden or shown together.
            shown_total = shown[ALL_COLUMNS]
        cells.update({(row, column): v for column, v in shown.items()})
        row_totals[row] = shown_total
    hidden = sum(1 for v in cells.values() if v is None)
    return Published(
        table.rows, table.columns, cells, row_totals, {}, None, k, hidden, totals=False
    )


def suppress_series(
    counts: dict[str, int], total: int, k: int = DEFAULT_K, hide_total: bool = False
) -> tuple[dict[str, int | None], int | None]:
    """The one-dimensional case: counts by one dimension and their total. A lone hidden
    count would be the total minus the others, so a second one is hidden, or, when no
    other count is shown, the total. ``hide_total``: it is hidden elsewhere on the page."""
    check_k(k)
    hidden = {name for name, value in counts.items() if 0 < value < k}
    total_hidden = 0 < total < k or hide_total
    if len(hidden) == 1 and not total_hidden:
        shown = [n for n, v in counts.items() if n not in hidden and v > 0]
        if shown:
            hidden.add(min(shown, key=lambda n: (counts[n], n)))
        else:
            total_hidden = True
    return {n: (None if n in hidden else v) for n, v in counts.items()}, (
        None if total_hidden else total
    )
