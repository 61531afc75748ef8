"""No id where a name exists (issue #19): every page of the dashboard and every export,
in Spanish and in English, over the demo data (every flow, language and channel), shows
flows, steps, topics and programmes by their names. Ids may appear only where they are
meant to: in title= tooltips, and in the exports' id columns.

The ids are collected from the shipped content. A step's id (flow/node) must appear
nowhere in the visible text; a flow's, a programme's or an alert topic's id (often a
plain word, "main", "risks") must not be the whole text of a table cell, a list item, a
heading or a choice of a list."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from conftest import TEST_CONFIG
from content_ids import ids_shown, step_ids, word_ids
from flask.testing import FlaskClient
from openpyxl import load_workbook
from staff_helpers import log_in

from outreach import create_app
from outreach.engine.model import FlowSet
from outreach.metrics.report import PAGES

DEMO_LOGIN = ("demo", "demo-password")


def test_the_check_finds_ids_and_passes_names_and_tooltips(shipped: FlowSet) -> None:
    assert ids_shown("<table><tr><th>risks/scams_today</th></tr></table>", shipped) == [
        "risks/scams_today"
    ]
    assert ids_shown("<ul><li>main</li></ul><select><option>risks</option></select>",
                     shipped) == ["main", "risks"]  # fmt: skip
    named = '<th><span title="risks/scams_today">Estafas de hoy</span></th><td>main menu</td>'
    assert ids_shown(named, shipped) == []


@pytest.fixture(scope="module")
def demo_staff(demo_database: Path) -> FlaskClient:
    app = create_app(TEST_CONFIG | {"DATABASE": str(demo_database)})
    client = app.test_client()
    assert log_in(client, *DEMO_LOGIN) == 302
    return client


def views(content: FlowSet) -> list[dict[str, str]]:
    """Every page, unsplit and split by what names things, and the funnel of every flow."""
    found = [{"page": page} for page in PAGES]
    found += [{"page": page, "split": split} for page in PAGES
              for split in ("language", "channel", "department")]  # fmt: skip
    found += [{"page": "flows", "flow": flow} for flow in content.flows]
    return found


def address(view: dict[str, str]) -> str:
    page = view["page"]
    return "/dashboard/" + ("" if page == "overview" else page)


@pytest.mark.parametrize("ui", ["es", "en"])
def test_no_page_shows_an_id_where_a_name_exists(
    demo_staff: FlaskClient, shipped: FlowSet, ui: str
) -> None:
    shown = {}
    for view in views(shipped):
        args = {k: v for k, v in view.items() if k != "page"} | {"ui": ui}
        answer = demo_staff.get(address(view), query_string=args)
        assert answer.status_code == 200, view
        if found := ids_shown(answer.get_data(as_text=True), shipped):
            shown[str(view)] = found
    assert shown == {}


@pytest.mark.parametrize("ui", ["es", "en"])
def test_no_export_shows_an_id_but_in_its_id_columns(
    demo_staff: FlaskClient, shipped: FlowSet, ui: str
) -> None:
    ids = step_ids(shipped) | word_ids(shipped)
    # Unsplit: a split's columns are languages, channels or departments, named alike.
    for view in (v for v in views(shipped) if "split" not in v):
        args = view | {"ui": ui}
        raw = demo_staff.get("/dashboard/export.csv", query_string=args).data
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
        id_columns = ("row id", "column id", "id de la fila", "id de la columna")
        names = {key for key in rows[0] if key not in id_columns} if rows else set()
        for row in rows:
            assert not {row[key] for key in names} & ids, (view, row)
        book = load_workbook(io.BytesIO(
            demo_staff.get("/dashboard/export.xlsx", query_string=args).data
        ))  # fmt: skip
        for sheet in book.worksheets[1:]:
            header = [cell.value for cell in sheet[2]]
            # The id column is the last of each table.
            for line in sheet.iter_rows(min_row=3, values_only=True):
                assert not set(line[: len(header) - 1]) & ids, (view, sheet.title, line)
            assert not set(header[:-1]) & ids, (view, sheet.title, header)
