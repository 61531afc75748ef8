"""The missed-call callback: rejected free for the caller, queued durably, called back
once through the fake Twilio, limited, and the number gone from the database file once
the call is placed."""

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
from urllib.parse import urlencode

import pytest
from conftest import PUBLIC_URL, TEST_CONFIG
from fake_twilio import FakeTwilio
from flask import Flask
from flask.testing import FlaskClient
from twilio_helpers import post_signed

from outreach import create_app
from outreach.service.callback import CallbackTask, request_callback
from outreach.service.twilio_api import TwilioApi
from outreach.storage import connect
from outreach.storage.callbacks import waiting

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
CALLBACK_NUMBER = "+15005550001"
CALLERS = [f"+502555501{n:02d}" for n in range(10, 16)]


def settings(fake: FakeTwilio, tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    return (
        TEST_CONFIG
        | fake.config()
        | {
            "DATABASE": str(tmp_path / "outreach.sqlite3"),
            "CALLBACK_NUMBER": CALLBACK_NUMBER,
            "CALLBACK_COUNTRY_CODES": "+502",
            "CALLBACK_PER_CALLER_DAY": 3,
            "CALLBACK_PER_HOUR": 30,
            "CALLBACK_PER_DAY": 100,
            "CALLBACK_EXPIRE_MINUTES": 10,
        }
        | overrides
    )


@pytest.fixture
def callback_app(
    fake_twilio: FakeTwilio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    for key in list(os.environ):
        if key.startswith("OUTREACH_"):
            monkeypatch.delenv(key)
    yield create_app(settings(fake_twilio, tmp_path))


def missed_call(client: FlaskClient, number: str, sid: str = "CA" + "1" * 32) -> str:
    params = {"CallSid": sid, "AccountSid": "AC" + "0" * 32, "From": number,
              "To": CALLBACK_NUMBER, "CallStatus": "ringing", "Direction": "inbound"}  # fmt: skip
    response = post_signed(client, "/twilio/voice/missed", params)
    assert response.status_code == 200 and response.mimetype == "application/xml"
    return response.get_data(as_text=True)


def task(app: Flask, fake: FakeTwilio, **kwargs: Any) -> CallbackTask:
    api = TwilioApi.from_config(app.config | kwargs)
    api.sleep = lambda _: None
    return CallbackTask(app.config["DATABASE"], app.config, api)


def refusals(db_path: str) -> dict[str, int]:
    db = connect(db_path)
    return {r[0]: r[1] for r in db.execute("SELECT reason, count FROM callback_refusals")}


def test_a_missed_call_is_rejected_busy_and_queued(callback_app: Flask) -> None:
    answer = missed_call(callback_app.test_client(), CALLERS[0])
    assert '<Reject reason="busy" />' in answer
    assert waiting(connect(callback_app.config["DATABASE"])) == 1


def test_an_unsigned_missed_call_is_refused_and_not_queued(callback_app: Flask) -> None:
    response = callback_app.test_client().post(
        "/twilio/voice/missed", data=urlencode({"From": CALLERS[0]}),
        headers={"X-Twilio-Signature": "not-a-signature"},
        content_type="application/x-www-form-urlencoded",
    )  # fmt: skip
    assert response.status_code == 403
    assert waiting(connect(callback_app.config["DATABASE"])) == 0


def test_the_callback_is_placed_into_the_voice_line_and_the_number_leaves_the_file(
    callback_app: Flask, fake_twilio: FakeTwilio
) -> None:
    missed_call(callback_app.test_client(), CALLERS[0])
    db_file = Path(callback_app.config["DATABASE"])
    digits = CALLERS[0][1:].encode()

    def on_disk() -> bytes:
        return b"".join(
            p.read_bytes() for p in db_file.parent.glob(db_file.name + "*") if p.is_file()
        )

    assert digits in on_disk()  # held while it waits: the check below can see it
    assert task(callback_app, fake_twilio).run_once(datetime.now(UTC)) is True
    (call,) = fake_twilio.calls
    assert call.form["To"] == CALLERS[0] and call.form["From"] == CALLBACK_NUMBER
    assert call.form["Url"] == PUBLIC_URL + "/twilio/voice"
    assert call.form["StatusCallback"] == PUBLIC_URL + "/twilio/voice/status"
    assert waiting(connect(db_file)) == 0
    assert digits not in on_disk()


def test_a_refusal_for_now_keeps_the_callback_queued_for_the_next_pass(
    callback_app: Flask, fake_twilio: FakeTwilio
) -> None:
    missed_call(callback_app.test_client(), CALLERS[0])
    fake_twilio.fail_next(429, 20429, n=1)
    placing = task(callback_app, fake_twilio, TWILIO_API_RETRIES=0)
    assert placing.run_once(datetime.now(UTC)) is True
    assert fake_twilio.calls == [] and waiting(placing.db) == 1
    assert placing.run_once(datetime.now(UTC)) is True
    assert len(fake_twilio.calls) == 1 and waiting(placing.db) == 0


def test_a_call_twilio_may_have_placed_is_never_placed_again(
    callback_app: Flask, fake_twilio: FakeTwilio
) -> None:
    missed_call(callback_app.test_client(), CALLERS[0])
    fake_twilio.drop_next()
    placing = task(callback_app, fake_twilio)
    assert placing.run_once(datetime.now(UTC)) is True
    assert waiting(placing.db) == 0
    assert placing.run_once(datetime.now(UTC)) is False
    assert len(fake_twilio.requests) == 1


def test_a_call_twilio_refuses_for_good_is_dropped(
    callback_app: Flask, fake_twilio: FakeTwilio
) -> None:
    missed_call(callback_app.test_client(), CALLERS[0])
    fake_twilio.fail_next(400, 21215)  # geo permissions
    placing = task(callback_app, fake_twilio)
    assert placing.run_once(datetime.now(UTC)) is True
    assert waiting(placing.db) == 0 and len(fake_twilio.requests) == 1


def limited(fake: FakeTwilio, tmp_path: Path, **overrides: Any) -> tuple[Any, dict[str, Any]]:
    config = settings(fake, tmp_path, **overrides)
    return connect(config["DATABASE"], migrate=True), config


def test_each_caller_is_called_back_at_most_n_times_a_day(
    fake_twilio: FakeTwilio, tmp_path: Path
) -> None:
    db, config = limited(fake_twilio, tmp_path, CALLBACK_PER_CALLER_DAY=2)
    placing = CallbackTask(config["DATABASE"], config, TwilioApi.from_config(config))
    for minute in range(2):
        at = NOW + timedelta(minutes=minute)
        assert request_callback(db, config, CALLERS[0], "caller-0", at) is None
        assert placing.run_once(at)
    assert request_callback(db, config, CALLERS[0], "caller-0", NOW) == "caller_day"
    assert request_callback(db, config, CALLERS[1], "caller-1", NOW) is None
    # The next day the count starts again, and yesterday's keyed counts are gone.
    assert request_callback(db, config, CALLERS[0], "caller-0", NOW + timedelta(days=1)) is None
    assert (
        db.execute("SELECT count(*) FROM callback_callers WHERE day < '2026-12-04'").fetchone()[0]
        == 0
    )
    assert refusals(config["DATABASE"]) == {"caller_day": 1}


def test_a_number_already_waiting_is_not_queued_twice(
    fake_twilio: FakeTwilio, tmp_path: Path
) -> None:
    db, config = limited(fake_twilio, tmp_path)
    assert request_callback(db, config, CALLERS[0], "caller-0", NOW) is None
    assert request_callback(db, config, CALLERS[0], "caller-0", NOW) == "queued"
    assert waiting(db) == 1 and refusals(config["DATABASE"]) == {"queued": 1}


def test_callbacks_per_hour_overall(fake_twilio: FakeTwilio, tmp_path: Path) -> None:
    db, config = limited(fake_twilio, tmp_path, CALLBACK_PER_HOUR=2)
    assert request_callback(db, config, CALLERS[0], "c0", NOW) is None
    assert request_callback(db, config, CALLERS[1], "c1", NOW) is None
    assert request_callback(db, config, CALLERS[2], "c2", NOW) == "hour"
    assert request_callback(db, config, CALLERS[2], "c2", NOW + timedelta(hours=1)) is None
    assert refusals(config["DATABASE"]) == {"hour": 1}


def test_the_daily_budget(fake_twilio: FakeTwilio, tmp_path: Path) -> None:
    db, config = limited(fake_twilio, tmp_path, CALLBACK_PER_DAY=2)
    assert request_callback(db, config, CALLERS[0], "c0", NOW) is None
    assert request_callback(db, config, CALLERS[1], "c1", NOW + timedelta(hours=2)) is None
    assert request_callback(db, config, CALLERS[2], "c2", NOW + timedelta(hours=3)) == "budget"
    assert request_callback(db, config, CALLERS[2], "c2", NOW + timedelta(days=1)) is None
    assert refusals(config["DATABASE"]) == {"budget": 1}


def test_only_allowed_countries_and_real_numbers(fake_twilio: FakeTwilio, tmp_path: Path) -> None:
    db, config = limited(fake_twilio, tmp_path)
    assert request_callback(db, config, "+15005550006", "us", NOW) == "country"
    assert request_callback(db, config, None, None, NOW) == "not_a_number"
    assert waiting(db) == 0
    assert refusals(config["DATABASE"]) == {"country": 1, "not_a_number": 1}


def test_a_withheld_caller_id_over_the_webhook_is_counted(callback_app: Flask) -> None:
    assert "Reject" in missed_call(callback_app.test_client(), "anonymous")
    assert refusals(callback_app.config["DATABASE"]) == {"not_a_number": 1}


def test_without_a_callback_number_calls_are_still_rejected_and_counted(
    fake_twilio: FakeTwilio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.startswith("OUTREACH_"):
            monkeypatch.delenv(key)
    app = create_app(settings(fake_twilio, tmp_path, CALLBACK_NUMBER=""))
    assert "Reject" in missed_call(app.test_client(), CALLERS[0])
    assert refusals(app.config["DATABASE"]) == {"off": 1}
    assert waiting(connect(app.config["DATABASE"])) == 0


def test_a_callback_that_waited_too_long_is_dropped(
    fake_twilio: FakeTwilio, tmp_path: Path
) -> None:
    db, config = limited(fake_twilio, tmp_path)
    assert request_callback(db, config, CALLERS[0], "c0", NOW) is None
    placing = CallbackTask(config["DATABASE"], config, TwilioApi.from_config(config))
    assert placing.run_once(NOW + timedelta(minutes=11)) is False
    assert waiting(db) == 0 and fake_twilio.requests == []
    assert refusals(config["DATABASE"]) == {"expired": 1}


def test_the_queue_survives_kill_9_and_nobody_is_called_twice(
    fake_twilio: FakeTwilio, tmp_path: Path
) -> None:
    """A real `outreach worker` is killed while Twilio holds its second call; the next
    worker calls the rest: every queued caller reached Twilio exactly once."""
    db, config = limited(fake_twilio, tmp_path)
    now = datetime.now(UTC)
    for n, number in enumerate(CALLERS):
        assert request_callback(db, config, number, f"c{n}", now) is None
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")}
    env |= {f"OUTREACH_{k}": str(v) for k, v in config.items()}
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
    assert 0 < waiting(db) < len(CALLERS)
    with subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL) as second:
        wait_for(lambda: waiting(db) == 0)
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=20) == 0
    called = [r.form["To"] for r in fake_twilio.requests]
    assert sorted(called) == sorted(CALLERS), "each caller exactly once"
    outcomes = dict(
        db.execute("SELECT outcome, sum(count) FROM callback_hours GROUP BY 1").fetchall()
    )
    assert outcomes == {"queued": 6, "placed": 5, "uncertain": 1}
