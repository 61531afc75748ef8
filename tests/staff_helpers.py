"""A staff member at the dashboard, for the tests of logins, sessions and pages: accounts
in a real database, the login form with its CSRF token, and the dashboard's clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import TEST_CONFIG
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from outreach import create_app, staff
from outreach.storage import connect
from outreach.web import auth, dashboard, staff_pages

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
PASSWORD = "correct horse battery"


def app_with_accounts(tmp_path: Path, accounts: dict[str, str], at: datetime = NOW) -> Flask:
    """The app on a fresh database holding ``accounts`` (name: role), all with PASSWORD."""
    app = create_app(TEST_CONFIG | {"DATABASE": str(tmp_path / "outreach.sqlite3")})
    db = connect(app.config["DATABASE"])
    for name, role in accounts.items():
        staff.add(db, name, PASSWORD, role, at)
    return app


def token(client: FlaskClient, path: str = "/dashboard/login") -> str:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def post_login(
    client: FlaskClient,
    name: str,
    password: str = PASSWORD,
    next_path: str | None = None,
    headers: dict[str, str] | None = None,
) -> TestResponse:
    address = "/dashboard/login" + (f"?next={next_path}" if next_path is not None else "")
    data = {"name": name, "password": password, "csrf": token(client)}
    return client.post(address, data=data, headers=headers or {})


def log_in(client: FlaskClient, name: str, password: str = PASSWORD) -> int:
    return post_login(client, name, password).status_code


class Clock:
    """The dashboard's clock, moved by the test."""

    def __init__(self, start: datetime = NOW) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def dashboard_clock(monkeypatch: pytest.MonkeyPatch, start: datetime = NOW) -> Clock:
    """The one clock of the login, the metrics pages and the staff pages."""
    clock = Clock(start)
    for module in (auth, dashboard, staff_pages):
        monkeypatch.setattr(module, "utc_now", clock)
    return clock
