"""The migrations are history: each builds what it built the day it was written."""

from __future__ import annotations

from pathlib import Path

import pytest

from outreach.storage import activity, connect


def schema(path: Path) -> list[tuple[str, str, str]]:
    """Every table, index and view the migrations create, with its SQL."""
    db = connect(path, migrate=True)
    rows = db.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name"
    ).fetchall()
    db.conn.close()
    return [tuple(row) for row in rows]


def test_changing_todays_activity_sql_changes_nothing_the_migrations_create(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_built = schema(tmp_path / "before.sqlite3")
    assert any(kind == "view" and name == "activity" for kind, name, _ in as_built)
    # Valid SQL, only different: what a later change of the living definition could be.
    for name in ("ACTIVITY_OF_EVENTS", "RESIDENT_DAYS_OF_EVENTS"):
        changed = getattr(activity, name).replace("'unknown'", "'not given'")
        monkeypatch.setattr(activity, name, changed)
    assert schema(tmp_path / "after.sqlite3") == as_built


def test_the_view_reads_todays_events_as_the_rollup_closes_them(tmp_path: Path) -> None:
    """The rollup closes a day with today's definition, the view shows today with its
    own copy: while they agree, a day's figures are the same before and after it closes.
    Changing the definition needs a migration that recreates the view."""
    view = dict(((kind, name), sql) for kind, name, sql in schema(tmp_path / "db.sqlite3"))
    sql = view["view", "activity"]
    assert f"SELECT {activity.ACTIVITY_OF_EVENTS} " in sql
    assert sql.endswith(f"SELECT {activity.RESIDENT_DAYS_OF_EVENTS}")
