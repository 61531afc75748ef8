"""Small cells are never published, and no hidden cell can be worked out from totals."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from outreach.metrics.suppression import MIN_K, Published, Table, suppress


def table(counts: dict[tuple[str, str], int]) -> Table:
    rows = sorted({r for r, _ in counts})
    columns = sorted({c for _, c in counts})
    cells = {(r, c): counts.get((r, c), 0) for r in rows for c in columns}
    return Table(
        rows,
        columns,
        cells,
        {r: sum(cells[r, c] for c in columns) for r in rows},
        {c: sum(cells[r, c] for r in rows) for c in columns},
        sum(cells.values()),
    )


def leaks(original: Table, published: Published, k: int) -> list[str]:
    """Every way the published table gives away a count below k (the attacks tested)."""
    found = []
    for cell, value in published.cells.items():
        if value is not None and 0 < value < k:
            found.append(f"cell {cell} published as {value}")
    for row, value in published.row_totals.items():
        if value is not None and 0 < value < k:
            found.append(f"row total {row} published as {value}")
    for column, value in published.column_totals.items():
        if value is not None and 0 < value < k:
            found.append(f"column total {column} published as {value}")
    lines = [
        ([(r, c) for c in original.columns], published.row_totals[r]) for r in original.rows
    ] + [([(r, c) for r in original.rows], published.column_totals[c]) for c in original.columns]
    for line, total in lines:
        secret = [cell for cell in line if published.cells[cell] is None]
        if total is not None and len(secret) == 1:
            found.append(f"{secret[0]} = its line's total minus the others")
    margins = [
        (original.rows, published.row_totals), (original.columns, published.column_totals)
    ]  # fmt: skip
    for names, totals in margins:
        secret = [n for n in names if totals[n] is None]
        if published.total is not None and len(secret) == 1:
            found.append(f"total {secret[0]} = the grand total minus the others")
        if published.total is None and not secret and original.total:
            found.append("the grand total = the sum of the shown totals")
    for line, total in lines:
        if total is None and all(published.cells[cell] is not None for cell in line):
            found.append(f"a hidden total = the sum of its shown cells {line}")
    return found


def solvable(original: Table, published: Published) -> list[str]:
    """The hidden figures that the published ones determine exactly, by any combination of
    the table's equations (each row and each column adds up to its total, the totals to
    the grand total): exact linear algebra over the rationals, independent of the graph
    argument the suppression itself relies on."""
    names = [*original.rows, None]
    columns = [*original.columns, None]

    def shown(r: str | None, c: str | None) -> int | None:
        if r is None and c is None:
            return published.total
        if c is None:
            return published.row_totals[r]  # type: ignore[index]
        if r is None:
            return published.column_totals[c]
        return published.cells[r, c]

    unknowns = [(r, c) for r in names for c in columns if shown(r, c) is None]
    index = {u: n for n, u in enumerate(unknowns)}
    equations: list[list[Fraction]] = []
    # Each line: its elements minus its total is zero (the total is the None position).
    lines = [[(r, c) for c in columns] for r in names] + [[(r, c) for r in names] for c in columns]
    for line in lines:
        row = [Fraction(0)] * len(unknowns)
        for position, element in enumerate(line):
            if element in index:
                row[index[element]] += -1 if position == len(line) - 1 else 1
        if any(row):
            equations.append(row)
    # Reduced row echelon form.
    pivots: list[int] = []
    rank = 0
    for column in range(len(unknowns)):
        pivot = next((i for i in range(rank, len(equations)) if equations[i][column]), None)
        if pivot is None:
            continue
        equations[rank], equations[pivot] = equations[pivot], equations[rank]
        lead = equations[rank][column]
        equations[rank] = [v / lead for v in equations[rank]]
        for i in range(len(equations)):
            if i != rank and equations[i][column]:
                factor = equations[i][column]
                pivot_row = equations[rank]
                equations[i] = [
                    a - factor * b for a, b in zip(equations[i], pivot_row, strict=True)
                ]
        pivots.append(column)
        rank += 1
    found = []
    for row_index, column in enumerate(pivots):
        if sum(1 for v in equations[row_index] if v) == 1:
            found.append(f"{unknowns[column]} is determined by the published figures")
    return found


def test_a_cell_between_two_blocks_of_hidden_cells_cannot_be_solved_for() -> None:
    # Hiding only by the one-per-line rule left r2/c3's 4 solvable by adding rows r1 and
    # r2 and subtracting columns c1 and c2 (a reviewer's attack).
    counts = {("r1", "c1"): 3, ("r1", "c2"): 3, ("r1", "c3"): 100, ("r1", "c4"): 100,
              ("r2", "c1"): 3, ("r2", "c2"): 3, ("r2", "c3"): 4, ("r2", "c4"): 100,
              ("r3", "c1"): 100, ("r3", "c2"): 100, ("r3", "c3"): 3, ("r3", "c4"): 3,
              ("r4", "c1"): 100, ("r4", "c2"): 100, ("r4", "c3"): 3, ("r4", "c4"): 3}  # fmt: skip
    original = table(counts)
    published = suppress(original, k=10)
    assert published.cells["r2", "c3"] is None
    assert solvable(original, published) == []
    assert leaks(original, published, 10) == []


def test_the_exact_check_finds_what_the_line_rule_misses() -> None:
    # The check itself can fail: the same table with only the small cells hidden and
    # every total shown.
    counts = {("a", "x"): 3, ("a", "y"): 50, ("b", "x"): 20, ("b", "y"): 30}
    original = table(counts)
    naive = Published(
        original.rows, original.columns,
        {**original.cells, ("a", "x"): None}, dict(original.row_totals),
        dict(original.column_totals), original.total, 10,
    )  # fmt: skip
    assert solvable(original, naive) == ["('a', 'x') is determined by the published figures"]


def test_a_small_cell_and_its_complement_are_hidden() -> None:
    original = table(
        {("Petén", "es"): 40, ("Petén", "en"): 3, ("Zacapa", "es"): 25, ("Zacapa", "en"): 12}
    )
    published = suppress(original, k=10)
    assert published.cells[("Petén", "en")] is None
    assert published.cells[("Petén", "es")] is None  # else 43 - 40 = 3
    assert published.cells[("Zacapa", "en")] is None  # else the "en" column gives it away
    assert leaks(original, published, 10) == []


def test_zero_is_published_and_large_cells_stay() -> None:
    original = table({("a", "x"): 0, ("a", "y"): 50, ("b", "x"): 20, ("b", "y"): 30})
    published = suppress(original, k=10)
    assert published.cells == original.cells
    assert published.total == 100


def test_k_below_five_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 5"):
        suppress(table({("a", "x"): 3}), k=MIN_K - 1)


@pytest.mark.parametrize("seed", range(500))
def test_random_tables_never_leak(seed: int) -> None:
    rng = random.Random(seed)
    rows = [f"r{i}" for i in range(rng.randrange(1, 7))]
    columns = [f"c{i}" for i in range(rng.randrange(1, 6))]
    counts = {
        (r, c): rng.choice([0, 0, 1, 2, 3, 4, 6, 9, 10, 11, 15, 30, 80])
        for r in rows
        for c in columns
    }
    k = rng.choice([5, 10])
    original = table(counts)
    published = suppress(original, k)
    assert leaks(original, published, k) == [], (counts, k)
    assert solvable(original, published) == [], (counts, k)


@pytest.mark.parametrize("seed", range(200))
def test_random_series_never_leak(seed: int) -> None:
    from outreach.metrics.suppression import suppress_series

    rng = random.Random(seed)
    counts = {f"v{i}": rng.choice([0, 1, 3, 7, 10, 12, 40]) for i in range(rng.randrange(1, 7))}
    total = sum(counts.values())
    shown, shown_total = suppress_series(counts, total, 10)
    assert all(v is None or v == 0 or v >= 10 for v in shown.values())
    assert shown_total is None or shown_total == 0 or shown_total >= 10
    hidden = [n for n, v in shown.items() if v is None]
    assert not (shown_total is not None and len(hidden) == 1), (counts, shown, shown_total)


@pytest.mark.parametrize("seed", range(100))
def test_a_total_hidden_elsewhere_stays_unrecoverable_here(seed: int) -> None:
    rng = random.Random(seed)
    rows = [f"r{i}" for i in range(rng.randrange(1, 5))]
    columns = [f"c{i}" for i in range(rng.randrange(1, 4))]
    counts = {(r, c): rng.choice([0, 3, 10, 12, 40]) for r in rows for c in columns}
    original = table(counts)
    published = suppress(original, 10, hide_total=True)
    assert published.total is None
    assert leaks(original, published, 10) == [], counts
    assert solvable(original, published) == [], counts


def test_a_small_margin_hides_a_second_margin_not_the_grand_total() -> None:
    # One language used by 3 residents: its row is hidden, and so is the next smallest
    # row, so that the headline total can stay.
    original = table(
        {("es", "sms"): 300, ("es", "wa"): 200, ("en", "sms"): 20, ("en", "wa"): 15,
         ("quc", "sms"): 2, ("quc", "wa"): 1}
    )  # fmt: skip
    published = suppress(original, k=10)
    assert published.total == 538
    assert published.row_totals["quc"] is None
    assert published.row_totals["en"] is None
    assert leaks(original, published, 10) == []


@pytest.mark.parametrize("seed", range(100))
def test_overlapping_rows_are_each_safe_and_suppressed_alike_anywhere(seed: int) -> None:
    from outreach.metrics.suppression import suppress_rows

    rng = random.Random(seed)
    columns = [f"c{i}" for i in range(rng.randrange(1, 4))]
    rows = {
        f"r{i}": {c: rng.choice([0, 2, 4, 10, 11, 30]) for c in columns}
        for i in range(rng.randrange(1, 5))
    }

    # Overlapping rows: a row's total is at most the sum of its cells, not always equal.
    totals = {r: max(sum(line.values()) - rng.choice([0, 1]), 0) for r, line in rows.items()}

    def make(names: list[str]) -> Table:
        cells = {(r, c): rows[r][c] for r in names for c in columns}
        return Table(names, columns, cells, {r: totals[r] for r in names}, {}, 0)

    names = sorted(rows)
    published = suppress_rows(make(names), 10)
    assert published.totals is False and published.column_totals == {}
    for row in names:
        line = [published.cells[row, c] for c in columns]
        assert all(v is None or v == 0 or v >= 10 for v in [*line, published.row_totals[row]])
        if published.row_totals[row] is not None:
            assert sum(1 for v in line if v is None) != 1, (row, line)
    # The same row, in a table of other rows, is suppressed the same way.
    other = suppress_rows(make(names[:1]), 10)
    assert [other.cells[names[0], c] for c in columns] == [
        published.cells[names[0], c] for c in columns
    ]
