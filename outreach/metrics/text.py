"""Published figures as ``outreach metrics`` prints them: terminal text and JSON. What
is published is decided elsewhere (queries, suppression, report); this only lays it out,
hidden cells as ``<k``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from .cellkey import USUAL_NOISE
from .names import Names
from .suppression import Published


def table_json(table: Published, since: date, until: date, perturbed: str) -> dict[str, object]:
    """Residents reached, one table, with its range, k and the perturbation statement."""
    return {
        "metric": "residents_reached",
        "since": since.isoformat(),
        "until": until.isoformat(),
        "k": table.k,
        "usual_perturbation": USUAL_NOISE,
        "perturbation": perturbed,
        "rows": table.rows,
        "columns": table.columns,
        "cells": [{"row": r, "column": c, "value": v} for (r, c), v in table.cells.items()],
        "row_totals": table.row_totals,
        "column_totals": table.column_totals,
        "total": table.total,
    }


def table_lines(table: Published, since: date, until: date, perturbed: str) -> list[str]:
    """Residents reached, one table, as aligned columns with a total row and column."""

    def show(value: int | None) -> str:
        return f"<{table.k}" if value is None else str(value)

    width = max([len(r) for r in table.rows] + [8])
    lines = [
        f"Residents reached {since} to {until} (cells under {table.k} hidden)",
        perturbed,
        " " * width + "".join(f"{c:>12}" for c in table.columns) + f"{'total':>12}",
    ]
    for row in table.rows:
        values = "".join(f"{show(table.cells[row, c]):>12}" for c in table.columns)
        lines.append(f"{row:<{width}}{values}{show(table.row_totals[row]):>12}")
    totals = "".join(f"{show(table.column_totals[c]):>12}" for c in table.columns)
    lines.append(f"{'total':<{width}}{totals}{show(table.total):>12}")
    return lines


def figure_lines(
    figures: Sequence[dict[str, object]],
    k: int,
    perturbed: str,
    names: Names | None = None,
    dimensions: Mapping[str, str] | None = None,
    columns: Mapping[str, str] | None = None,
) -> list[str]:
    """A page's figures (see report.page_figures), one line each, after the statement;
    rows and columns by their names where ``names`` gives one (``dimensions`` and
    ``columns``: what each table's rows and columns are)."""
    dimensions = dimensions or {}
    columns = columns or {}

    def name(value: object, dimension: str) -> str:
        if names is None or not dimension or not names.named(dimension, str(value)):
            return str(value)
        return names.of(dimension, str(value))

    lines = [perturbed]
    for figure in figures:
        shown = f"<{k}" if figure["suppressed"] else figure["value"]
        row = name(figure["row"], dimensions.get(str(figure["table"]), ""))
        column = name(figure["column"], columns.get(str(figure["table"]), ""))
        lines.append(f"{figure['table']!s:<26} {row:<32} {column:<12} {shown}")
    return lines
