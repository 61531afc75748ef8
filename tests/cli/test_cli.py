"""The command line as NGO staff use it: the simulator, conversation tests, schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import FLOWS, ROOT, write_flows

from outreach.cli import main

OUTREACH = [sys.executable, "-m", "outreach.cli"]


def test_piped_chat_follows_choices_and_returns_to_the_menu() -> None:
    # A real process with a real pipe, exactly as `printf '1\n2\nmenu\n' | outreach chat`.
    out = subprocess.run(
        [*OUTREACH, "chat"],
        input="1\n2\nmenu\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    turns = out.split("\n\n")
    assert len(turns) == 4 and turns[-1] == ""
    assert "¿Sobre qué quiere saber?" in turns[0]
    assert turns[1].startswith("Caminos legales. Elija un tema:")
    assert turns[2].startswith("¿Sobre qué quiere saber?")
    assert "you>" not in out  # no prompts when piped


def test_piped_chat_is_repeatable_for_diffing() -> None:
    def run() -> str:
        return subprocess.run(
            [*OUTREACH, "chat"],
            input="hola\n3\nHuehue\n1\nno\n",
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        ).stdout

    first = run()
    assert first == run()
    assert "Empleo en Huehuetenango:" in first


def test_chat_can_show_events(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = cli.invoke(main, ["chat", "--events"], input="hola\n")
    assert result.exit_code == 0
    assert "[flow_started] {'flow': 'welcome', 'run': 'run-1'}" in result.output


def test_chat_refuses_an_unknown_language(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = cli.invoke(main, ["chat", "--lang", "xx"], input="hola\n")
    assert result.exit_code == 1
    assert "'xx' is not a language of this deployment (es, en, quc, kek, cak, mam)" in (
        result.output
    )


def test_chat_with_broken_flows_explains_instead_of_crashing(
    cli: CliRunner, tmp_path: Path
) -> None:
    folder = write_flows(tmp_path, {"broken.yaml": "flow: broken\nname: [x\n"})
    result = cli.invoke(main, ["chat", "--flows", str(folder)], input="hola\n")
    assert result.exit_code == 1
    assert "broken.yaml:3:1: error: YAML syntax" in result.output
    assert "Traceback" not in result.output


def test_shipped_conversation_tests_pass_with_full_coverage(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    result = cli.invoke(main, ["test-flows"])
    assert result.exit_code == 0, result.output
    assert "node coverage:" in result.output
    assert ", 0 failed" in result.output


FAILING_TEST = """\
conversations:
  - name: Wrong expectation
    steps:
      - say: hola
        contains: Elija
      - say: "1"
        reply: Dos.
      - say: "menu"
        events: [erasure_requested]
"""


def test_a_failing_conversation_test_names_its_step(cli: CliRunner, tmp_path: Path) -> None:
    folder = write_flows(tmp_path / "flows", {})
    test_file = tmp_path / "wrong.yaml"
    test_file.write_text(FAILING_TEST, encoding="utf-8")
    result = cli.invoke(main, ["test-flows", "--flows", str(folder), str(test_file)])
    assert result.exit_code == 1
    assert f"FAIL {test_file}:2:5: Wrong expectation" in result.output
    assert f"{test_file}:6:9: error: after '1' expected the answer" in result.output
    assert "    | Dos." in result.output and "    | Uno." in result.output
    assert f"{test_file}:8:9: error: after 'menu' expected a erasure_requested event" in (
        result.output
    )
    assert "conversations: 0 passed, 1 failed" in result.output


def test_the_acceptance_conversation_as_a_test_file(cli: CliRunner, tmp_path: Path) -> None:
    acceptance = FLOWS / "tests" / "main_menu.yaml"
    text = acceptance.read_text(encoding="utf-8")
    assert 'say: "1"' in text and 'say: "2"' in text and "say: menu" in text
    result = cli.invoke(main, ["test-flows", "--flows", str(FLOWS), str(acceptance)])
    assert result.exit_code == 0, result.output


def test_schema_file_is_current(cli: CliRunner) -> None:
    result = cli.invoke(main, ["schema"])
    assert result.exit_code == 0
    assert (FLOWS / "schema.json").read_text(encoding="utf-8") == result.output, (
        "flows/schema.json is stale: run `make schema`"
    )


def test_settings_command_lists_every_setting(cli: CliRunner) -> None:
    result = cli.invoke(main, ["settings", "--json"])
    listed = json.loads(result.output)
    assert {s["env"] for s in listed} >= {"OUTREACH_FLOWS_DIR", "OUTREACH_ENV"}


def iter_commands(group: click.Group) -> list[click.Command]:
    return list(group.commands.values())


@pytest.mark.parametrize("command", iter_commands(main), ids=lambda c: c.name or "")
def test_every_command_has_help_and_an_example(command: click.Command) -> None:
    assert command.help and command.help.strip()
    assert "Example:" in command.help
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{command.name} {param.opts} has no help"


@pytest.mark.parametrize("line_end", ["\n", "\r\n", ""])
def test_users_add_reads_a_piped_password(tmp_path: Path, line_end: str) -> None:
    from datetime import UTC, datetime

    from outreach.staff import authenticate
    from outreach.storage import connect

    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")}
    env["OUTREACH_DATABASE"] = str(tmp_path / "outreach.sqlite3")
    # A real pipe, as `printf '%s\n' "$PASSWORD" | outreach users add ...` gives it.
    added = subprocess.run(
        [*OUTREACH, "users", "add", "ana", "--role", "admin", "--password-stdin"],
        input="a long piped password" + line_end,
        capture_output=True,
        text=True,
        env=env,
    )
    assert added.returncode == 0, added.stderr
    db = connect(tmp_path / "outreach.sqlite3")
    assert (
        authenticate(db, "ana", "a long piped password", "127.0.0.1", datetime.now(UTC)) is not None
    )
