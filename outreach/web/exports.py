"""The dashboard's exports as people open them: a spreadsheet (.xlsx) with a sheet of
definitions and one sheet per table, and a CSV that a spreadsheet in the interface's
locale reads as it is (UTF-8 with a BOM, its list separator, its decimal symbol).

Both hold exactly the rows of the JSON export (metrics.report.page_figures with
with_note), only laid out and labelled for people: the JSON stays as it is, for machines.
Every text cell goes through the formula guard of :mod:`outreach.spreadsheet`.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from babel.core import Locale
from babel.numbers import get_decimal_symbol
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from outreach.i18n.ui import UI_LANGUAGES, current_language, gettext
from outreach.metrics.names import Names
from outreach.metrics.queries import ALL
from outreach.spreadsheet import neutralise, starts_like_formula

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: What a hidden figure is shown as, on the pages and in the spreadsheet.
HIDDEN = "×"


def N_(word: str) -> str:
    """Marks a word for translation where it is a value, translated when shown."""
    return word


#: The columns of the export rows (the JSON's keys), as the CSV's header says them.
COLUMN_NAMES = {
    "page": N_("page"), "since": N_("from"), "until": N_("to"), "split": N_("split by"),
    "filters": N_("filters"), "k": N_("k (fewest residents shown)"),
    "synthetic_demo_data": N_("synthetic demo data"),
    "usual_perturbation": N_("usual perturbation (at most)"),
    "perturbation": N_("perturbation"), "table": N_("table"), "unit": N_("unit"),
    "row_name": N_("row"), "row": N_("row id"), "column_name": N_("column"),
    "column": N_("column id"), "value": N_("value"),
    "suppressed": N_("hidden"),
}  # fmt: skip

#: The tables of export rows that are not a page's sections: their titles.
TABLE_TITLES = {
    "headline": N_("Summary"),
    "not_understood_rate_by_language": N_("Messages not understood, by language, as a share"),
    "not_understood_rate_by_node": N_("Messages not understood, by step, as a share"),
}

#: The overview's summary figures (headline rows), by name.
HEADLINE_NAMES = {
    "reached": N_("residents reached"), "new": N_("new"), "returning": N_("returning"),
    "messages_in": N_("messages received"), "messages_out": N_("messages sent"),
    "segments": N_("SMS segments"), "opt_outs": N_("opted out"),
    "erasures": N_("deleted their data"), "estimated_cost": N_("estimated cost"),
    # The voice page's (outreach.metrics.voice.headline_rows).
    "callers": N_("residents who called"), "calls": N_("calls"),
    "completed_calls": N_("completed calls"), "minutes": N_("minutes"),
    "callbacks_placed": N_("call backs placed"),
    "missed_calls_refused": N_("missed calls not called back"),
}  # fmt: skip

#: Units a figure is counted in that are not a section's (which are translated already).
UNIT_NAMES = (N_("percent"), N_("residents"), N_("messages"), N_("segments"), N_("calls"),
              N_("minutes"), N_("call backs"), N_("missed calls"))  # fmt: skip


#: Rows and columns that are the interface's words, not data, by their id.
WORDS = {"all": N_("all"), "new": N_("new"), "returning": N_("returning"),
         "in": N_("received"), "out": N_("sent"), "unknown": N_("not given"),
         "web": N_("simulator"), "total": N_("total"), "voice": N_("voice calls"),
         # Call backs' outcomes and the reasons a missed call was not called back
         # (outreach.storage.callbacks), rows of the voice page (outreach.metrics.voice).
         "callback_placed": N_("placed"),
         "callback_failed": N_("failed"), "callback_uncertain": N_("uncertain"),
         "refused_off": N_("call backs not configured"),
         "refused_not_a_number": N_("no caller number"),
         "refused_country": N_("country not allowed"),
         "refused_queued": N_("already waiting for its call back"),
         "refused_caller_day": N_("the caller's call backs for the day used up"),
         "refused_hour": N_("the call backs of the hour used up"),
         "refused_budget": N_("the day's budget used up"),
         "refused_expired": N_("waited too long")}  # fmt: skip


def is_word(name: str, dimension: str = "", names: Names | None = None) -> bool:
    """Whether a row or column is named in the interface's words (else it is data: a
    name from the content, a department, a date), which pages mark translate="no".
    ``dimension``: what the value is (a table's rows_by, or its split), named by
    ``names`` (outreach.metrics.names)."""
    if names is not None and dimension and names.named(dimension, name):
        return names.is_word(dimension, name)
    return name in WORDS


def shown_name(name: str, dimension: str = "", names: Names | None = None) -> str:
    """A row or column of a table as the pages and the spreadsheet name it: by the
    content's or the interface's name of a ``dimension``'s value, else the interface's
    word for it, else as it is (a day, a department)."""
    if names is not None and dimension and names.named(dimension, name):
        return names.of(dimension, name)
    if name in WORDS:
        return gettext(WORDS[name])
    return name


def with_names(
    rows: Sequence[Mapping[str, Any]],
    dimensions: Mapping[str, str],
    columns: Mapping[str, str],
    names: Names,
) -> list[dict[str, Any]]:
    """The export rows with each row's and column's name before its id, for people (the
    CSV): ``dimensions`` and ``columns``, what each table's rows and columns are."""
    out = []
    for row in rows:
        table = str(row["table"])
        rows_by = dimensions.get(table, "")
        named: dict[str, Any] = {}
        for key, value in row.items():
            if key == "row":
                if table == "headline" and value in HEADLINE_NAMES:
                    named["row_name"] = gettext(HEADLINE_NAMES[str(value)])
                else:
                    named["row_name"] = shown_name(str(value), rows_by, names) if value else ""
            elif key == "column":
                by = columns.get(table, "")
                named["column_name"] = shown_name(str(value), by, names) if value else ""
            named[key] = value
        out.append(named)
    return out


def locale() -> Locale:
    return Locale.parse(UI_LANGUAGES[current_language()])


def csv_dialect(where: Locale) -> tuple[str, str]:
    """The list separator and decimal symbol a spreadsheet in this locale reads a CSV
    with: where the decimal symbol is a comma, the separator is a semicolon (as Excel
    and LibreOffice do), else a comma. From Babel's locale data (CLDR): es_GT, the
    interface's Spanish, writes 12.5 and so takes commas; es_ES writes 12,5 and takes ;."""
    decimal = get_decimal_symbol(where)
    return (";" if decimal == "," else ","), decimal


def csv_bytes(rows: Sequence[Mapping[str, Any]], where: Locale | None = None) -> bytes:
    """The export rows as CSV: UTF-8 with a byte-order mark (so that Excel reads Petén,
    not PetÃ©n), headers and yes/no in the interface's language, numbers with the
    locale's decimal symbol, every formula start neutralised."""
    separator, decimal = csv_dialect(where or locale())
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
    keys = list(rows[0]) if rows else ["page"]
    writer.writerow([gettext(COLUMN_NAMES.get(key, key)) for key in keys])
    for row in rows:
        writer.writerow([_csv_cell(row.get(key, ""), decimal) for key in keys])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_cell(value: Any, decimal: str) -> Any:
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, float):
        return repr(value).replace(".", decimal)
    return neutralise(value)


