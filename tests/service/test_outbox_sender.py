"""The outbox's sender on a real SQLite file, with a scripted stand-in for Twilio's REST
client (the network edge) and a clock of the test's own: pace per channel, replies
first, retries only where Twilio surely took nothing, never a message twice, quiet hours."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from outreach.privacy import keyed_id
from outreach.service.outbox import (
    MAX_ATTEMPTS,
    OutboxSender,
    Prepared,
    QuietHours,
    TokenBucket,
    retry_delay,
)
from outreach.storage import connect, immediate
from outreach.storage import outbox as ob

#: 15:00 UTC is 09:00 in Guatemala (UTC-6, no summer time).
NOW = datetime(2026, 12, 3, 15, tzinfo=UTC)
KEY = b"a-test-pseudonym-key-of-32-bytes-or-more"


class ApiError(Exception):
    """Shaped as TwilioApiError is (status, code, retryable, maybe_accepted)."""

    def __init__(self, code: int | None, *, retryable: bool = False, maybe: bool = False):
        super().__init__(f"code {code}")
        self.status = 400
        self.code = code
        self.retryable = retryable
        self.maybe_accepted = maybe


@dataclass
class Clock:
    t: float = 0.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


@dataclass
class ScriptedApi:
    clock: Clock
    #: What the next requests meet, in order; then success.
    failures: list[Exception] = field(default_factory=list)
    received: list[tuple[float, str, str | None]] = field(default_factory=list)

    def create_message(
        self, *, to: str, from_: str, body: str | None = None,
        content_sid: str | None = None, content_variables: Mapping[str, str] | None = None,
        status_callback: str | None = None,
    ) -> str:  # fmt: skip
        if self.failures:
            raise self.failures.pop(0)
        self.received.append((self.clock.t, to, body))
        return f"SM{len(self.received):032x}"


def compose(row: ob.OutboxRow, now: datetime) -> Prepared:
    # Each test resident "r-NN" stands for +502 5555 01NN.
    return Prepared(
        to=f"+5025555{int(row.resident[2:]):04d}", from_="+50255550100",
        body=f"{row.kind} {row.alert or row.text_key}", cost=3 if row.kind == "alert" else 1,
    )  # fmt: skip


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return connect(tmp_path / "db.sqlite3", migrate=True)


def sender(db: Database, clock: Clock, api: ScriptedApi, **kw: object) -> OutboxSender:
    options: dict[str, object] = {
        "rates": {"sms": 3, "whatsapp": 10},
        "quiet": QuietHours.parse("21:00-07:00", "America/Guatemala"),
        "weekly_limit": 2,
        **kw,
    }
    return OutboxSender(
        db,
        api,
        compose,
        lambda value, purpose: keyed_id(KEY, value, purpose),
        monotonic=clock,
        sleep=clock.sleep,
        **options,  # type: ignore[arg-type]
    )


def alert(db: Database, alert_id: int, residents: range, channel: str = "sms") -> None:
    with immediate(db):
        ob.enqueue_alert(
            db, alert_id, "scams", [(f"r-{n:02d}", "es", channel) for n in residents], NOW
        )


def reply(db: Database, n: int) -> None:
    with immediate(db):
        ob.enqueue_reply(
            db, key=f"reply:{n}", resident=f"r-{n:02d}", channel="sms", language="es",
            text_key="system/help", address=b"sealed", nonce=b"n" * 12, now=NOW,
        )  # fmt: skip


def drain(s: OutboxSender, clock: Clock, now: datetime = NOW, rounds: int = 200) -> None:
    for _ in range(rounds):
        s.run_once(now + timedelta(seconds=clock.t))
        clock.sleep(0.05)


def test_each_channel_keeps_its_pace_in_segments(db: Database) -> None:
    clock = Clock()
    api = ScriptedApi(clock)
    alert(db, 1, range(1, 13))  # twelve SMS of 3 segments each, 3 segments a second
    drain(sender(db, clock, api), clock)
    times = [t for t, _, _ in api.received]
    assert len(times) == 12
    # The first goes at once and leaves the bucket empty; the second once it holds a
    # segment again (1/3 s), and the bucket in debt by two; each later one once its
    # three segments are paid for: one a second (each run_once is 0.05 s apart).
    assert times[0] == 0
    for n, t in enumerate(times[1:]):
        assert n + 1 / 3 - 1e-9 <= t <= n + 1 / 3 + 0.06


def test_a_long_sms_goes_into_debt_and_the_next_waits() -> None:
    clock = Clock()
    bucket = TokenBucket(1, clock)
    assert bucket.wait() == 0
    bucket.take(3)
    assert bucket.wait() == pytest.approx(3)
    clock.t = 3
    assert bucket.wait() == 0


def test_replies_go_ahead_of_a_queued_alert(db: Database) -> None:
    clock = Clock()
    api = ScriptedApi(clock)
    alert(db, 1, range(1, 6))
    s = sender(db, clock, api)
    s.run_once(NOW)  # two alerts go in this half second; the rest wait for the pace
    reply(db, 50)
    drain(s, clock)
    recipients = [to for _, to, _ in api.received]
    assert recipients[:3] == ["+50255550001", "+50255550002", "+50255550050"]
    assert len(recipients) == 6 and len(set(recipients)) == 6


def test_refused_for_now_is_retried_later_and_sent_once(db: Database) -> None:
    clock = Clock()
    api = ScriptedApi(clock, [ApiError(20429, retryable=True), ApiError(30001, retryable=True)])
    reply(db, 1)
    s = sender(db, clock, api)
    s.run_once(NOW)
    row = db.execute("SELECT state, attempts, next_attempt_at, error_code FROM outbox").fetchone()
    assert row == ("queued", 1, (NOW + retry_delay(1)).isoformat(), 20429)
    clock.sleep(5)  # the channel's pause after a 20429 is over, the message not yet due
    s.run_once(NOW + timedelta(seconds=1))
    assert api.received == []
    drain(s, clock, rounds=400)
    assert [to for _, to, _ in api.received] == ["+50255550001"]
    assert db.execute("SELECT state, attempts FROM outbox").fetchone() == ("sent", 3)


def test_retries_end_after_max_attempts(db: Database) -> None:
    clock = Clock()
    api = ScriptedApi(clock, [ApiError(None, retryable=True) for _ in range(MAX_ATTEMPTS)])
    reply(db, 1)
    s = sender(db, clock, api)
    at = NOW
    for attempt in range(1, MAX_ATTEMPTS + 1):
        s.run_once(at)
        at += retry_delay(attempt)
    assert db.execute("SELECT state, reason, attempts FROM outbox").fetchone() == (
        "failed", "attempts", MAX_ATTEMPTS,
    )  # fmt: skip
    assert api.received == []


@pytest.mark.parametrize(
    "error", [ApiError(None, maybe=True), RuntimeError("anything else")], ids=["timeout", "other"]
)
def test_maybe_accepted_is_unknown_and_never_sent_again(db: Database, error: Exception) -> None:
    clock = Clock()
    api = ScriptedApi(clock, [error])
    reply(db, 1)
    s = sender(db, clock, api)
    drain(s, clock, rounds=5)
    drain(s, clock, NOW + timedelta(days=1), rounds=5)
    assert api.received == []
    assert db.execute("SELECT state, reason FROM outbox").fetchone() == ("unknown", "no_answer")


def test_opted_out_at_twilio_stops_further_sends(db: Database) -> None:
    clock = Clock()
    api = ScriptedApi(clock, [ApiError(21610)])
    alert(db, 1, range(1, 2))
    alert(db, 2, range(1, 3))
    drain(sender(db, clock, api), clock)
    states = db.execute("SELECT alert, resident, state, reason FROM outbox ORDER BY id").fetchall()
    assert states == [
        (1, "r-01", "failed", "refused"),
        (2, "r-01", "canceled", "opted_out"),
        (2, "r-02", "sent", None),
    ]
    assert [to for _, to, _ in api.received] == ["+50255550002"]


def test_no_alert_at_night_in_guatemala_but_replies_still_go(db: Database) -> None:
    clock = Clock()
    api = ScriptedApi(clock)
    night = datetime(2026, 12, 4, 4, tzinfo=UTC)  # 22:00 in Guatemala
    alert(db, 1, range(1, 2))
    reply(db, 2)
    s = sender(db, clock, api)
    drain(s, clock, night, rounds=5)
    assert [body for _, _, body in api.received] == ["reply system/help"]
    morning = datetime(2026, 12, 4, 13, 5, tzinfo=UTC)  # 07:05
    drain(s, clock, morning, rounds=5)
    assert [body for _, _, body in api.received] == ["reply system/help", "alert 1"]


def test_quiet_hours() -> None:
    quiet = QuietHours.parse("21:00-07:00", "America/Guatemala")
    assert datetime(2026, 12, 4, 3, tzinfo=UTC) in quiet  # 21:00
    assert datetime(2026, 12, 4, 12, 59, tzinfo=UTC) in quiet  # 06:59
    assert datetime(2026, 12, 4, 13, tzinfo=UTC) not in quiet  # 07:00
    assert datetime(2026, 12, 4, 2, 59, tzinfo=UTC) not in quiet  # 20:59
    day = QuietHours.parse("12:00-13:00", "America/Guatemala")
    assert datetime(2026, 12, 4, 18, 30, tzinfo=UTC) in day
    assert datetime(2026, 12, 4, 0, 30, tzinfo=UTC) not in QuietHours.parse("", "UTC")


def test_the_weekly_limit_holds_when_alerts_go_out_together(db: Database) -> None:
    clock = Clock()
    api = ScriptedApi(clock)
    for alert_id in (1, 2, 3):
        alert(db, alert_id, range(1, 2))
    drain(sender(db, clock, api), clock)
    assert [body for _, _, body in api.received] == ["alert 1", "alert 2"]
    assert ob.counts(db) == {"sent": 2, "canceled": 1}


def test_a_killed_senders_message_is_not_sent_again_at_restart(db: Database) -> None:
    clock = Clock()
    api = ScriptedApi(clock)
    reply(db, 1)
    reply(db, 2)
    with immediate(db):  # a sender claimed the first and was killed before the answer
        ob.claim(db, NOW, "sms", alerts=True, weekly_limit=2)
    s = sender(db, clock, api)
    assert s.recover(NOW) == 1
    drain(s, clock, rounds=5)
    assert [to for _, to, _ in api.received] == ["+50255550002"]
    assert ob.counts(db) == {"unknown": 1, "sent": 1}


def test_sent_messages_are_found_by_the_keyed_id_of_their_sid(db: Database) -> None:
    clock = Clock()
    api = ScriptedApi(clock)
    forget: list[str] = []
    reply(db, 1)
    sender(db, clock, api, on_sent=lambda sid, now: forget.append(sid)).run_once(NOW)
    sid = f"SM{1:032x}"
    stored = db.execute("SELECT message_id FROM outbox").fetchone()[0]
    assert stored == keyed_id(KEY, sid, "message") and stored != sid
    assert forget == [sid]
