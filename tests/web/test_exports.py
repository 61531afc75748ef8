"""The exports as a donor opens them, read back as a spreadsheet reads them: the .xlsx
with openpyxl, the CSV with its byte-order mark and the locale's separator; and the
figures of both equal to the JSON's, which machines read."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from babel.core import Locale
from babel.messages.pofile import read_po
from conftest import TEST_CONFIG
from conversation_helpers import talk
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from openpyxl.workbook import Workbook
from staff_helpers import NOW, PASSWORD, log_in

from outreach import create_app, staff
from outreach.i18n.ui import CATALOGS
from outreach.metrics.cellkey import USUAL_NOISE
from outreach.metrics.report import PAGES, PERTURBED
from outreach.storage import connect
from outreach.web.exports import HIDDEN, csv_bytes, csv_dialect

RANGE = "since=2026-11-01&until=2026-11-30"
#: 14 residents: 11 of Huehuetenango, 3 of Petén (hidden), and 12 not understood.
RESIDENTS = {
    f"r{n}": ["hola", "3", "Huehuetenango" if n < 11 else "Petén", "1"] for n in range(14)
} | {f"q{n}": ["hola", "qué?"] for n in range(12)}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    folder = tmp_path_factory.mktemp("exports")
    app = create_app(
        TEST_CONFIG | {"DATABASE": str(folder / "db.sqlite3"), "SMS_SEGMENT_PRICE": "0.05"}
    )
    staff.add(connect(app.config["DATABASE"]), "beto", PASSWORD, "viewer", NOW)
    talk(app, RESIDENTS)
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert log_in(client, "beto") == 302
    return client


def spanish(text: str) -> str:
    """The catalog's Spanish for an interface string (the real catalog, not a copy)."""
    with (CATALOGS / "es" / "LC_MESSAGES" / "dashboard.po").open("rb") as handle:
        entry = read_po(handle)[text]
    assert entry is not None and entry.string and not entry.fuzzy, f"no Spanish for {text!r}"
    return str(entry.string)


def workbook(client: FlaskClient, address: str) -> Workbook:
    answer = client.get(address)
    assert answer.status_code == 200, answer.status_code
    assert answer.mimetype.endswith("spreadsheetml.sheet")
    assert ".xlsx" in answer.headers["Content-Disposition"]
    return load_workbook(io.BytesIO(answer.data))


def figures_in(book: Workbook, rows: list[dict[str, Any]]) -> None:
    """Every figure of the JSON export is in the workbook, in the sheet of its table
    (in order, after the definitions), on the line of its id, in its column."""
    tables = list(dict.fromkeys(row["table"] for row in rows if row["table"]))
    assert len(book.worksheets) == 1 + len(tables)
    for number, table in enumerate(tables, start=1):
        sheet = book.worksheets[number]
        mine = [row for row in rows if row["table"] == table]
        columns = list(dict.fromkeys(row["column"] for row in mine))
        header = [cell.value for cell in sheet[2]]
        assert header[-1] in ("id", "identificador")
        lines = {line[-1].value: line for line in sheet.iter_rows(min_row=3)}
        assert set(lines) == {row["row"] for row in mine}
        for row in mine:
            cell = lines[row["row"]][1 + columns.index(row["column"])]
            assert cell.value == (HIDDEN if row["suppressed"] else row["value"]), (table, row)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("ui", ["es", "en"])
def test_the_spreadsheet_holds_the_figures_of_the_json(
    client: FlaskClient, page: str, ui: str
) -> None:
    query = f"page={page}&{RANGE}&split=channel&ui={ui}"
    rows = client.get(f"/dashboard/export.json?{query}").get_json()
    assert any(isinstance(row["value"], int) for row in rows if not row["suppressed"])
    figures_in(workbook(client, f"/dashboard/export.xlsx?{query}"), rows)


def test_the_spreadsheet_speaks_the_interface_language(client: FlaskClient) -> None:
    query = f"/dashboard/export.xlsx?{RANGE}&split=department"
    english = workbook(client, query + "&ui=en")
    books = {"en": english, "es": workbook(client, query + "&ui=es")}
    words = {
        "en": lambda text: text,
        "es": spanish,
    }
    for ui, book in books.items():
        say = words[ui]
        definitions = book.worksheets[0]
        assert definitions.title == say("Definitions")
        terms = {line[0].value: line[1].value for line in definitions.iter_rows(min_row=3)}
        # The protection rule, as the pages say it: what × and the perturbation mean.
        assert terms[say("Perturbation")] == say(PERTURBED) % {"n": USUAL_NOISE}
        assert "10" in terms[say("Hidden figures (%(hidden)s)") % {"hidden": HIDDEN}]
        assert terms[say("Page")] == say("Overview")
        # Each table under its title, its columns named in the same language.
        reach = next(s for s in book.worksheets if s["A1"].value == say(
            "Residents reached, new and returning"))  # fmt: skip
        header = [cell.value for cell in reach[2]]
        assert header[0] == say("residents")
        assert "Huehuetenango" in header and "Petén" in header and say("total") in header
        names = [line[0].value for line in reach.iter_rows(min_row=3)]
        assert say("new") in names and say("total") in names
    assert books["es"].worksheets[0].title != english.worksheets[0].title
    # The summary's figures by name, the cost in the currency's unit.
    summary = next(s for s in english.worksheets if s["A1"].value == "Summary")
    by_id = {line[-1].value: line for line in summary.iter_rows(min_row=3)}
    assert by_id["reached"][0].value == "residents reached"
    assert by_id["estimated_cost"][2].value == "USD"
    assert isinstance(by_id["estimated_cost"][1].value, float)