def xlsx_bytes(
    rows: Sequence[Mapping[str, Any]],
    titles: Mapping[str, str],
    notes: Mapping[str, str],
    dimensions: Mapping[str, str],
    columns: Mapping[str, str],
    names: Names,
    about: Sequence[tuple[str, str]],
) -> bytes:
    """The export rows as a workbook: first a sheet of definitions (``about``: what was
    asked, what a hidden figure is, what the perturbation means, and each table's
    note), then one sheet per table, laid out as the page shows it (a row per row, a
    column per column, an id column). ``titles`` and ``notes``: the tables' titles and
    notes, translated; ``dimensions`` and ``columns``: what each table's rows and
    columns are, named by ``names``."""
    book = Workbook()
    definitions = book.active
    assert definitions is not None
    definitions.title = _sheet_name(gettext("Definitions"), set())
    _text(definitions, 1, 1, gettext("Definitions"), bold=True)
    _text(definitions, 2, 1, gettext("Term"), bold=True)
    _text(definitions, 2, 2, gettext("Meaning"), bold=True)
    line = 3
    for term, meaning in about:
        _text(definitions, line, 1, term)
        _text(definitions, line, 2, meaning)
        line += 1
    tables = list(dict.fromkeys(str(row["table"]) for row in rows if row["table"]))
    for table in tables:
        title = titles.get(table) or gettext(TABLE_TITLES.get(table, table))
        if notes.get(table):
            _text(definitions, line, 1, title)
            _text(definitions, line, 2, notes[table])
            line += 1
    definitions.column_dimensions["A"].width = 40
    definitions.column_dimensions["B"].width = 100
    for cells in definitions.iter_rows(min_col=2, max_col=2):
        cells[0].alignment = Alignment(wrap_text=True, vertical="top")
    used = {definitions.title}
    for table in tables:
        title = titles.get(table) or gettext(TABLE_TITLES.get(table, table))
        sheet = book.create_sheet(_sheet_name(title, used))
        used.add(sheet.title)
        rows_by = dimensions.get(table, "")
        _table_sheet(
            sheet,
            title,
            [row for row in rows if row["table"] == table],
            functools.partial(shown_name, dimension=rows_by, names=names),
            functools.partial(shown_name, dimension=columns.get(table, ""), names=names),
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _table_sheet(
    sheet: Worksheet,
    title: str,
    rows: Sequence[Mapping[str, Any]],
    row_name: Callable[[str], str],
    column_name: Callable[[str], str],
) -> None:
    """One table: its title, a header of its columns, a line per row by its name, the
    ids last."""
    names = list(dict.fromkeys(str(row["row"]) for row in rows))
    columns = list(dict.fromkeys(str(row["column"]) for row in rows))
    unit = gettext(str(rows[0]["unit"])) if rows else ""
    values = {(str(row["row"]), str(row["column"])): row for row in rows}
    is_headline = rows and rows[0]["table"] == "headline"
    _text(sheet, 1, 1, title, bold=True)
    single = columns == [ALL]
    header = [""] + ([gettext("value") if is_headline else unit] if single
                     else [column_name(c) for c in columns]) + [gettext("id")]  # fmt: skip
    if is_headline:
        header.insert(2, gettext("unit"))
    for n, word in enumerate(header, start=1):
        _text(sheet, 2, n, word, bold=True)
    if not single:
        _text(sheet, 2, 1, unit, bold=True)
    for line, name in enumerate(names, start=3):
        label = gettext(HEADLINE_NAMES[name]) if is_headline and name in HEADLINE_NAMES else None
        _text(sheet, line, 1, label or row_name(name))
        for n, column in enumerate(columns, start=2):
            row = values.get((name, column))
            if row is None:
                continue
            value = row["value"]
            cell = sheet.cell(line, n)
            if row["suppressed"]:
                _text(sheet, line, n, HIDDEN)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                cell.value = value
            else:
                _text(sheet, line, n, str(value))
        if is_headline:
            _text(sheet, line, len(columns) + 2, gettext(str(values[name, columns[0]]["unit"])))
        _text(sheet, line, len(header), name)
    sheet.column_dimensions["A"].width = 45
    sheet.freeze_panes = "B3"


def _text(sheet: Worksheet, line: int, column: int, text: str, bold: bool = False) -> None:
    """A text cell that no spreadsheet runs as a formula, whatever it starts with: stored
    as text (openpyxl would store a leading ``=`` as a formula), and marked with Excel's
    quote prefix, so that it stays text even when someone edits the cell."""
    cell = sheet.cell(line, column)
    cell.value = text
    cell.data_type = "s"
    if starts_like_formula(text):
        cell.quotePrefix = True
    if bold:
        cell.font = Font(bold=True)


#: What a sheet's name may not hold, and how long it may be (Excel's rules).
_NOT_IN_SHEET_NAMES = str.maketrans({c: " " for c in "[]:*?/\\"})
_SHEET_NAME_LENGTH = 31


def _sheet_name(title: str, used: set[str]) -> str:
    """A sheet name from a title: Excel's characters and length, unique in the book."""
    base = title.translate(_NOT_IN_SHEET_NAMES).strip().strip("'") or "-"
    name = base[:_SHEET_NAME_LENGTH].rstrip()
    n = 2
    while name.lower() in {u.lower() for u in used}:
        suffix = f" ({n})"
        name = base[: _SHEET_NAME_LENGTH - len(suffix)].rstrip() + suffix
        n += 1
    return name
