"""The outbox's rows on a real SQLite file: enqueueing once, claiming in order, the
weekly limit, opt-outs, states that never go back, recovery after a crash, erasure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from outreach.storage import Store, connect, immediate
from outreach.storage import outbox as ob

NOW = datetime(2026, 12, 3, 15, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return connect(tmp_path / "db.sqlite3", migrate=True)


def _reply(db: Database, key: str, resident: str = "r-1", channel: str = "sms") -> bool:
    with immediate(db):
        return ob.enqueue_reply(
            db, key=key, resident=resident, channel=channel, language="es",
            text_key="system/help", address=b"sealed", nonce=b"n" * 12, now=NOW,
        )  # fmt: skip


def _claim(db: Database, now: datetime = NOW, **kw: object) -> ob.OutboxRow | None:
    options: dict[str, object] = {"alerts": True, "weekly_limit": 2, **kw}
    channel = str(options.pop("channel", "sms"))
    with immediate(db):
        return ob.claim(db, now, channel, **options)  # type: ignore[arg-type]


def _state(db: Database, row_id: int) -> str:
    return str(db.execute("SELECT state FROM outbox WHERE id = ?", [row_id]).fetchone()[0])


def test_a_message_is_queued_once_however_often_it_is_enqueued(db: Database) -> None:
    assert _reply(db, "reply:1")
    assert not _reply(db, "reply:1")
    with immediate(db):
        first = [("r-1", "es", "sms"), ("r-2", "en", "sms")]
        assert ob.enqueue_alert(db, 7, "scams", first, NOW) == 2
        # A fan-out started again after a crash adds only whom it had not reached.
        again = [("r-2", "en", "sms"), ("r-3", "es", "sms")]
        assert ob.enqueue_alert(db, 7, "scams", again, NOW) == 1
    assert ob.counts(db) == {"queued": 4}


def test_the_outbox_keeps_no_address_or_text_in_clear(db: Database) -> None:
    _reply(db, "reply:1")
    with immediate(db):
        ob.enqueue_alert(db, 7, "scams", [("r-2", "es", "whatsapp")], NOW)
    columns = {c.name for c in db.table("outbox").columns}
    assert not columns & {"to", "number", "phone", "body", "text"}
    rows = list(db.table("outbox").rows)
    assert [r["address"] for r in rows] == [b"sealed", None]
    assert [(r["alert"], r["text_key"]) for r in rows] == [(None, "system/help"), (7, None)]


def test_replies_go_ahead_of_alerts_and_each_channel_is_claimed_apart(db: Database) -> None:
    with immediate(db):
        ob.enqueue_alert(db, 7, "scams", [("r-1", "es", "sms"), ("r-2", "es", "whatsapp")], NOW)
    _reply(db, "reply:1", resident="r-3")
    first, second = _claim(db), _claim(db)
    assert first is not None and second is not None
    assert (first.kind, first.resident, first.attempts) == ("reply", "r-3", 1)
    assert (second.kind, second.resident, second.alert) == ("alert", "r-1", 7)
    assert _claim(db) is None  # the WhatsApp alert waits for the WhatsApp sender
    whatsapp = _claim(db, channel="whatsapp")
    assert whatsapp is not None and whatsapp.resident == "r-2"
    assert ob.counts(db) == {"sending": 3}


def test_in_quiet_hours_only_replies_are_claimed(db: Database) -> None:
    with immediate(db):
        ob.enqueue_alert(db, 7, "scams", [("r-1", "es", "sms")], NOW)
    assert _claim(db, alerts=False) is None
    _reply(db, "reply:1")
    reply = _claim(db, alerts=False)
    assert reply is not None and reply.kind == "reply"
    assert ob.counts(db) == {"queued": 1, "sending": 1}


def test_a_message_is_not_claimed_before_its_next_attempt(db: Database) -> None:
    _reply(db, "reply:1")
    row = _claim(db)
    assert row is not None
    with immediate(db):
        ob.retry_at(db, row.id, NOW + timedelta(seconds=30), 20429, NOW)
    assert _claim(db, NOW + timedelta(seconds=29)) is None
    again = _claim(db, NOW + timedelta(seconds=30))
    assert again is not None and (again.id, again.attempts) == (row.id, 2)


def test_the_weekly_limit_always_holds(db: Database) -> None:
    for alert, day in ((1, 0), (2, 3), (3, 5), (4, 7)):
        with immediate(db):
            ob.enqueue_alert(db, alert, "scams", [("r-1", "es", "sms")], NOW)
        row = _claim(db, NOW + timedelta(days=day), weekly_limit=2)
        if alert == 3:
            # The third in seven days: canceled, not kept for later.
            assert row is None
            assert db.execute("SELECT state, reason FROM outbox WHERE alert = 3").fetchone() == (
                "canceled",
                "weekly_limit",
            )
        else:
            assert row is not None and row.alert == alert
            with immediate(db):
                ob.mark_sent(db, row.id, f"m-{alert}", NOW + timedelta(days=day))
    # On day 7 the first alert is a week old: one of two in the week, and the fourth goes.
    assert ob.counts(db) == {"sent": 3, "canceled": 1}


def test_a_message_is_canceled_for_a_resident_who_opted_out(db: Database) -> None:
    _reply(db, "reply:1")
    db.execute(
        "INSERT INTO residents (id, language, opted_out, session, updated_at)"
        " VALUES ('r-1', 'es', 1, '{}', ?)", [NOW.isoformat()],
    )  # fmt: skip
    assert _claim(db) is None
    assert db.execute("SELECT state, reason FROM outbox").fetchone() == ("canceled", "opted_out")


def test_a_stopped_resident_gets_nothing_more(db: Database) -> None:
    _reply(db, "reply:1")
    _reply(db, "reply:2", resident="r-2")
    with immediate(db):
        assert ob.stop_resident(db, "r-1", "21610", NOW) == 1
    row = _claim(db)
    assert row is not None and row.resident == "r-2"
    assert _claim(db) is None


def test_a_crashed_senders_rows_become_unknown_and_are_never_claimed_again(
    db: Database,
) -> None:
    _reply(db, "reply:1")
    row = _claim(db)
    assert row is not None
    with immediate(db):
        assert ob.recover(db, NOW) == 1
    assert _state(db, row.id) == "unknown"
    assert _claim(db, NOW + timedelta(days=1)) is None
    # A late answer of the crashed sender changes nothing either.
    with immediate(db):
        ob.mark_sent(db, row.id, "m-1", NOW)
        ob.retry_at(db, row.id, NOW, None, NOW)
    assert _state(db, row.id) == "unknown"


def test_status_callbacks_keep_the_furthest_status(db: Database) -> None:
    _reply(db, "reply:1")
    row = _claim(db)
    assert row is not None
    with immediate(db):
        ob.mark_sent(db, row.id, "m-1", NOW)
        assert ob.record_status(db, "m-1", "delivered", None, NOW) == "r-1"
        assert ob.record_status(db, "m-1", "sent", None, NOW) == "r-1"
        assert ob.record_status(db, "m-unknown", "sent", None, NOW) is None
    assert db.execute("SELECT state, status FROM outbox").fetchone() == ("sent", "delivered")


def test_erasure_and_pruning_remove_rows(db: Database) -> None:
    _reply(db, "reply:1")
    _reply(db, "reply:2", resident="r-2")
    with immediate(db):
        Store(db).erase("r-1")
    assert [r["resident"] for r in db.table("outbox").rows] == ["r-2"]
    row = _claim(db)
    assert row is not None
    with immediate(db):
        ob.mark_sent(db, row.id, "m-2", NOW)
        assert ob.prune(db, NOW + ob.KEEP_FINISHED) == 0
        assert ob.prune(db, NOW + ob.KEEP_FINISHED + timedelta(seconds=1)) == 1
    assert ob.counts(db) == {}
