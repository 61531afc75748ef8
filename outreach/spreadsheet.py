"""Cells that a spreadsheet would run as a formula (CSV injection).

Excel, LibreOffice and Google Sheets treat a cell starting with one of these as a formula
(``=HYPERLINK(...)``, ``@SUM(...)``, ``+cmd|...``), and a tab or carriage return can push
the rest of the cell into one that does. A donor opening an export must never run one.
Flow content is checked against the same characters (``outreach check``), so an export
never has to alter a value that staff wrote.
"""

from __future__ import annotations

from typing import TypeVar

#: What OWASP's CSV-injection guidance lists as a formula's first character.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = TypeVar("Cell")


def starts_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def neutralise(cell: Cell) -> Cell | str:
    """The cell as a spreadsheet shows it as text: a leading ``'`` before a formula start.

    Only text is touched: a negative number is a number, not text that begins with ``-``.
    """
    if isinstance(cell, str) and starts_like_formula(cell):
        return "'" + cell
    return cell
