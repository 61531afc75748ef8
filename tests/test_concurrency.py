"""Messages arriving at once, against a real threaded server and a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
import threading
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