@pytest.mark.parametrize(
    ("ui", "separator", "table", "yes"), [("es", ",", "tabla", "sí"), ("en", ",", "table", "yes")]
)
def test_the_csv_opens_as_the_interface_locale_reads_it(
    client: FlaskClient, ui: str, separator: str, table: str, yes: str
) -> None:
    query = f"page=overview&{RANGE}&split=department&ui={ui}"
    raw = client.get(f"/dashboard/export.csv?{query}").data
    # The byte-order mark that tells Excel the file is UTF-8 (else: PetÃ©n).
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "Petén" in text and "PetÃ©n" not in text
    lines = list(csv.reader(io.StringIO(text), delimiter=separator))
    header, body = lines[0], lines[1:]
    assert table in header
    rows = client.get(f"/dashboard/export.json?{query}").get_json()
    assert len(body) == len(rows)
    # Each row's and column's name comes before its id, which is the JSON's.
    keys = [key for key in rows[0] if key not in ("row", "column")]
    at = keys.index("unit") + 1
    keys[at:at] = ["row_name", "row", "column_name", "column"]
    position = {key: n for n, key in enumerate(keys)}
    assert len(header) == len(keys)
    for line, row in zip(body, rows, strict=True):
        assert line[position["row"]] == row["row"]
        assert line[position["column"]] == row["column"]
        shown = line[position["value"]]
        value = row["value"]
        assert shown == (str(value) if not isinstance(value, float) else repr(value))
    hidden = [line for line, row in zip(body, rows, strict=True) if row["suppressed"]]
    assert hidden and all(line[position["suppressed"]] == yes for line in hidden)


def test_the_separator_and_decimal_symbol_come_from_the_locale() -> None:
    """Babel's (CLDR's) data: Guatemala writes 12.5, Spain 12,5 (and so a ; between
    cells, as Excel and LibreOffice there expect)."""
    assert csv_dialect(Locale.parse("es_GT")) == (",", ".")
    assert csv_dialect(Locale.parse("en")) == (",", ".")
    assert csv_dialect(Locale.parse("es_ES")) == (";", ",")
    rows = [{"row": "Petén", "value": 12.5}, {"row": "Huehuetenango", "value": 1200}]
    app = create_app(TEST_CONFIG)
    with app.test_request_context("/dashboard/"):
        text = csv_bytes(rows, Locale.parse("es_ES")).decode("utf-8-sig")
    assert text.splitlines()[1:] == ["Petén;12,5", "Huehuetenango;1200"]


def test_a_label_that_starts_a_formula_is_text_in_both_exports(
    tmp_path: Path,
) -> None:
    """A department as residents' records hold it (an older list, a crafted value):
    neither the CSV nor the spreadsheet runs it, and the spreadsheet keeps it exact."""
    attacks = ['=HYPERLINK("http://evil.example","x")', "+1+1"]
    app = create_app(TEST_CONFIG | {"DATABASE": str(tmp_path / "db.sqlite3")})
    staff.add(connect(app.config["DATABASE"]), "beto", PASSWORD, "viewer", NOW)
    talk(app, {f"r{n}": ["hola", "3", "Petén"] for n in range(24)})
    db = connect(app.config["DATABASE"])
    for n in range(24):
        db.execute("UPDATE residents SET department = ? WHERE id = ?", [attacks[n % 2], f"r{n}"])
    db.conn.commit()
    client = app.test_client()
    log_in(client, "beto")
    query = f"{RANGE}&split=department&ui=en"
    text = client.get(f"/dashboard/export.csv?{query}").data.decode("utf-8-sig")
    cells = [cell for line in csv.reader(io.StringIO(text)) for cell in line]
    assert "'" + attacks[0] in cells and "'+1+1" in cells
    assert not any(cell.startswith(("=", "+")) for cell in cells)
    raw = client.get(f"/dashboard/export.xlsx?{query}").data
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in archive.read(n) for n in sheets)
    book = load_workbook(io.BytesIO(raw))
    found = [
        cell
        for sheet in book.worksheets
        for line in sheet.iter_rows()
        for cell in line
        if cell.value in attacks
    ]
    assert {cell.value for cell in found} == set(attacks)
    assert all(cell.data_type == "s" for cell in found)
    assert all(cell.quotePrefix for cell in found)
