"""The department figures come from one named field: storage SQL never names a field
of the session (the service gives storage the department's value)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

import outreach.storage
from outreach.engine import Session
from outreach.engine import events as ev
from outreach.metrics.rollup import close_days
from outreach.service import turn_log
from outreach.storage import Store, connect, immediate

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
STORAGE = Path(outreach.storage.__file__).parent


def test_no_living_storage_sql_reads_a_field_out_of_the_session() -> None:
    # The migrations are history: what they read then, they read (see test_migrations.py).
    for path in sorted(STORAGE.glob("*.py")):
        if path.name != "migrations.py":
            found = re.findall(r"\$\.fields\b[.\w]*", path.read_text(encoding="utf-8"))
            assert found == [], f"{path.name} reads {found} from the session's JSON"


def departments(db: object, table: str) -> list[tuple[str, str]]:
    return db.execute(  # type: ignore[attr-defined, no-any-return]
        f"SELECT kind, department FROM {table} WHERE kind IN ('msg_received', 'resident_day')"
        " ORDER BY kind"
    ).fetchall()


def test_the_department_is_the_field_the_service_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deployment whose department question saved another field: today's figures and
    the closed days follow the field the service names, in one place."""
    monkeypatch.setattr(turn_log, "DEPARTMENT_FIELD", "region")
    db = connect(tmp_path / "db.sqlite3", migrate=True)
    session = Session("es", fields={"region": "Petén", "department": "not this one"})
    rows = turn_log.turn_rows("r1", session, [ev.HelpRequested(NOW)], "sms", "m1", ["x"], [], NOW)
    with immediate(db):
        Store(db).save_turn(rows)
    today = [("msg_received", "Petén"), ("resident_day", "Petén")]
    assert departments(db, "activity") == today
    close_days(db, date(2026, 11, 29))
    assert departments(db, "daily_activity") == today
    assert departments(db, "activity") == today


def test_a_resident_who_gave_no_department_counts_as_unknown(tmp_path: Path) -> None:
    db = connect(tmp_path / "db.sqlite3", migrate=True)
    rows = turn_log.turn_rows("r1", Session("es"), [], "sms", "m1", ["x"], [], NOW)
    with immediate(db):
        Store(db).save_turn(rows)
    assert departments(db, "activity") == [("msg_received", "unknown"), ("resident_day", "unknown")]


def test_a_database_from_before_keeps_its_residents_departments(tmp_path: Path) -> None:
    from outreach.storage.migrations import MIGRATIONS

    path = tmp_path / "old.sqlite3"
    old = connect(path)
    MIGRATIONS.apply(old, stop_before="m014_resident_department")
    old.table("residents").insert(
        {"id": "r1", "language": "es", "opted_out": 0, "first_seen_on": "2026-11-28",
         "updated_at": NOW.isoformat(),
         "session": '{"language": "es", "fields": {"department": "Petén"}}'}
    )  # fmt: skip
    old.table("events").insert(
        {"resident": "r1", "at": NOW.isoformat(), "kind": "msg_received", "language": "es",
         "channel": "sms"}
    )  # fmt: skip
    db = connect(path, migrate=True)
    assert db.table("residents").get("r1")["department"] == "Petén"
    assert departments(db, "activity") == [("msg_received", "Petén"), ("resident_day", "Petén")]


def test_a_resident_forgotten_for_silence_keeps_no_department(tmp_path: Path) -> None:
    from outreach.storage.residents import forget_silent_residents

    db = connect(tmp_path / "db.sqlite3", migrate=True)
    stopped = Session("es", fields={"department": "Petén"}, opted_out=True)
    rows = turn_log.turn_rows("r1", stopped, [], "sms", "m1", ["x"], [], NOW)
    with immediate(db):
        Store(db).save_turn(rows)
    assert db.table("residents").get("r1")["department"] == "Petén"
    with immediate(db):
        assert forget_silent_residents(db, "2026-12-31") == 1
    row = db.table("residents").get("r1")
    assert (row["opted_out"], row["department"]) == (1, None)
