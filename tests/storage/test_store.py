"""The store on a real SQLite file: schema, WAL, status order, erasure, retention."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from outreach.engine import Session
from outreach.engine import events as ev
from outreach.service.turn_log import turn_rows
from outreach.storage import Store, connect, immediate
from outreach.storage.connection import LOCK_WAIT_SECONDS
from outreach.storage.migrations import MIGRATIONS
from outreach.storage.residents import PROCESSED_RETENTION, AlreadyProcessed

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def test_schema_is_created_by_migrations_and_uses_wal(tmp_path: Path) -> None:
    db = connect(tmp_path / "db.sqlite3", migrate=True)
    assert [m.name for m in MIGRATIONS.applied(db)] == [
        "m001_create_tables",
        "m002_lighter_turns_and_unlinked_deliveries",
        "m003_anonymous_counts",
        "m004_daily_aggregates",
        "m005_staff",
        "m006_referred_programme",
        "m007_events_by_kind_and_time",
        "m008_daily_activity",
        "m009_resident_days",
        "m010_unindexed_log",
        "m011_staff_sessions",
        "m012_login_throttle",
        "m014_resident_department",
        "m015_calls",
        "m016_callbacks",
        "m019_outbox",
        "m017_alert_subscriptions",
        "m018_alerts",
        "m020_twilio_forget",
        "m023_call_residents",
        "m022_reminders",
        "m021_outbox_by_alert",
        "m024_alert_tallies",
    ]
    assert set(db.table_names()) >= {
        "residents",
        "events",
        "processed_messages",
        "outbound_messages",
    }
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"
    # Each index on the log would cost every turn a page write; readers scan it whole.
    assert db.table("events").indexes == []
    applied_once = len(MIGRATIONS.applied(db))
    connect(tmp_path / "db.sqlite3", migrate=True)  # applying again changes nothing
    assert len(MIGRATIONS.applied(db)) == applied_once
    for name in ("db.sqlite3", "db.sqlite3-wal", "db.sqlite3.lock"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name


def test_a_database_made_by_the_first_schema_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old = connect(path)
    old.conn.execute("PRAGMA journal_mode=WAL")
    MIGRATIONS.apply(old, stop_before="m002_lighter_turns_and_unlinked_deliveries")
    old.table("outbound_messages").insert(
        {"id": "m1", "resident": "r1", "status": "sent", "error_code": None, "updated_at": "x"}
    )
    assert "idx_processed_messages_received_at" in {
        index.name for index in old.table("processed_messages").indexes
    }
    db = connect(path, migrate=True)
    assert "idx_processed_messages_received_at" not in {
        index.name for index in db.table("processed_messages").indexes
    }
    assert db.table("outbound_messages").get("m1")["resident"] is None


def test_a_failed_turn_writes_nothing(tmp_path: Path) -> None:
    db = connect(tmp_path / "db.sqlite3", migrate=True)
    store = Store(db)
    try:
        with immediate(db):
            store.save_turn(turn_rows("r1", Session("es"), [], "sms", "m1", ["hola"], [], NOW))
            raise RuntimeError("the machine stops here")
    except RuntimeError:
        pass
    assert db.table("residents").count == 0
    assert store.processed_reply("m1") is None


def test_a_turn_is_written_only_over_the_session_it_was_worked_out_from(tmp_path: Path) -> None:
    db = connect(tmp_path / "db.sqlite3", migrate=True)
    store = Store(db)

    def save(stored: str | None, message_id: str, language: str, reply: str) -> bool:
        rows = turn_rows("r1", Session(language), [], "sms", message_id, [reply], [], NOW)
        return store.save_turn_if_unchanged(stored, rows)

    def table_counts() -> list[int]:
        return [db.table(name).count for name in ("residents", "events", "processed_messages")]

    with immediate(db):
        assert save(None, "m1", "es", "a")  # never seen, and still not: written
    stored = store.turn_state("m2", "r1")[1]
    before = table_counts()
    with immediate(db):
        assert not save(None, "m2", "en", "b")  # someone got in first: nothing written
        assert not save('{"other": 1}', "m2", "en", "b")
        erasing = [ev.ErasureRequested(NOW)]
        rows = turn_rows("r1", Session("en"), erasing, "sms", "m2", ["b"], [], NOW)
        assert not store.save_turn_if_unchanged(stored, rows)  # erasures take the long way
    assert table_counts() == before and store.processed_reply("m2") is None
    with pytest.raises(AlreadyProcessed), immediate(db):
        save(stored, "m1", "en", "c")  # a retry over the same session: rolled back whole
    assert table_counts() == before and store.turn_state("m1", "r1") == (["a"], stored)
    with immediate(db):
        assert save(stored, "m2", "en", "b")
    assert store.processed_reply("m2") == ["b"] and table_counts()[1] == before[1] + 1


def test_processed_ids_are_forgotten_after_the_retention(tmp_path: Path) -> None:
    db = connect(tmp_path / "db.sqlite3", migrate=True)
    store = Store(db)
    with immediate(db):
        store.save_turn(turn_rows("r1", Session("es"), [], "sms", "old", ["a"], [], NOW))
    later = NOW + PROCESSED_RETENTION + timedelta(minutes=1)
    with immediate(db):
        store.save_turn(turn_rows("r1", Session("es"), [], "sms", "new0", ["b"], [], later))
    assert store.processed_reply("old") is None
    assert store.processed_reply("new0") == ["b"]


def test_statuses_never_go_backwards(tmp_path: Path) -> None:
    db = connect(tmp_path / "db.sqlite3", migrate=True)
    store = Store(db)
    for status in ["read", "sent", "delivered", "queued"]:
        store.record_status("m", status, None, NOW)
    assert db.table("outbound_messages").get("m")["status"] == "read"
    store.record_status("n", "failed", 30003, NOW)
    store.record_status("n", "sent", None, NOW)
    row = db.table("outbound_messages").get("n")
    assert (row["status"], row["error_code"]) == ("failed", 30003)
    store.record_status("o", "undelivered", 30003, NOW)
    store.record_status("o", "delivered", None, NOW)  # the error went with its status
    row = db.table("outbound_messages").get("o")
    assert (row["status"], row["error_code"], row["resident"]) == ("delivered", None, None)


def test_erasure_keeps_only_an_opt_out(tmp_path: Path) -> None:
    db = connect(tmp_path / "db.sqlite3", migrate=True)
    store = Store(db)
    with immediate(db):
        store.save_turn(
            turn_rows(
                "r1",
                Session("es", fields={"department": "Petén"}),
                [ev.HelpRequested(NOW)],
                "sms",
                "m1",
                ["x"],
                [],
                NOW,
            )
        )
    quiet = Session("es", opted_out=True)
    with immediate(db):
        store.save_turn(
            turn_rows("r1", quiet, [ev.ErasureRequested(NOW)], "sms", "m2", ["x"], [], NOW)
        )
    assert db.table("events").count == 0
    # Only the erasure's own message id, linked to no one, so that a retry changes nothing.
    assert [(r["id"], r["resident"]) for r in db.table("processed_messages").rows] == [("m2", None)]
    row = db.table("residents").get("r1")
    assert row["opted_out"] == 1 and "Petén" not in row["session"]


def test_the_busy_handler_is_on_again_after_each_write(tmp_path: Path) -> None:
    """Off while a transaction waits for and holds the write lock, on for everything else
    the connection does (a reader can meet a lock in WAL mode too, rarely)."""
    db = connect(tmp_path / "db.sqlite3", migrate=True)
    with immediate(db, queued=True):
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 0
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == LOCK_WAIT_SECONDS * 1000
    with pytest.raises(RuntimeError), immediate(db):
        raise RuntimeError("a failed write")
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == LOCK_WAIT_SECONDS * 1000
