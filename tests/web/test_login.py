"""The login page cannot be used against the service: it cannot fill the database, lock
an account for its owner, tell real names from unknown ones, or hold the write lock
while a password hash is checked."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from staff_helpers import NOW, Clock, app_with_accounts, dashboard_clock, log_in, token

from outreach import staff
from outreach.cli import main
from outreach.storage import connect


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return dashboard_clock(monkeypatch)


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return app_with_accounts(tmp_path, {"ana": "admin"})


def database_bytes(app: Flask) -> int:
    path = Path(app.config["DATABASE"])
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def rows(app: Flask, table: str) -> int:
    return int(
        connect(app.config["DATABASE"]).execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    )


def post_login(client: FlaskClient, name: str, password: str, csrf: str) -> int:
    data = {"name": name, "password": password, "csrf": csrf}
    return client.post("/dashboard/login", data=data).status_code


def test_sixty_posts_of_50_kb_names_write_nothing(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    """The attack of issue 13: 60 POSTs with a 50 kB name grew the audit log by 3.5 MB."""
    csrf = token(client)
    before = (database_bytes(app), rows(app, "audit_log"))
    for n in range(60):
        assert post_login(client, f"{n}" + "x" * 50_000, "wrong password!", csrf) == 200
    assert rows(app, "audit_log") == before[1]
    assert rows(app, "login_throttle") == rows(app, "login_refusals") == 0
    assert database_bytes(app) == before[0]


def test_sixty_guesses_from_one_address_write_a_bounded_number_of_rows(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    csrf = token(client)
    audited = rows(app, "audit_log")
    for n in range(60):
        post_login(client, f"guess-{n:03d}-" + "y" * 54, "wrong password!", csrf)
    # The address's free failures are logged; every attempt after them is only counted.
    assert rows(app, "audit_log") - audited == staff.FREE_FAILURES_PER_ADDRESS
    refused = staff.refusals(connect(app.config["DATABASE"]), NOW - timedelta(hours=1))
    assert [(name, count) for _, name, _, count in refused] == [
        ("", 60 - staff.FREE_FAILURES_PER_ADDRESS)
    ]


def test_nobody_elsewhere_can_lock_the_owner_out(app: Flask, clock: Clock) -> None:
    def client_at(address: str) -> FlaskClient:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        return client

    attacker = client_at("198.51.100.7")
    for _ in range(30):
        log_in(attacker, "ana", "wrong password!")
    assert log_in(attacker, "ana") == 200  # the guesser is slowed down...
    owner = client_at("203.0.113.20")
    assert log_in(owner, "ana") == 302  # ...the owner, elsewhere, is not


def test_delays_grow_with_each_failure_and_run_out(app: Flask, clock: Clock) -> None:
    client = app.test_client()
    free = staff.FREE_FAILURES_PER_NAME
    for _ in range(free):
        log_in(client, "ana", "wrong password!")
    assert log_in(client, "ana") == 200  # refused right after the failures
    clock.now += staff.delay_after(free, free)
    log_in(client, "ana", "wrong password!")  # one more failure: the next wait doubles
    clock.now += staff.delay_after(free, free)
    assert log_in(client, "ana") == 200
    clock.now += staff.delay_after(free + 1, free)
    assert log_in(client, "ana") == 302
    assert staff.delay_after(free + 1, free) == 2 * staff.delay_after(free, free)
    assert staff.delay_after(free + 100, free) == staff.MAX_DELAY


def test_unlock_and_a_new_password_let_the_owner_in_at_once(
    app: Flask, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = app.test_client()
    for _ in range(20):
        log_in(client, "ana", "wrong password!")
    assert log_in(client, "ana") == 200
    monkeypatch.setenv("OUTREACH_DATABASE", app.config["DATABASE"])
    unlocked = CliRunner().invoke(main, ["users", "unlock", "ana"])
    assert unlocked.exit_code == 0, unlocked.output
    assert log_in(client, "ana") == 302
    other = app.test_client()
    for _ in range(20):
        log_in(other, "ana", "wrong password!")
    new = "a brand new password"
    staff.set_password(connect(app.config["DATABASE"]), "ana", new, NOW)
    assert log_in(other, "ana", new) == 302


def test_the_password_hash_is_checked_for_unknown_names_too(
    app: Flask, client: FlaskClient, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Work done, not time taken: a real name and an unknown one each cost one check of
    a hash made the same way (so the same cost), which is what made them take 95 and 1 ms."""
    from werkzeug.security import check_password_hash

    checked: list[str] = []

    def counting(pwhash: str, password: str) -> bool:
        checked.append(pwhash.split("$", 1)[0])  # the method and its cost parameters
        return check_password_hash(pwhash, password)

    monkeypatch.setattr(staff, "check_password_hash", counting)
    log_in(client, "ana", "wrong password!")
    log_in(client, "nobody-by-that-name", "wrong password!")
    real = connect(app.config["DATABASE"]).execute("SELECT password_hash FROM staff").fetchone()
    assert checked == [real[0].split("$", 1)[0]] * 2


def test_no_write_lock_is_held_while_the_hash_is_checked(
    app: Flask, client: FlaskClient, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A webhook turn (another connection) begins its write transaction, without
    waiting, while the login checks the password."""
    from werkzeug.security import check_password_hash

    writes: list[str] = []

    def while_checking(pwhash: str, password: str) -> bool:
        other = sqlite3.connect(app.config["DATABASE"], timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # raises "database is locked" if held
            other.execute("COMMIT")
            writes.append("done")
        except sqlite3.OperationalError as exc:
            writes.append(str(exc))
        finally:
            other.close()
        return check_password_hash(pwhash, password)

    monkeypatch.setattr(staff, "check_password_hash", while_checking)
    assert log_in(client, "ana") == 302
    log_in(app.test_client(), "ana", "wrong password!")
    assert writes == ["done", "done"]


def test_a_right_password_changed_during_the_check_does_not_log_in(
    app: Flask, client: FlaskClient, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from werkzeug.security import check_password_hash

    def meanwhile(pwhash: str, password: str) -> Any:
        staff.set_password(connect(app.config["DATABASE"]), "ana", "changed meanwhile", NOW)
        return check_password_hash(pwhash, password)

    monkeypatch.setattr(staff, "check_password_hash", meanwhile)
    assert log_in(client, "ana") == 200


def test_admins_see_the_refused_attempts_counted(app: Flask, clock: Clock) -> None:
    attacker = app.test_client()
    csrf = token(attacker)
    for n in range(staff.FREE_FAILURES_PER_ADDRESS + 25):
        post_login(attacker, f"guess{n}", "wrong password!", csrf)
    admin = app.test_client()
    admin.environ_base["REMOTE_ADDR"] = "203.0.113.20"
    assert log_in(admin, "ana") == 302
    page = admin.get("/dashboard/staff?ui=en").get_data(as_text=True)
    assert "Login attempts refused by the throttle" in page
    assert (
        '<td data-label="Name">any name</td><td data-label="Address"><span translate="no">'
        '127.0.0.1</span></td><td data-label="Attempts">25</td>'
    ) in page
