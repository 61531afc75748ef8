"""`outreach init`: an organisation's content in a folder of its own, found by the
service and by every command from that folder, with one database for both."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, TEST_CONFIG, tracked_files

from outreach import create_app
from outreach.cli import main
from outreach.staff import listing
from outreach.storage import connect
from outreach.web.db import database_path

#: What an NGO's server has: the secrets, and no folder settings at all.
SECRETS = {k: TEST_CONFIG[k] for k in ("PSEUDONYM_KEY", "SECRET_KEY", "TWILIO_AUTH_TOKEN")}


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: CliRunner) -> Path:
    """A new deployment folder, and the current directory in it, with no OUTREACH_*."""
    for key in list(__import__("os").environ):
        if key.startswith("OUTREACH_"):
            monkeypatch.delenv(key)
    result = cli.invoke(main, ["init", str(tmp_path / "ngo")])
    assert result.exit_code == 0, result.output
    monkeypatch.chdir(tmp_path / "ngo")
    return tmp_path / "ngo"


def test_init_copies_the_sample_content_with_its_tests_schema_and_catalogs(folder: Path) -> None:
    shipped = [n for n in tracked_files() if n.startswith(("flows/", "locales/"))]
    assert "flows/schema.json" in shipped and "flows/tests/topics.yaml" in shipped
    for name in shipped:
        assert (folder / name).read_bytes() == (ROOT / name).read_bytes(), name
    assert "instance/" in (folder / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "outreach check" in (folder / "README.md").read_text(encoding="utf-8")
    instance = folder / "instance"
    assert instance.is_dir() and stat.S_IMODE(instance.stat().st_mode) == 0o700


def test_init_never_overwrites_a_folder_with_files(tmp_path: Path, cli: CliRunner) -> None:
    (tmp_path / "ngo").mkdir()
    (tmp_path / "ngo" / "main.yaml").write_text("flow: ours\n", encoding="utf-8")
    result = cli.invoke(main, ["init", str(tmp_path / "ngo")])
    assert result.exit_code == 1 and "not empty" in result.output
    assert (tmp_path / "ngo" / "main.yaml").read_text(encoding="utf-8") == "flow: ours\n"


def test_the_commands_use_the_folders_own_content(folder: Path, cli: CliRunner) -> None:
    main_flow = folder / "flows" / "main.yaml"
    text = main_flow.read_text(encoding="utf-8")
    assert "¿Sobre qué quiere saber?" in text
    main_flow.write_text(text.replace("¿Sobre qué quiere saber?", "¿Qué quiere saber hoy?"))
    chat = cli.invoke(main, ["chat"], input="hola\n")
    assert chat.exit_code == 0, chat.output
    assert "¿Qué quiere saber hoy?" in chat.output
    assert cli.invoke(main, ["check", "-q"]).exit_code == 0


def test_the_service_and_the_commands_share_one_database(folder: Path, cli: CliRunner) -> None:
    added = cli.invoke(main, ["users", "add", "ana", "--password-stdin"], input="a long password\n")
    assert added.exit_code == 0, added.output
    app = create_app(SECRETS)
    assert database_path(app) == folder.resolve() / "instance" / "outreach.sqlite3"
    assert app.extensions["outreach.content"].flows_dir.resolve() == folder.resolve() / "flows"
    assert [name for name, _, _ in listing(connect(database_path(app)))] == ["ana"]


def test_an_instance_folder_elsewhere_moves_the_database_of_both(
    folder: Path, cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUTREACH_INSTANCE_DIR", str(tmp_path / "var"))
    added = cli.invoke(main, ["users", "add", "ana", "--password-stdin"], input="a long password\n")
    assert added.exit_code == 0, added.output
    app = create_app(SECRETS)
    assert database_path(app) == tmp_path / "var" / "outreach.sqlite3"
    assert [name for name, _, _ in listing(connect(tmp_path / "var" / "outreach.sqlite3"))] == [
        "ana"
    ]
    assert not (folder / "instance" / "outreach.sqlite3").exists()


def test_without_content_the_commands_say_how_to_get_some(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: CliRunner
) -> None:
    monkeypatch.setenv("OUTREACH_FLOWS_DIR", str(tmp_path / "nowhere"))
    result = cli.invoke(main, ["chat"], input="hola\n")
    assert result.exit_code == 1 and "outreach init DIR" in result.output
