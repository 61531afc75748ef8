"""Metrics from a real database filled through the real webhook path."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import TEST_CONFIG
from flask import Flask

from outreach import create_app
from outreach.conversation import Conversations
from outreach.db import get_db
from outreach.metrics.queries import Query, reached
from outreach.store import connect

DAY = datetime(2026, 11, 20, 15, tzinfo=UTC)


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return create_app(TEST_CONFIG | {"DATABASE": str(tmp_path / "outreach.sqlite3")})


def talk(app: Flask, residents: dict[str, list[str]], channel: str = "sms") -> None:
    with app.app_context():
        clock = iter(DAY + timedelta(minutes=n) for n in range(10_000))
        conversations = Conversations(
            get_db(), app.extensions["outreach.content"], clock=lambda: next(clock)
        )
        for resident, texts in residents.items():
            for n, text in enumerate(texts):
                conversations.handle(
                    resident, text, channel=channel, message_id=f"{resident}-{n}", rendering=channel
                )


def test_residents_reached_by_department_and_language(app: Flask) -> None:
    residents = {f"r{n}": ["hola", "3", "Huehuetenango" if n < 12 else "Petén"] for n in range(15)}
    talk(app, residents)
    db = connect(app.config["DATABASE"])
    table = reached(db, Query(date(2026, 11, 1), date(2026, 11, 30), "department", "language"))
    assert table.column_totals["es"] == 15
    assert table.cells[("Petén", "es")] is None  # 3 residents: hidden
    assert table.row_totals["Petén"] is None
    # 15 - 12 would give Petén away, so Huehuetenango's 12 is hidden as well.
    assert table.cells[("Huehuetenango", "es")] is None
    unsuppressed = reached(db, Query(date(2026, 11, 1), date(2026, 11, 30), "department"), k=5)
    assert unsuppressed.cells[("Huehuetenango", "all")] is None  # the lone other cell
    assert unsuppressed.column_totals["all"] == 15


def test_nothing_outside_the_date_range(app: Flask) -> None:
    talk(app, {f"r{n}": ["hola"] for n in range(12)})
    db = connect(app.config["DATABASE"])
    assert reached(db, Query(date(2026, 11, 21), date(2026, 11, 30))).total == 0
    assert reached(db, Query(date(2026, 11, 20), date(2026, 11, 20))).total == 12


def test_an_erasure_removes_a_resident_from_the_counts_but_is_counted(app: Flask) -> None:
    talk(app, {f"r{n}": ["hola", "borrar"] if n == 0 else ["hola"] for n in range(11)})
    db = connect(app.config["DATABASE"])
    assert reached(db, Query(date(2026, 11, 1), date(2026, 11, 30))).total == 10
    erasures = db.execute("select sum(count) from anonymous_counts where metric = 'erasure'")
    assert erasures.fetchone()[0] == 1


def test_unknown_dimensions_are_refused(app: Flask) -> None:
    db = connect(app.config["DATABASE"])
    with pytest.raises(ValueError, match="unknown dimension"):
        reached(db, Query(date(2026, 11, 1), date(2026, 11, 30), "phone"))


def test_the_metrics_command_prints_only_safe_counts(app: Flask) -> None:
    import json

    from click.testing import CliRunner

    from outreach.cli import main

    talk(app, {f"r{n}": ["hola"] for n in range(11)})
    talk(app, {f"w{n}": ["hola"] for n in range(2)}, channel="whatsapp")
    runner = CliRunner(env={"OUTREACH_DATABASE": app.config["DATABASE"]})
    result = runner.invoke(
        main,
        ["metrics", "--by", "channel", "--since", "2026-11-01", "--until", "2026-11-30", "--json"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    values = {cell["row"]: cell["value"] for cell in data["cells"]}
    assert values == {"sms": None, "whatsapp": None}  # 2 WhatsApp users: both hidden
    assert data["total"] is None
    text = runner.invoke(
        main, ["metrics", "--by", "channel", "--since", "2026-11-01", "--until", "2026-11-30"]
    ).output
    assert "<10" in text and " 2 " not in text
