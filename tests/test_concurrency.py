"""Messages arriving at once, against a real threaded server and a real SQLite file."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
from conftest import TEST_CONFIG
from twilio_helpers import RESIDENT, signature
from werkzeug.serving import make_server

from outreach import create_app


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    database = tmp_path / "outreach.sqlite3"
    app = create_app(TEST_CONFIG | {"DATABASE": str(database)})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", database
    finally:
        httpd.shutdown()
        thread.join(timeout=10)


def send(base: str, body: str, sid: str) -> str:
    params = {"MessageSid": sid, "From": RESIDENT, "To": "+15005550001", "Body": body}
    request = urllib.request.Request(
        base + "/twilio/messages",
        data=urlencode(params).encode(),
        headers={
            "X-Twilio-Signature": signature("/twilio/messages", params),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(response.read().decode())


def test_one_residents_messages_at_once_are_all_handled_one_after_the_other(
    server: tuple[str, Path],
) -> None:
    base, database = server
    send(base, "hola", "SM" + "0" * 32)
    count = 16
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(
            pool.map(lambda n: send(base, f"nonsense {n}", f"SM{n + 1:032d}"), range(count))
        )
    assert all(r.startswith("<?xml") and "<Message" in r for r in replies)
    conn = sqlite3.connect(database)
    try:
        processed = conn.execute("select count(*) from processed_messages").fetchone()[0]
        session = json.loads(conn.execute("select session from residents").fetchone()[0])
    finally:
        conn.close()
    assert processed == count + 1  # none lost
    # Each turn saw the state the one before it left: a lost update would count fewer.
    assert session["not_understood"] == count


def test_the_same_message_twice_at_once_is_handled_once(server: tuple[str, Path]) -> None:
    base, database = server
    sid = "SM" + "7" * 32
    with ThreadPoolExecutor(max_workers=4) as pool:
        replies = list(pool.map(lambda _: send(base, "hola", sid), range(4)))
    assert len(set(replies)) == 1
    conn = sqlite3.connect(database)
    try:
        started = conn.execute(
            "select count(*) from events where kind = 'flow_started'"
        ).fetchone()[0]
    finally:
        conn.close()
    assert started == 2  # welcome and main, once


def test_a_turn_that_another_got_ahead_of_starts_from_where_that_one_left(
    tmp_path: Path,
) -> None:
    """A turn is worked out before the write lock is taken; if another message of the
    same resident is written meanwhile, the turn must be worked out again from there."""
    from datetime import UTC, datetime

    from outreach.service.conversations import Conversations
    from outreach.web.db import get_db

    app = create_app(TEST_CONFIG | {"DATABASE": str(tmp_path / "outreach.sqlite3")})
    cutting_in: list[str] = []

    def clock() -> datetime:
        # Called while the turn is worked out, outside the lock: a second message of the
        # same resident goes through from start to end right then, once.
        if cutting_in:
            text = cutting_in.pop()
            conversations.handle("r1", text, channel="sms", message_id="m-cut", rendering="sms")
        return datetime.now(UTC)

    with app.app_context():
        db = get_db()
        conversations = Conversations(db, app.extensions["outreach.content"], clock=clock)
        conversations.handle("r1", "hola", channel="sms", message_id="m0", rendering="sms")
        cutting_in.append("nonsense a")
        conversations.handle("r1", "nonsense b", channel="sms", message_id="m1", rendering="sms")
        processed = db.execute("select count(*) from processed_messages").fetchone()[0]
        session = json.loads(db.execute("select session from residents").fetchone()[0])
    assert processed == 3
    assert session["not_understood"] == 2  # not 1: the late turn saw the one that cut in


@pytest.mark.parametrize("cut_in", ["BORRAR", "purge"])
def test_a_turn_worked_out_before_an_erasure_does_not_bring_the_resident_back(
    tmp_path: Path, cut_in: str
) -> None:
    """An erasure (or a purge forgetting the resident) that goes through while another
    message of theirs is worked out: that message is worked out again, from nothing."""
    from datetime import UTC, datetime, timedelta

    from outreach.metrics.purge import purge
    from outreach.service.conversations import Conversations
    from outreach.web.db import get_db

    app = create_app(TEST_CONFIG | {"DATABASE": str(tmp_path / "outreach.sqlite3")})
    cutting_in: list[str] = []
    start = datetime(2026, 1, 5, 12, tzinfo=UTC)
    now = [start]

    def clock() -> datetime:
        if cutting_in:
            cutting_in.pop()
            if cut_in == "purge":
                purge(db, now[0].date(), 90, 10)
            else:
                conversations.handle("r1", "BORRAR", channel="sms", message_id="m-cut",
                                     rendering="sms")  # fmt: skip
        return now[0]

    with app.app_context():
        db = get_db()
        conversations = Conversations(db, app.extensions["outreach.content"], clock=clock)
        for n, text in enumerate(["hola", "3", "Huehuetenango"]):
            conversations.handle("r1", text, channel="sms", message_id=f"m{n}", rendering="sms")
        if cut_in == "purge":
            now[0] = start + timedelta(days=200)  # silent for longer than the window
        cutting_in.append(cut_in)
        conversations.handle("r1", "hola", channel="sms", message_id="m9", rendering="sms")
        [(session,)] = db.execute("select session from residents where id = 'r1'").fetchall()
    # The late "hola" was worked out again from a new session: the department is gone.
    assert json.loads(session)["fields"] == {}


GUNICORN = Path(sys.executable).parent / "gunicorn"


@pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn is not installed")
def test_one_residents_messages_across_worker_processes(tmp_path: Path) -> None:
    """The same guarantee with gunicorn workers, each its own process and connection."""
    database = tmp_path / "outreach.sqlite3"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")}
    env |= {f"OUTREACH_{k}": str(v) for k, v in TEST_CONFIG.items()}
    env |= {"OUTREACH_DATABASE": str(database), "OUTREACH_LOG_LEVEL": "WARNING"}
    command = [str(GUNICORN), "--bind", f"127.0.0.1:{port}", "--workers", "4",
               "--log-level", "warning", "outreach:create_app()"]  # fmt: skip
    server = subprocess.Popen(command, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                send(base, "hola", "SM" + "0" * 32)
                break
            except OSError:
                time.sleep(0.05)
        count = 32
        with ThreadPoolExecutor(max_workers=8) as pool:
            replies = list(
                pool.map(lambda n: send(base, f"nonsense {n}", f"SM{n + 1:032d}"), range(count))
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert all(r.startswith("<?xml") and "<Message" in r for r in replies)
    conn = sqlite3.connect(database)
    try:
        processed = conn.execute("select count(*) from processed_messages").fetchone()[0]
        session = json.loads(conn.execute("select session from residents").fetchone()[0])
    finally:
        conn.close()
    assert processed == count + 1
    assert session["not_understood"] == count


def test_queued_turns_give_up_at_their_own_deadline_behind_a_long_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Behind a writer that does not queue (a purge, say), each waiting turn fails at its
    own deadline: waiting in the queue counts, so the waits do not add up."""
    from outreach.storage import connect, connection, immediate

    monkeypatch.setattr(connection, "LOCK_WAIT_SECONDS", 0.3)
    path = tmp_path / "db.sqlite3"
    connect(path, migrate=True).conn.close()
    purge = connect(path)
    purge.conn.execute("BEGIN IMMEDIATE")
    waited: list[float] = []

    def turn() -> None:
        db = connect(path)
        start = time.monotonic()
        with pytest.raises(sqlite3.OperationalError), immediate(db, queued=True):
            pass
        waited.append(time.monotonic() - start)

    threads = [threading.Thread(target=turn) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    purge.conn.execute("ROLLBACK")
    assert len(waited) == 3 and max(waited) < 0.6, waited
    with immediate(connect(path), queued=True) as db:  # and the queue is free again
        db.execute("select 1")
    assert (tmp_path / "db.sqlite3.queue").stat().st_mode & 0o777 == 0o600


def test_a_message_handled_and_erased_meanwhile_is_handled_as_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The narrowest window: the message was processed by another worker (so this turn's
    writes are rolled back), and that resident erased before its reply could be read."""
    from outreach.service.conversations import Conversations
    from outreach.storage.residents import AlreadyProcessed, Store
    from outreach.web.db import get_db

    app = create_app(TEST_CONFIG | {"DATABASE": str(tmp_path / "outreach.sqlite3")})
    raced = [True]
    save = Store.save_turn_if_unchanged

    def once_already_processed(self: Store, stored: str | None, rows: object) -> bool:
        if raced:
            raced.pop()
            raise AlreadyProcessed("m0")
        return save(self, stored, rows)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "save_turn_if_unchanged", once_already_processed)
    with app.app_context():
        db = get_db()
        conversations = Conversations(db, app.extensions["outreach.content"])
        reply = conversations.handle("r1", "hola", channel="sms", message_id="m0",
                                     rendering="sms")  # fmt: skip
        stored = db.execute("select reply from processed_messages where id = 'm0'").fetchone()
    assert not raced and not reply.repeated
    assert stored is not None and json.loads(stored[0]) == [m.body for m in reply.messages]
