"""Alerts going out, on a real SQLite file, through the real sender and the service's one
REST client to the fake Twilio on 127.0.0.1 (the only thing mocked): the fan-out at the
send time, one message per subscriber in their language (or the Spanish), WhatsApp's
window and template, quiet hours, the weekly limit, 21610, replies first, cancel."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import PUBLIC_URL, TEST_CONFIG
from fake_twilio import FakeTwilio
from sqlite_utils import Database

from outreach.engine.session import Session
from outreach.privacy import keyed_id
from outreach.service.addresses import AddressBox
from outreach.service.alert_sending import OutboxTask, SendingKeys, cancel, fan_out
from outreach.service.alerts import AlertError
from outreach.settings import load_settings
from outreach.storage import alerts as st
from outreach.storage import connect, immediate
from outreach.storage import outbox as ob
from outreach.storage.subscriptions import SubscriptionRow, subscribe

#: 15:00 UTC is 09:00 in Guatemala (UTC-6, no summer time): outside the quiet hours.
NOW = datetime(2026, 12, 3, 15, tzinfo=UTC)
SMS_FROM = "+50255550199"
WHATSAPP_FROM = "whatsapp:+50255550198"
TEMPLATE = "HX" + "1" * 32
TEXTS = {"es": "Aviso de prueba: nadie del consulado cobra citas.",
         "en": "Test notice: the consulate never charges for appointments."}  # fmt: skip


def number(n: int) -> str:
    return f"+5025555{n:04d}"


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return connect(tmp_path / "db.sqlite3", migrate=True)


def settings(tmp_path: Path, fake: FakeTwilio, **extra: Any) -> dict[str, Any]:
    return load_settings(
        {},
        TEST_CONFIG | fake.config() | {
            "DATABASE": str(tmp_path / "db.sqlite3"), "INSTANCE_DIR": str(tmp_path),
            "SMS_FROM": SMS_FROM, "WHATSAPP_FROM": WHATSAPP_FROM,
            "SMS_RATE": 200, "WHATSAPP_RATE": 200,
        } | extra,
    )  # fmt: skip


def keys(alerts_key: str = str(TEST_CONFIG["ALERTS_KEY"])) -> SendingKeys:
    key = str(TEST_CONFIG["PSEUDONYM_KEY"]).encode()
    return SendingKeys(lambda value, purpose: keyed_id(key, value, purpose),
                       AddressBox(alerts_key.encode()))  # fmt: skip


def task_of(tmp_path: Path, config: dict[str, Any], alerts_key: str | None = None) -> OutboxTask:
    return OutboxTask(tmp_path / "db.sqlite3", config, keys(alerts_key) if alerts_key else keys())


def subscriber(
    db: Database, n: int, *, language: str = "es", channel: str = "sms",
    department: str = "Quiché", topic: str = "scams", seen: datetime | None = None,
) -> str:  # fmt: skip
    """Resident r-NN, subscribed with the number +502 5555 00NN, sealed as the webhook
    seals it; ``seen``: their last message (the session's last_seen)."""
    resident = f"r-{n:02d}"
    address = number(n) if channel == "sms" else f"whatsapp:{number(n)}"
    box = AddressBox(str(TEST_CONFIG["ALERTS_KEY"]).encode())
    nonce, sealed = box.seal(address, resident, channel)
    with immediate(db):
        subscribe(db, SubscriptionRow(resident, topic, department, language, channel, sealed,
                                      nonce, NOW.date().isoformat()))  # fmt: skip
        session = Session(language=language, language_chosen=True, last_seen=seen)
        db.conn.execute(
            "INSERT OR REPLACE INTO residents (id, language, opted_out, session, first_seen_on,"
            " updated_at) VALUES (?, ?, 0, ?, ?, ?)",
            (resident, language, json.dumps(session.to_dict()), NOW.date().isoformat(),
             NOW.isoformat()),
        )  # fmt: skip
    return resident


def approved_alert(
    db: Database, *, topic: str = "scams", departments: tuple[str, ...] | None = ("Quiché",),
    send_at: datetime = NOW - timedelta(minutes=1), content_sid: str | None = None,
    texts: dict[str, str] = TEXTS, review_by: str = "2027-01-03",
) -> int:  # fmt: skip
    with immediate(db):
        alert_id = st.insert_alert(
            db, topic=topic, departments=departments, texts=texts,
            source="Consulado, comunicado de prueba", verified_on="2026-12-01",
            review_by=review_by, send_at=send_at.isoformat(), content_sid=content_sid,
            created_by="ana", now=NOW - timedelta(days=1),
        )  # fmt: skip
        assert st.set_approved(db, alert_id, "bea", NOW - timedelta(days=1))
    return alert_id


def run(task: OutboxTask, now: datetime = NOW, rounds: int = 40) -> None:
    """The worker's loop, by hand: until a pass does nothing."""
    task.start()
    for _ in range(rounds):
        if not task.run_once(now):
            return
    raise AssertionError("the task still had work")


def states(db: Database, alert_id: int) -> dict[str, int]:
    """An alert's messages by the outbox's state (not by Twilio's status)."""
    return {k: n for k, n in ob.alert_counts(db, alert_id).items() if ":" not in k}


def received(fake: FakeTwilio) -> list[dict[str, str]]:
    return [m.form for m in fake.messages]


def test_an_approved_alert_goes_once_to_each_subscriber_in_their_language(
    db: Database, tmp_path: Path, fake_twilio: FakeTwilio
) -> None:
    subscriber(db, 1)
    subscriber(db, 2, language="en")
    subscriber(db, 3, language="mam")  # no Mam text: the reviewed Spanish, never a guess
    subscriber(db, 4, department="Petén")  # not in the alert's departments
    subscriber(db, 5, topic="job_fairs")  # another topic
    alert_id = approved_alert(db)
    later = approved_alert(db, send_at=NOW + timedelta(hours=1))  # not yet
    task = task_of(tmp_path, settings(tmp_path, fake_twilio))
    run(task)
    got = sorted((m["To"], m["Body"]) for m in received(fake_twilio))
    assert got == [(number(1), TEXTS["es"]), (number(2), TEXTS["en"]), (number(3), TEXTS["es"])]
    assert {m["From"] for m in received(fake_twilio)} == {SMS_FROM}
    # Statuses come back to the service's own route (outreach.web.twilio /twilio/status).
    assert {m["StatusCallback"] for m in received(fake_twilio)} == {PUBLIC_URL + "/twilio/status"}
    assert all(r.authorized for r in fake_twilio.requests)
    assert st.alert(db, alert_id).state == "sent"  # type: ignore[union-attr]
    assert st.alert(db, later).state == "approved"  # type: ignore[union-attr]
    assert states(db, alert_id) == {"sent": 3}
    # Again, and again later: nothing is sent twice.
    run(task)
    run(task, NOW + timedelta(minutes=5))
    assert len(fake_twilio.messages) == 3 + 0 + 0  # the later alert has no subscriber yet


def test_a_fan_out_started_again_doubles_nothing(db: Database) -> None:
    for n in range(1, 6):
        subscriber(db, n)
    alert_id = approved_alert(db)
    assert fan_out(db, NOW) == 5
    assert st.alert(db, alert_id).state == "sending"  # type: ignore[union-attr]
    assert fan_out(db, NOW) == 0
    # As if a worker had died after the commit and the next one queued it again.
    with immediate(db):
        again = ob.enqueue_alert(db, alert_id, "scams", [(f"r-{n:02d}", "es", "sms")
                                                         for n in range(1, 6)], NOW)  # fmt: skip
    assert again == 0
    assert states(db, alert_id) == {"queued": 5}


def test_an_alert_whose_review_date_passed_is_not_sent(db: Database) -> None:
    subscriber(db, 1)
    alert_id = approved_alert(db, review_by=NOW.date().isoformat())
    assert fan_out(db, NOW) == 0
    assert st.alert(db, alert_id).state == "canceled"  # type: ignore[union-attr]
    assert ob.counts(db) == {}


def test_whatsapp_free_text_in_the_window_else_the_template_else_nothing(
    db: Database, tmp_path: Path, fake_twilio: FakeTwilio
) -> None:
    subscriber(db, 1, channel="whatsapp", seen=NOW - timedelta(hours=2))
    subscriber(db, 2, channel="whatsapp", language="en", seen=NOW - timedelta(hours=30))
    subscriber(db, 3, channel="whatsapp")  # never seen: outside
    with_template = approved_alert(db, content_sid=TEMPLATE)
    task = task_of(tmp_path, settings(tmp_path, fake_twilio))
    run(task)
    by_number = {m["To"]: m for m in received(fake_twilio)}
    assert set(by_number) == {f"whatsapp:{number(n)}" for n in (1, 2, 3)}
    inside = by_number[f"whatsapp:{number(1)}"]
    assert inside["Body"] == TEXTS["es"] and "ContentSid" not in inside
    assert inside["From"] == WHATSAPP_FROM
    outside = by_number[f"whatsapp:{number(2)}"]
    assert outside["ContentSid"] == TEMPLATE and "Body" not in outside
    assert json.loads(outside["ContentVariables"]) == {"1": TEXTS["en"]}
    assert st.alert(db, with_template).state == "sent"  # type: ignore[union-attr]

    without = approved_alert(db)
    run(task)
    # Only the one inside the window: the others cannot get free text, and there is
    # no template to send instead.
    assert [m["To"] for m in received(fake_twilio)[3:]] == [f"whatsapp:{number(1)}"]
    reasons = dict(db.conn.execute("SELECT resident, reason FROM outbox WHERE alert = ?"
                                   " AND state = 'canceled'", (without,)).fetchall())  # fmt: skip
    assert reasons == {"r-02": "outside_window", "r-03": "outside_window"}
    assert st.alert(db, without).state == "sent"  # type: ignore[union-attr]


def test_nothing_goes_in_the_quiet_hours_and_it_goes_in_the_morning(
    db: Database, tmp_path: Path, fake_twilio: FakeTwilio
) -> None:
    subscriber(db, 1)
    night = datetime(2026, 12, 3, 5, tzinfo=UTC)  # 23:00 in Guatemala
    alert_id = approved_alert(db, send_at=night - timedelta(minutes=1))
    task = task_of(tmp_path, settings(tmp_path, fake_twilio))
    run(task, night)
    run(task, night + timedelta(hours=7, minutes=59))  # 06:59
    assert fake_twilio.messages == []
    assert st.alert(db, alert_id).state == "sending"  # type: ignore[union-attr]
    run(task, night + timedelta(hours=8))  # 07:00
    assert [m["To"] for m in received(fake_twilio)] == [number(1)]
    assert st.alert(db, alert_id).state == "sent"  # type: ignore[union-attr]


def test_the_weekly_limit_holds(db: Database, tmp_path: Path, fake_twilio: FakeTwilio) -> None:
    subscriber(db, 1)
    task = task_of(tmp_path, settings(tmp_path, fake_twilio, ALERTS_PER_WEEK=2))
    for day in range(3):
        approved_alert(db, send_at=NOW + timedelta(days=day) - timedelta(minutes=1))
        run(task, NOW + timedelta(days=day))
    assert len(fake_twilio.messages) == 2
    (reason,) = db.conn.execute("SELECT reason FROM outbox WHERE state = 'canceled'").fetchone()
    assert reason == "weekly_limit"
    # A week after the first, one more may go.
    approved_alert(db, send_at=NOW + timedelta(days=7, minutes=1))
    run(task, NOW + timedelta(days=7, minutes=2))
    assert len(fake_twilio.messages) == 3


def test_21610_stops_every_further_send_to_that_resident(
    db: Database, tmp_path: Path, fake_twilio: FakeTwilio
) -> None:
    subscriber(db, 1)
    subscriber(db, 1, topic="job_fairs")
    first = approved_alert(db)
    second = approved_alert(db, topic="job_fairs", departments=None)
    fake_twilio.fail_next(400, 21610)
    run(task_of(tmp_path, settings(tmp_path, fake_twilio)))
    # One request, refused (opted out at the carrier); the other alert never asked for.
    assert len([r for r in fake_twilio.requests if r.path.endswith("/Messages.json")]) == 1
    assert fake_twilio.messages == []
    rows = db.conn.execute("SELECT state, error_code, reason FROM outbox ORDER BY id").fetchall()
    assert sorted(rows, key=str) == sorted(
        [("failed", 21610, "refused"), ("canceled", None, "opted_out")], key=str
    )
    for alert_id in (first, second):
        assert st.alert(db, alert_id).state == "sent"  # type: ignore[union-attr]
    # Opted out as by BAJA: a later alert is not even queued for them.
    (opted_out,) = db.conn.execute("SELECT opted_out FROM residents WHERE id = 'r-01'").fetchone()
    assert opted_out == 1
    third = approved_alert(db)
    run(task_of(tmp_path, settings(tmp_path, fake_twilio)))
    assert states(db, third) == {}


def test_a_reply_goes_ahead_of_a_queued_alert(
    db: Database, tmp_path: Path, fake_twilio: FakeTwilio
) -> None:
    for n in range(1, 6):
        subscriber(db, n)
    approved_alert(db)
    assert fan_out(db, NOW) == 5
    box = AddressBox(str(TEST_CONFIG["ALERTS_KEY"]).encode())
    nonce, sealed = box.seal(number(9), "r-09", "sms")
    with immediate(db):
        ob.enqueue_reply(
            db, key="reply:1", resident="r-09", channel="sms", language="es",
            text_key="system/danger", address=sealed, nonce=nonce, now=NOW,
        )  # fmt: skip
    run(task_of(tmp_path, settings(tmp_path, fake_twilio)))
    got = received(fake_twilio)
    assert len(got) == 6
    assert got[0]["To"] == number(9) and got[0]["Body"].startswith("En peligro, llame ya")


def test_a_subscription_ended_before_its_turn_is_not_sent(
    db: Database, tmp_path: Path, fake_twilio: FakeTwilio
) -> None:
    subscriber(db, 1)
    subscriber(db, 2)
    alert_id = approved_alert(db)
    fan_out(db, NOW)
    with immediate(db):
        db.conn.execute("DELETE FROM subscriptions WHERE resident = 'r-02'")  # ALERTAS NO
    run(task_of(tmp_path, settings(tmp_path, fake_twilio)))
    assert [m["To"] for m in received(fake_twilio)] == [number(1)]
    assert states(db, alert_id) == {"sent": 1, "canceled": 1}


def test_cancel_an_alert_before_and_while_it_goes_out(db: Database) -> None:
    from outreach import staff

    for name in ("ana", "bea"):
        staff.add(db, name, "a long password for " + name, "admin", NOW)
    for n in range(1, 4):
        subscriber(db, n)
    draft = approved_alert(db)
    assert cancel(db, draft, "ana", NOW) == ("approved", 0)
    going = approved_alert(db)
    fan_out(db, NOW)  # the first one is canceled: only this one goes out
    with immediate(db):
        claimed = ob.claim(db, NOW, "sms", alerts=True, weekly_limit=2)  # being sent
    assert claimed is not None
    assert cancel(db, going, "bea", NOW) == ("sending", 2)
    assert states(db, going) == {"sending": 1, "canceled": 2}
    with pytest.raises(AlertError, match="nothing to cancel"):
        cancel(db, going, "bea", NOW)
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions[-2:] == ["alert_cancel", "alert_cancel"]


def test_the_wrong_alerts_key_stops_the_sender_and_loses_nothing(
    db: Database, tmp_path: Path, fake_twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    subscriber(db, 1)
    alert_id = approved_alert(db)
    task = task_of(tmp_path, settings(tmp_path, fake_twilio), "another-alerts-key-of-32-bytes!!")
    task.start()
    task.run_once(NOW)
    assert task.run_once(NOW) is False
    assert fake_twilio.requests == []
    assert "OUTREACH_ALERTS_KEY" in caplog.text
    # Queued again, for the right key.
    assert states(db, alert_id) == {"queued": 1}
    run(task_of(tmp_path, settings(tmp_path, fake_twilio)))
    assert [m["To"] for m in received(fake_twilio)] == [number(1)]


def test_without_twilio_or_a_sender_nothing_is_queued(
    db: Database, tmp_path: Path, fake_twilio: FakeTwilio
) -> None:
    subscriber(db, 1)
    alert_id = approved_alert(db)
    config = settings(tmp_path, fake_twilio, SMS_FROM="", WHATSAPP_FROM="")
    assert task_of(tmp_path, config).run_once(NOW) is False
    assert st.alert(db, alert_id).state == "approved"  # type: ignore[union-attr]
    assert ob.counts(db) == {}


def test_lanes_side_by_side_send_each_message_once(
    db: Database, tmp_path: Path, fake_twilio: FakeTwilio
) -> None:
    for n in range(1, 41):
        subscriber(db, n)
    alert_id = approved_alert(db)
    fake_twilio.delay(0.01)  # each lane waits for its answer while the others send
    config = settings(tmp_path, fake_twilio, TWILIO_API_CONNECTIONS=4)
    task = task_of(tmp_path, config)
    run(task)
    assert len(task.lanes) == 4
    numbers = [m["To"] for m in received(fake_twilio)]
    assert sorted(numbers) == [number(n) for n in range(1, 41)]  # each once
    assert states(db, alert_id) == {"sent": 40}
    assert st.alert(db, alert_id).state == "sent"  # type: ignore[union-attr]
