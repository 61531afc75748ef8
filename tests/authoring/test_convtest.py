"""Node coverage of the conversation tests, in all and for each language offered."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import ROOT, write_flows

from outreach.cli import main

BASE_DEPLOYMENT = ROOT / "tests" / "broken_flows" / "base" / "deployment.yaml"


def test_shipped_conversation_tests_reach_every_node_in_spanish_and_english(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    result = cli.invoke(main, ["test-flows"])
    assert result.exit_code == 0, result.output
    found = re.search(r"^node coverage: (\d+)/(\d+) \((\d+)%\); (.*)$", result.output, re.M)
    assert found, result.output
    reached, total, share, per_language = found.groups()
    assert reached == total and share == "100", result.output
    figures = dict(item.split(" ") for item in per_language.split(", "))
    assert {"es", "en"} <= set(figures), result.output
    assert all(figure == f"{total}/{total}" for figure in figures.values()), result.output
    assert "not covered" not in result.output


def two_languages(tmp_path: Path) -> Path:
    """The small base deployment, offered in Spanish and English."""
    deployment = BASE_DEPLOYMENT.read_text(encoding="utf-8").replace(
        "    name: Español\n", "    name: Español\n  - code: en\n    name: English\n"
    )
    assert "code: en" in deployment
    return write_flows(tmp_path / "flows", {"deployment.yaml": deployment})


def run(cli: CliRunner, tmp_path: Path, conversations: str) -> Result:
    folder = two_languages(tmp_path)
    test_file = tmp_path / "conversations.yaml"
    test_file.write_text(conversations, encoding="utf-8")
    (tmp_path / "locales").mkdir()
    # No English catalog: English is offered all the same, with the Spanish texts.
    env = {"OUTREACH_LOCALES_DIR": str(tmp_path / "locales"), "OUTREACH_LANGUAGE_MIN_COVERAGE": "0"}
    return cli.invoke(main, ["test-flows", "--flows", str(folder), str(test_file)], env=env)


ENGLISH_MISSES_A_NODE = """\
conversations:
  - name: Spanish, the first option
    steps:
      - say: hola
        contains: "Elija:"
      - say: "1"
        contains: Uno.
  - name: Spanish, the second option
    steps:
      - say: hola
      - say: "2"
        contains: "¿Ciudad?"
  - name: English, only the first option
    language: en
    steps:
      - say: hola
      - say: "1"
        contains: Uno.
"""


def test_coverage_is_reported_per_language_and_shows_what_english_misses(
    cli: CliRunner, tmp_path: Path
) -> None:
    result = run(cli, tmp_path, ENGLISH_MISSES_A_NODE)
    assert "node coverage: 3/3 (100%); es 3/3, en 2/3\n" in result.output
    assert "not covered in en: main/ask_city\n" in result.output
    assert "not covered:" not in result.output and "not covered in es" not in result.output
    # A node missed in one language is reported, as before it changes no exit status:
    # only failing conversations do.
    assert "conversations: 3 passed, 0 failed" in result.output
    assert result.exit_code == 0, result.output


def test_a_node_missed_everywhere_is_missed_in_each_language_and_a_failure_fails(
    cli: CliRunner, tmp_path: Path
) -> None:
    conversations = """\
conversations:
  - name: Spanish, the first option, expecting the wrong answer
    steps:
      - say: hola
      - say: "1"
        contains: Dos.
"""
    result = run(cli, tmp_path, conversations)
    assert "node coverage: 2/3 (67%); es 2/3, en 0/3\n" in result.output
    assert "not covered: main/ask_city\n" in result.output
    assert "not covered in en: main/ask_city, main/menu, main/one\n" in result.output
    assert "not covered in es" not in result.output
    assert "conversations: 0 passed, 1 failed" in result.output
    assert result.exit_code == 1


def test_a_node_counts_for_the_language_chosen_in_the_middle_of_a_conversation(
    cli: CliRunner, tmp_path: Path
) -> None:
    conversations = """\
conversations:
  - name: Spanish, then English from the language menu
    steps:
      - say: hola
        contains: "Elija:"
      - say: idioma
        contains: "Idioma:"
      - say: "2"
      - say: "2"
        contains: "¿Ciudad?"
"""
    result = run(cli, tmp_path, conversations)
    assert result.exit_code == 0, result.output
    # The menu shown again in English is not a new visit; the question after it is.
    assert "node coverage: 2/3 (67%); es 1/3, en 1/3\n" in result.output
    assert "not covered in es: main/ask_city, main/one\n" in result.output
    assert "not covered in en: main/menu, main/one\n" in result.output
