"""Staff login sessions end when they should, tried as an attacker would: with a copy of
the session cookie taken from a logged-in browser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import TEST_CONFIG
from flask import Flask
from flask.testing import FlaskClient
from staff_helpers import PASSWORD, Clock, app_with_accounts, dashboard_clock, log_in, token

from outreach import create_app, staff
from outreach.storage import connect

START = datetime(2026, 11, 28, 8, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return dashboard_clock(monkeypatch, START)


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return app_with_accounts(tmp_path, {"ana": "admin", "beto": "viewer"}, START)


def copied_cookie(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of ``client``'s session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    attacker = app.test_client()
    attacker.set_cookie("session", cookie.value)
    return attacker


def logged_in(client: FlaskClient) -> bool:
    return client.get("/dashboard/").status_code == 200


def test_logout_ends_the_session_for_a_copied_cookie_too(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    assert log_in(client, "beto") == 302
    attacker = copied_cookie(app, client)
    assert logged_in(attacker)  # the copy works while the session lives
    client.post("/dashboard/logout", data={"csrf": token(client, "/dashboard/")})
    assert not logged_in(client)
    assert not logged_in(attacker)


def test_a_new_password_ends_every_session_of_the_account(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    assert log_in(client, "beto") == 302
    attacker = copied_cookie(app, client)
    other = app.test_client()
    assert log_in(other, "ana") == 302
    staff.set_password(connect(app.config["DATABASE"]), "beto", "a brand new password", START)
    assert not logged_in(attacker) and not logged_in(client)
    assert logged_in(other)  # other accounts' sessions are not touched


def test_an_account_removed_and_added_again_does_not_reopen_old_sessions(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    assert log_in(client, "beto") == 302
    attacker = copied_cookie(app, client)
    db = connect(app.config["DATABASE"])
    staff.remove(db, "beto", START)
    assert not logged_in(attacker)
    staff.add(db, "beto", "the new beto's password", "admin", START)
    assert not logged_in(attacker)
    assert attacker.get("/dashboard/staff").status_code == 302


def test_a_login_ends_after_its_lifetime_however_active(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    assert log_in(client, "beto") == 302
    attacker = copied_cookie(app, client)
    # Active every 20 minutes (never idle for 30) until the 12 hours are up.
    while clock.now < START + timedelta(hours=12) - timedelta(minutes=20):
        clock.now += timedelta(minutes=20)
        assert logged_in(attacker), clock.now
    clock.now = START + timedelta(hours=12)
    assert not logged_in(attacker) and not logged_in(client)


def test_a_login_ends_after_the_idle_timeout(app: Flask, client: FlaskClient, clock: Clock) -> None:
    assert log_in(client, "beto") == 302
    attacker = copied_cookie(app, client)
    clock.now += timedelta(minutes=29)
    assert logged_in(attacker)  # a request resets the idle time...
    clock.now += timedelta(minutes=29)
    assert logged_in(attacker)
    clock.now += timedelta(minutes=30)  # ...and 30 minutes without one end the login
    assert not logged_in(attacker) and not logged_in(client)


def test_the_lifetime_and_idle_timeout_are_settings(tmp_path: Path, clock: Clock) -> None:
    app = create_app(
        TEST_CONFIG
        | {"DATABASE": str(tmp_path / "db.sqlite3"), "STAFF_SESSION_HOURS": 1,
           "STAFF_IDLE_MINUTES": 5}
    )  # fmt: skip
    staff.add(connect(app.config["DATABASE"]), "beto", PASSWORD, "viewer", START)
    client = app.test_client()
    assert log_in(client, "beto") == 302
    clock.now += timedelta(minutes=5)
    assert not logged_in(client)
    assert log_in(client, "beto") == 302
    for _ in range(15):
        clock.now += timedelta(minutes=4)
        if not logged_in(client):
            break
    assert clock.now - START <= timedelta(hours=1, minutes=5)


def test_only_a_hash_of_the_session_token_is_stored(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    from flask.sessions import SecureCookieSessionInterface

    assert log_in(client, "beto") == 302
    cookie = client.get_cookie("session")
    assert cookie is not None
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    sid = serializer.loads(cookie.value)["sid"]
    stored = [row[0] for row in connect(app.config["DATABASE"]).execute(
        "SELECT token_hash FROM staff_sessions"
    )]  # fmt: skip
    assert len(stored) == 1 and stored[0] != sid and sid not in stored[0]
