"""`outreach demo-data`: synthetic residents played through the service itself, enough of
them, varied enough, that every page of the dashboard shows figures; labelled as made up
on every page; the same for the same seed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import TEST_CONFIG
from flask.testing import FlaskClient
from staff_helpers import log_in

from outreach import create_app
from outreach.engine import counter_ids
from outreach.metrics.periods import PERIODS
from outreach.metrics.queries import SPLITS
from outreach.metrics.report import PAGES
from outreach.service.content import Content
from outreach.service.demo import DAYS, DEMO_LOGIN, fill
from outreach.storage import connect

NOW = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)
#: What is compared between two runs: every table the figures are counted from.
COUNTED = ("residents", "events", "activity", "daily_activity", "calls", "callback_hours",
           "callback_refusals", "anonymous_counts")  # fmt: skip


def _rows(folder: Path, seed: int) -> dict[str, list[str]]:
    folder.mkdir()
    path = folder / f"seed{seed}.sqlite3"
    app = create_app(TEST_CONFIG | {"DATABASE": str(path)})
    db = connect(path)
    filled = fill(db, Content(dict(app.config), new_id=counter_ids()), 120, NOW, seed=seed)
    assert filled.residents == 120 and filled.messages > 600 and filled.calls > 0
    return {table: sorted(map(repr, db.execute(f"SELECT * FROM {table}"))) for table in COUNTED}


def test_the_same_seed_plays_the_same_residents(tmp_path: Path) -> None:
    first, again, other = (
        _rows(tmp_path / "a", 7),
        _rows(tmp_path / "b", 7),
        _rows(tmp_path / "c", 8),
    )
    assert first == again
    assert first["activity"] != other["activity"]


def test_residents_write_and_call_through_the_service(demo_database: Path) -> None:
    db = connect(demo_database)
    residents = db.execute("SELECT count(*), min(id), max(id) FROM residents").fetchone()
    # A few erased their data (BORRAR): everything about them is gone.
    assert 2900 <= residents[0] < 3000 and residents[1].startswith("demo-")
    assert residents[2].startswith("demo-")
    days = db.execute("SELECT count(DISTINCT day) FROM activity").fetchone()[0]
    assert days >= DAYS - 5  # over the whole window
    channels = {row[0] for row in db.execute("SELECT DISTINCT channel FROM activity")}
    assert channels == {"sms", "whatsapp", "voice"}
    languages = {row[0] for row in db.execute("SELECT DISTINCT language FROM residents")}
    assert {"es", "en"} <= languages
    departments = db.execute("SELECT count(DISTINCT department) FROM residents").fetchone()[0]
    assert departments == 22
    # Calls, counted by the voice line's own steps and status callbacks.
    calls = db.execute("SELECT count(*), sum(completed), min(seconds), count(DISTINCT flow) "
                       "FROM calls").fetchone()  # fmt: skip
    assert calls[0] > 200 and calls[1] == calls[0] and calls[2] > 0 and calls[3] >= 5
    # Missed calls called back through the queue, which keeps no number once placed.
    outcomes = dict(db.execute("SELECT outcome, sum(count) FROM callback_hours GROUP BY 1"))
    assert outcomes["placed"] == outcomes["queued"] > 50
    refused = dict(db.execute("SELECT reason, sum(count) FROM callback_refusals GROUP BY 1"))
    assert set(refused) == {"not_a_number", "queued"}
    assert db.execute("SELECT count(*) FROM callback_queue").fetchone()[0] == 0
    db.conn.close()
    for name in (demo_database.name, demo_database.name + "-wal"):
        file = demo_database.parent / name
        if file.exists():
            assert b"+5025555" not in file.read_bytes(), name


@pytest.fixture(scope="module")
def demo_staff(demo_database: Path) -> FlaskClient:
    app = create_app(TEST_CONFIG | {"DATABASE": str(demo_database)})
    client = app.test_client()
    assert log_in(client, *DEMO_LOGIN) == 302
    return client


@pytest.mark.parametrize(
    ("split", "days"), [("all", 90)] + [(split, 30) for split in ("all", *SPLITS)]
)
def test_every_page_shows_figures(demo_staff: FlaskClient, split: str, days: int) -> None:
    """Whatever the split, each table of each page shows figures, over the default 30
    days and over the whole window: not one table is all hidden (split by a period, not one
    page: the first and last periods are partly outside the range), and unsplit, not two
    thirds of one (rare events split by department or by day may well be mostly too few
    to show, and so may the programmes of a single town)."""
    since = datetime.now(UTC).date().toordinal() - days + 1
    range_ = {"since": datetime.fromordinal(since).date().isoformat(), "split": split}
    for page in PAGES:
        rows = demo_staff.get("/dashboard/export.json", query_string=range_ | {"page": page})
        assert rows.status_code == 200
        tables: dict[str, list[object]] = {}
        for row in rows.get_json():
            hidden = row["suppressed"]
            tables.setdefault(str(row["table"]), []).append(None if hidden else row["value"])
        assert len(tables) >= 2, page
        assert any(v is not None and v != 0 for values in tables.values() for v in values), page
        for table, values in tables.items():
            shown = [v for v in values if v is not None]
            if split in PERIODS:
                continue  # how much of a table by month shows depends on the day of the run
            assert any(shown), f"{page} {table} split by {split}: nothing shown"
            if split == "all":
                assert len(shown) >= len(values) / 3, f"{page} {table}: mostly hidden"


def test_every_page_says_the_figures_are_made_up(demo_staff: FlaskClient) -> None:
    from outreach.web.dashboard import DEMO_WARNING

    app = demo_staff.application
    addresses = [rule.rule for rule in app.url_map.iter_rules()
                 if rule.rule.startswith("/dashboard") and "GET" in (rule.methods or ())
                 and not rule.arguments and "export" not in rule.rule
                 and rule.endpoint != "auth.login"]  # fmt: skip
    addresses += [f"/dashboard/{page}" for page in PAGES if page != "overview"]
    assert "/dashboard/staff" in addresses
    for address in addresses:
        html = demo_staff.get(address, query_string={"ui": "en"}).get_data(as_text=True)
        assert DEMO_WARNING in html, address
