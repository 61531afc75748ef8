"""Twilio forgets too (issue #18 section 4): with OUTREACH_TWILIO_FORGET=delete every
inbound and outbound message record, and every call record, is deleted at the fake
Twilio once final, through a durable list that holds Twilio's raw sid only until the
deletion succeeds; a `kill -9` of the worker loses no deletion."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import TEST_CONFIG
from fake_twilio import FakeTwilio
from flask import Flask
from sqlite_utils import Database
from twilio_helpers import SERVICE, Phone, post_signed

from outreach import create_app
from outreach.privacy import keyed_id
from outreach.service import forget
from outreach.service.forget import GIVE_UP, SETTLE, ForgetTask, sent_hook
from outreach.service.outbox import OutboxSender, Prepared, QuietHours
from outreach.service.twilio_api import TwilioApi
from outreach.service.worker import default_tasks
from outreach.storage import connect, immediate
from outreach.storage import outbox as ob

KEY = b"a-test-pseudonym-key-of-32-bytes-or-more"
RESIDENT = "+50255550111"
CALL_SID = "CA" + "7" * 32
LIMIT = timedelta(hours=24)


def settings(fake: FakeTwilio, tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    return (
        TEST_CONFIG
        | fake.config()
        | {"DATABASE": str(tmp_path / "outreach.sqlite3"), "TWILIO_FORGET": "delete"}
        | overrides
    )


@pytest.fixture
def app(
    fake_twilio: FakeTwilio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    for key in list(os.environ):
        if key.startswith("OUTREACH_"):
            monkeypatch.delenv(key)
    yield create_app(settings(fake_twilio, tmp_path))


def task(app: Flask) -> ForgetTask:
    return ForgetTask(app.config["DATABASE"], app.config)


def pending(app: Flask) -> dict[str, int]:
    return forget.pending(connect(app.config["DATABASE"]))


def on_disk(app: Flask) -> bytes:
    db_file = Path(app.config["DATABASE"])
    return b"".join(p.read_bytes() for p in db_file.parent.glob(db_file.name + "*") if p.is_file())


def status(app: Flask, sid: str, state: str, to: str = RESIDENT) -> None:
    params = {"MessageSid": sid, "MessageStatus": state, "AccountSid": "AC" + "0" * 32,
              "From": SERVICE, "To": to}  # fmt: skip
    assert post_signed(app.test_client(), "/twilio/status", params).status_code == 200


def test_an_inbound_message_is_deleted_at_twilio_and_its_sid_leaves_the_file(
    app: Flask, fake_twilio: FakeTwilio
) -> None:
    sid = "SM" + "a1" * 16
    assert Phone(app.test_client(), RESIDENT).send("hola", sid).status_code == 200
    assert pending(app) == {"message": 1}
    assert sid.encode() in on_disk(app)  # held until deleted: the check below can see it
    now = datetime.now(UTC)
    # Twilio asks for a minute after a record is final: not before.
    assert task(app).run_once(now) is False
    assert task(app).run_once(now + SETTLE + timedelta(seconds=1)) is True
    assert fake_twilio.deleted == [sid]
    (request,) = [r for r in fake_twilio.requests if r.method == "DELETE"]
    assert request.path.endswith(f"/Messages/{sid}.json") and request.authorized
    assert pending(app) == {}
    assert sid.encode() not in on_disk(app)


def test_without_delete_nothing_is_noted_and_nothing_deleted(
    fake_twilio: FakeTwilio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.startswith("OUTREACH_"):
            monkeypatch.delenv(key)
    kept = create_app(settings(fake_twilio, tmp_path, TWILIO_FORGET="keep"))
    sid = "SM" + "b2" * 16
    assert Phone(kept.test_client(), RESIDENT).send("hola", sid).status_code == 200
    status(kept, "SM" + "c3" * 16, "delivered")
    assert pending(kept) == {}
    assert task(kept).run_once(datetime.now(UTC) + LIMIT * 2) is False
    assert fake_twilio.requests == []
    assert sid.encode() not in on_disk(kept)


def test_a_reply_is_deleted_once_delivered_and_whatsapp_once_read(
    app: Flask, fake_twilio: FakeTwilio
) -> None:
    sms, whatsapp = "SM" + "d4" * 16, "SM" + "e5" * 16
    status(app, sms, "sent")
    status(app, whatsapp, "delivered", to="whatsapp:" + RESIDENT)
    now = datetime.now(UTC)
    assert task(app).run_once(now + SETTLE * 2) is False  # neither is final yet
    status(app, sms, "delivered")
    assert task(app).run_once(datetime.now(UTC) + SETTLE * 2) is True
    assert fake_twilio.deleted == [sms]
    # A WhatsApp message delivered may still be read: it waits for "read".
    status(app, whatsapp, "read", to="whatsapp:" + RESIDENT)
    assert task(app).run_once(datetime.now(UTC) + SETTLE * 2) is True
    assert fake_twilio.deleted == [sms, whatsapp]
    assert pending(app) == {}


def test_a_message_whose_final_status_never_comes_is_deleted_after_the_time_limit(
    app: Flask, fake_twilio: FakeTwilio
) -> None:
    sid = "SM" + "f6" * 16
    status(app, sid, "sent")
    now = datetime.now(UTC)
    assert task(app).run_once(now + LIMIT - timedelta(minutes=5)) is False
    assert task(app).run_once(now + LIMIT + timedelta(minutes=1)) is True
    assert fake_twilio.deleted == [sid]


def test_a_record_not_final_yet_is_tried_again_later_and_404_is_done(
    app: Flask, fake_twilio: FakeTwilio
) -> None:
    first, second = "SM" + "17" * 16, "SM" + "28" * 16
    status(app, first, "delivered")
    status(app, second, "undelivered")
    at = datetime.now(UTC) + SETTLE * 2
    fake_twilio.fail_next(409, 20009)  # "cannot delete this resource before it is complete"
    fake_twilio.fail_next(404, 20404)  # already gone: done
    assert task(app).run_once(at) is True
    assert pending(app) == {"message": 1}
    db = connect(app.config["DATABASE"])
    (attempts,) = db.execute("SELECT attempts FROM twilio_forget").fetchone()
    assert attempts == 1
    assert task(app).run_once(at) is False  # not due again yet
    assert task(app).run_once(at + timedelta(minutes=2)) is True
    assert pending(app) == {}
    assert len([r for r in fake_twilio.requests if r.method == "DELETE"]) == 3


def test_a_throttled_twilio_stops_the_batch_for_later(app: Flask, fake_twilio: FakeTwilio) -> None:
    sids = [f"SM{n:032x}" for n in range(1, 4)]
    for sid in sids:
        status(app, sid, "failed")
    at = datetime.now(UTC) + SETTLE * 2
    fake_twilio.fail_next(429, 20429)
    assert task(app).run_once(at) is True
    assert len(fake_twilio.requests) == 1  # one DELETE, refused: the rest wait
    assert pending(app) == {"message": 3}
    assert task(app).run_once(at + timedelta(hours=1)) is True
    assert sorted(fake_twilio.deleted) == sids


def test_a_record_twilio_never_deletes_is_given_up_after_fifteen_days(
    app: Flask, fake_twilio: FakeTwilio
) -> None:
    status(app, "SM" + "39" * 16, "delivered")
    fake_twilio.fail_next(409, 20009, n=500)
    later = datetime.now(UTC)
    deleting = task(app)
    while pending(app):
        later += timedelta(hours=6, minutes=1)
        deleting.run_once(later)
        assert later < datetime.now(UTC) + GIVE_UP + timedelta(days=1)
    assert fake_twilio.deleted == []


def test_calls_are_deleted_once_completed_and_missed_calls_once_rejected(
    app: Flask, fake_twilio: FakeTwilio
) -> None:
    client = app.test_client()
    params = {"CallSid": CALL_SID, "AccountSid": "AC" + "0" * 32, "From": RESIDENT,
              "To": SERVICE, "CallStatus": "ringing", "Direction": "inbound"}  # fmt: skip
    assert post_signed(client, "/twilio/voice", params).status_code == 200
    assert pending(app) == {"call": 1}
    assert task(app).run_once(datetime.now(UTC) + SETTLE * 2) is False  # in progress
    done = params | {"CallStatus": "completed", "CallDuration": "42"}
    assert post_signed(client, "/twilio/voice/status", done).status_code == 200
    missed = params | {"CallSid": "CA" + "8" * 32}
    assert post_signed(client, "/twilio/voice/missed", missed).status_code == 200
    assert task(app).run_once(datetime.now(UTC) + SETTLE * 2) is True
    assert sorted(fake_twilio.deleted) == sorted([CALL_SID, "CA" + "8" * 32])
    assert all("/Calls/" in r.path for r in fake_twilio.requests if r.method == "DELETE")
    assert CALL_SID.encode() not in on_disk(app)


def test_the_outbox_sender_notes_each_message_twilio_took(
    app: Flask, fake_twilio: FakeTwilio
) -> None:
    db = connect(app.config["DATABASE"])
    now = datetime(2026, 12, 3, 15, tzinfo=UTC)  # 09:00 in Guatemala: no quiet hours
    with immediate(db):
        ob.enqueue_alert(db, 1, "scams", [("r-01", "es", "sms")], now)

    def compose(row: ob.OutboxRow, now: datetime) -> Prepared:
        return Prepared(to=RESIDENT, from_=SERVICE, body="Aviso de ejemplo")

    sender = OutboxSender(
        db, TwilioApi.from_config(app.config | {"TWILIO_API_RETRIES": 0}), compose,
        lambda value, purpose: keyed_id(KEY, value, purpose),
        rates={"sms": 1, "whatsapp": 1},
        quiet=QuietHours.parse("21:00-07:00", "America/Guatemala"), weekly_limit=2,
        on_sent=sent_hook(db, app.config),
    )  # fmt: skip
    assert sender.run_once(now) is True
    (sent,) = fake_twilio.messages
    assert pending(app) == {"message": 1}
    assert task(app).run_once(now + LIMIT + timedelta(minutes=1)) is True
    assert fake_twilio.deleted == [sent.sid]
    assert sent_hook(db, app.config | {"TWILIO_FORGET": "keep"}) is None


def test_the_worker_runs_the_forgetting(app: Flask) -> None:
    assert any(isinstance(t, ForgetTask) for t in default_tasks(app.config["DATABASE"], app.config))


def test_the_list_survives_kill_9_and_no_deletion_is_lost(
    app: Flask, fake_twilio: FakeTwilio, tmp_path: Path
) -> None:
    """A real `outreach worker` is killed while the fake Twilio holds its second DELETE;
    the next worker deletes the rest: every record reached Twilio, none is left noted."""
    sids = [f"SM{n:032x}" for n in range(1, 7)]
    for sid in sids:
        status(app, sid, "delivered")
    db: Database = connect(app.config["DATABASE"])
    # Due now, without waiting a real minute: the worker reads the wall clock.
    with immediate(db):
        db.execute("UPDATE twilio_forget SET due_at = ?", ["2000-01-01T00:00:00+00:00"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")}
    env |= {f"OUTREACH_{k}": str(v) for k, v in settings(fake_twilio, tmp_path).items()}
    command = [sys.executable, "-m", "outreach.cli", "worker"]
    fake_twilio.delay(1.5)

    def wait_for(condition: Any) -> None:
        deadline = time.monotonic() + 60
        while not condition():
            assert time.monotonic() < deadline, "the worker did not get there"
            time.sleep(0.02)

    with subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL) as first:
        wait_for(lambda: len(fake_twilio.requests) >= 2)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=20)
    fake_twilio.delay(0)
    assert 0 < sum(forget.pending(db).values()) < len(sids)
    with subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL) as second:
        wait_for(lambda: not forget.pending(db))
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=20) == 0
    # A DELETE the first worker sent unanswered is sent again: Twilio's 404 would end it.
    assert set(fake_twilio.deleted) == set(sids)
    assert not any(sid.encode() in on_disk(app) for sid in sids)


@pytest.mark.parametrize("case", ["keep", "redaction", "delete"])
def test_the_welcome_says_what_twilio_keeps_as_the_setting_says(
    case: str, fake_twilio: FakeTwilio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.startswith("OUTREACH_"):
            monkeypatch.delenv(key)
    served = create_app(settings(fake_twilio, tmp_path, TWILIO_FORGET=case))
    flows = served.extensions["outreach.content"].flows
    texts = {
        "keep": flows.flows["welcome"].nodes["privacy"].text,
        "redaction": flows.deployment.texts["twilio_redaction"],
        "delete": flows.deployment.texts["twilio_delete"],
    }
    said = "\n".join(Phone(served.test_client(), RESIDENT, whatsapp=True).says("hola"))
    assert texts.pop(case) in said
    assert not any(text in said for text in texts.values())
