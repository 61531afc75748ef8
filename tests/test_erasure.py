"""BORRAR, exactly once and completely: retries, late retries, and readers holding the WAL.

Each test is what Twilio or the machine does to an erasure in real life: the same
MessageSid posted again (Twilio retries a webhook that was slow to answer), a retry that
arrives after the resident wrote again, and a backup reading the database while a
resident asks to be forgotten.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from conftest import TEST_CONFIG
from flask import Flask
from flask.testing import FlaskClient
from twilio_helpers import Phone, messages_of

from outreach import create_app


def table(app: Flask, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(app.config["DATABASE"])
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def erasures(app: Flask) -> int:
    [(count,)] = table(app, "select coalesce(sum(count), 0) from anonymous_counts"
                            " where metric = 'erasure'")  # fmt: skip
    return int(count)  # type: ignore[call-overload]


def test_five_retries_of_one_borrar_erase_and_count_once(app: Flask, client: FlaskClient) -> None:
    phone = Phone(client)
    phone.says("hola")
    phone.says("3")
    first = phone.send("BORRAR", sid="SM" + "e" * 32)
    retries = [phone.send("BORRAR", sid="SM" + "e" * 32) for _ in range(5)]
    assert all(r.status_code == 200 for r in [first, *retries])
    assert all(messages_of(r) == messages_of(first) for r in retries)
    assert "Borramos" in "\n".join(messages_of(first))
    assert erasures(app) == 1
    assert table(app, "select count(*) from residents") == [(0,)]


def test_a_late_retry_erases_nothing_written_since(app: Flask, client: FlaskClient) -> None:
    phone = Phone(client)
    phone.says("hola")
    confirmation = messages_of(phone.send("BORRAR", sid="SM" + "f" * 32))
    # The resident comes back and talks again; then Twilio's late retry of the erasure.
    phone.says("hola")
    phone.says("3")
    kept = table(app, "select count(*) from events")
    assert kept[0][0] > 0  # type: ignore[operator]
    late = phone.send("BORRAR", sid="SM" + "f" * 32)
    assert late.status_code == 200 and messages_of(late) == confirmation
    assert table(app, "select count(*) from events") == kept
    assert table(app, "select count(*) from residents") == [(1,)]
    assert erasures(app) == 1


def test_an_erased_pseudonym_leaves_the_wal_once_a_reader_lets_go(tmp_path: Path) -> None:
    """A backup holds a read snapshot while the resident asks to be forgotten: the answer
    comes at once, and the WAL is emptied as soon as the backup is done."""
    app = create_app(TEST_CONFIG | {"DATABASE": str(tmp_path / "outreach.sqlite3")})
    client = app.test_client()
    phone = Phone(client)
    phone.says("hola")
    phone.says("3")
    phone.says("Totonicapán")
    [(resident,)] = table(app, "select id from residents")
    assert isinstance(resident, str)
    backup = sqlite3.connect(app.config["DATABASE"], isolation_level=None)
    backup.execute("BEGIN")
    backup.execute("select count(*) from events").fetchone()  # the snapshot is held
    try:
        assert "Borramos" in "\n".join(phone.says("BORRAR"))
        wal = Path(app.config["DATABASE"] + "-wal")
        # While the backup reads, the old frames are still needed: nobody can drop them.
        assert resident.encode() in wal.read_bytes()
    finally:
        backup.execute("COMMIT")
        backup.close()
    deadline = time.monotonic() + 20
    while resident.encode() in wal.read_bytes() and time.monotonic() < deadline:
        time.sleep(0.05)
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("outreach.sqlite3*"))
    assert resident.encode() not in stored
