"""What a page shows is decided in one place (metrics.report.page_sections): the
dashboard's exports and ``outreach metrics --page`` publish the very same figures."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TEST_CONFIG
from conversation_helpers import talk
from flask import Flask
from staff_helpers import NOW, PASSWORD, log_in

from outreach import create_app, staff
from outreach.cli import main
from outreach.metrics import report
from outreach.metrics.queries import Query
from outreach.storage import connect

#: What a figure is, without what the export says about the request (page, range, k...).
FIGURE = ("table", "unit", "row", "column", "value", "suppressed")


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    config = {"DATABASE": str(tmp_path / "outreach.sqlite3"), "SMS_SEGMENT_PRICE": "0.05"}
    return create_app(TEST_CONFIG | config)


def figures(rows: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return [tuple(row[name] for name in FIGURE) for row in rows]


@pytest.mark.parametrize("page", report.PAGES)
def test_the_command_and_the_export_publish_the_same_figures(app: Flask, page: str) -> None:
    # Some not understood ("xyz"), over a range of three months: bars of a week.
    talk(app, {f"r{n}": ["hola", "xyz", "3", "Petén", "1"] for n in range(24)})
    staff.add(connect(app.config["DATABASE"]), "beto", PASSWORD, "viewer", NOW)
    client = app.test_client()
    log_in(client, "beto")
    since, until = "2026-09-01", "2026-11-30"
    exported = client.get(f"/dashboard/export.json?page={page}&since={since}&until={until}")
    assert exported.status_code == 200
    runner = CliRunner(
        env={
            "OUTREACH_DATABASE": app.config["DATABASE"],
            "OUTREACH_PSEUDONYM_KEY": TEST_CONFIG["PSEUDONYM_KEY"],
            "OUTREACH_FLOWS_DIR": TEST_CONFIG["FLOWS_DIR"],
            "OUTREACH_SMS_SEGMENT_PRICE": "0.05",
        }
    )
    printed = runner.invoke(
        main, ["metrics", "--page", page, "--since", since, "--until", until, "--json"]
    )
    assert printed.exit_code == 0, printed.output
    shown = figures(json.loads(printed.output))
    assert any(value not in ("", None) for _, _, _, _, value, _ in shown)
    assert shown == figures(exported.get_json())


def test_a_page_or_flow_it_does_not_have_is_refused(app: Flask) -> None:
    db = connect(app.config["DATABASE"])
    content = app.extensions["outreach.content"].flows
    query = Query(date(2026, 11, 1), date(2026, 11, 30))
    with pytest.raises(report.UnknownFlow):
        report.page_sections("flows", db, query, "day", 10, None, content, "nowhere")
    with pytest.raises(report.UnknownPage):
        report.page_sections("staff", db, query, "day", 10, None, content)
    # By default the main menu's flow, which every conversation passes.
    first = report.page_sections("flows", db, query, "day", 10, None, content)
    assert first.flow == content.deployment.main_flow == "main"
    assert first.flow_ids == list(content.flows)
