"""One database per deployment: the service and every command open the same file,
whichever directory each is started from."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TEST_CONFIG

from outreach import create_app
from outreach.cli import main
from outreach.staff import listing
from outreach.storage import connect, database_path
from outreach.web import db

SECRETS = {k: TEST_CONFIG[k] for k in ("PSEUDONYM_KEY", "SECRET_KEY", "TWILIO_AUTH_TOKEN")}


@pytest.fixture
def no_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("OUTREACH_"):
            monkeypatch.delenv(key)


@pytest.mark.usefixtures("no_settings")
def test_a_relative_database_is_one_file_for_the_commands_and_the_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: CliRunner
) -> None:
    instance = tmp_path / "var"
    monkeypatch.setenv("OUTREACH_INSTANCE_DIR", str(instance))
    monkeypatch.setenv("OUTREACH_DATABASE", "outreach-main.sqlite3")
    home, server = tmp_path / "home", tmp_path / "srv"
    home.mkdir()
    server.mkdir()
    monkeypatch.chdir(home)  # an administrator's shell
    added = cli.invoke(main, ["users", "add", "ana", "--password-stdin"], input="a long password\n")
    assert added.exit_code == 0, added.output
    monkeypatch.chdir(server)  # gunicorn, started somewhere else
    app = create_app(SECRETS)
    assert db.database_path(app) == instance / "outreach-main.sqlite3"
    assert [name for name, _, _ in listing(connect(db.database_path(app)))] == ["ana"]
    assert list(home.iterdir()) == [] and list(server.iterdir()) == []  # no second database


def test_the_database_is_named_in_the_instance_folder_or_by_the_setting(tmp_path: Path) -> None:
    assert database_path({"DATABASE": ""}, tmp_path) == tmp_path / "outreach.sqlite3"
    assert database_path({"DATABASE": "x/db.sqlite3"}, tmp_path) == tmp_path / "x" / "db.sqlite3"
    absolute = tmp_path / "elsewhere" / "db.sqlite3"
    assert database_path({"DATABASE": str(absolute)}, tmp_path / "instance") == absolute
