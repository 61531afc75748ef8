"""`outreach check`: every problem with its exact place, and never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, TODAY, write_flows

from outreach.cli import main
from outreach.engine import FlowSet
from outreach.engine.model import MenuNode
from outreach.flowfile import load
from outreach.i18n.messages import flowset_messages

BROKEN = Path("tests/broken_flows")
CASES = sorted((ROOT / BROKEN).glob("*.yaml"))


def run_check(
    cli: CliRunner, *paths: str | Path, today: str = "2026-12-03"
) -> tuple[int, list[str]]:
    result = cli.invoke(main, ["check", "-q", "--today", today, *map(str, paths)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output.splitlines()


def expectations(path: Path) -> list[str]:
    return [
        line.removeprefix("# expect: ")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("# expect: ")
    ]


def test_the_broken_corpus_covers_at_least_15_kinds() -> None:
    assert len(CASES) >= 15


def test_the_shipped_flows_pass(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, shipped: FlowSet
) -> None:
    monkeypatch.chdir(ROOT)
    # Names only staff read count for no language (see i18n.catalogs.coverage).
    total = sum(1 for m in flowset_messages(shipped) if not m.for_staff)
    code, lines = run_check(cli, "flows/")
    assert code == 0
    # Only the Mayan catalogs, empty until qualified translators fill them, are noted:
    # every message and every directory listing page fits one SMS in Spanish and English
    # (tests/test_check_costs.py shows an over-budget listing would be reported).
    assert lines == [
        f"locales/{code}/LC_MESSAGES/flows.po:1:1: warning: {code}: 0 of {total} messages "
        "translated (0%), not offered to residents (needs 90%)"
        for code in ("cak", "kek", "mam", "quc")
    ]


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_each_broken_file_yields_its_exact_place(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, case: Path
) -> None:
    monkeypatch.chdir(ROOT)
    relative = BROKEN / case.name
    code, lines = run_check(cli, BROKEN / "base", relative)
    errors = [line for line in lines if ": error: " in line]
    assert errors == [f"{relative}:{expected}" for expected in expectations(case)]
    assert code == 1


def test_a_file_with_several_problems_yields_them_all(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    relative = BROKEN / "many" / "several_problems.yaml"
    code, lines = run_check(cli, BROKEN / "base", relative)
    expected = expectations(ROOT / relative)
    assert len(expected) >= 5
    assert lines == [f"{relative}:{line}" for line in expected]
    assert code == 1


def test_review_dates_warn_30_days_ahead_and_fail_once_passed(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code, lines = run_check(cli, BROKEN / "base", today="2027-05-10")
    assert code == 0
    assert lines == [
        "tests/broken_flows/base/main.yaml:4:64: warning: flow 'main' is due for review in "
        "22 days (2027-06-01)"
    ]
    code, lines = run_check(cli, BROKEN / "base", today="2027-06-02")
    assert code == 1
    assert lines[0].startswith("tests/broken_flows/base/main.yaml:4:64: error: the review date")


YAML_11_TRAPS = """\
flow: traps
name: Traps
keywords: [trampas]
provenance: {source: test, verified_on: 2026-11-01, review_by: 2027-06-01, sample: true}
nodes:
  a:
    type: menu
    text: Elija
    options:
      - {label: no, go: b}
      - {label: sí, go: b}
      - {label: yes, go: b}
      - {label: on, go: b}
      - {label: off, go: b}
      - {label: 1.0, go: b, keywords: [1e3, 0x1F, ~ok, null]}
  b:
    type: message
    text: B
"""


def test_values_stay_text_exactly_as_written(tmp_path: Path) -> None:
    folder = write_flows(tmp_path, {"traps.yaml": YAML_11_TRAPS})
    result = load([folder], TODAY)
    assert result.flowset is not None, result.errors
    menu = result.flowset.flows["traps"].nodes["a"]
    assert isinstance(menu, MenuNode)
    assert [o.label for o in menu.options] == ["no", "sí", "yes", "on", "off", "1.0"]
    assert menu.options[-1].keywords == ("1e3", "0x1F", "~ok", "null")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "1:1: error: the file is empty"),
        (b"- just\n- a list\n", "1:1: error: a content file is a mapping"),
        (b"\xff\xfe\x00garbage", "1:1: error: the file is not UTF-8 text"),
        (b"flow: x\n\tname: tab\n", "2:1: error: YAML syntax:"),
        (b"flow: [unclosed\n", "2:1: error: YAML syntax:"),
        (b"flow: a\nflow: b\n", "2:1: error: duplicate key 'flow'"),
        (b"deployment: x\n", "1:1: error: the deployment is missing the required key"),
        (b"list: x\nitems: []\n", "2:8: error: items is empty"),
        (
            b"list: x\nnumbered: yes\nitems: [{value: a}]\n",
            "2:11: error: numbered must be true or false, not 'yes'",
        ),
        (b"flow: !!binary aGVsbG8=\n", "error:"),
        (b"flow: &a x\nname: *a\n", "error:"),
    ],
)
def test_garbage_gets_a_clear_answer_never_a_traceback(
    cli: CliRunner, tmp_path: Path, content: bytes, message: str
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(content)
    result = cli.invoke(main, ["check", "--today", "2026-12-03", str(bad)])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.exit_code == 1
    assert any(
        line.startswith(f"{bad}:") and message in line for line in result.output.splitlines()
    ), result.output


def test_missing_path_is_an_error_not_a_crash(cli: CliRunner, tmp_path: Path) -> None:
    code, lines = run_check(cli, tmp_path / "nope.yaml")
    assert code == 1
    assert f"{tmp_path / 'nope.yaml'}:1:1: error: no such file" in lines


def test_every_problem_line_has_the_editor_format(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code, lines = run_check(cli, BROKEN / "base", *[BROKEN / c.name for c in CASES])
    assert code == 1
    import re

    pattern = re.compile(r"^[^:]+\.yaml:\d+:\d+: (error|warning): .+$")
    assert lines and all(pattern.match(line) for line in lines), lines


FOLDED = """\
flow: folded
name: Folded
keywords: [doblado]
provenance: {source: test, verified_on: 2026-11-01, review_by: 2027-06-01, sample: true}
nodes:
  a:
    type: message
    text: >-
      Una línea larga que sigue
      y aquí usa {cityy} al final.
    next: b
  b:
    type: message
    text: |

      Primera línea en blanco, y {cityy} después.
"""


def test_placeholder_places_in_folded_and_literal_text(tmp_path: Path) -> None:
    folder = write_flows(tmp_path, {"folded.yaml": FOLDED})
    result = load([folder], TODAY)
    places = [(p.place.line, p.place.col) for p in result.errors]
    assert places == [(10, 18), (16, 34)]
    assert all(
        "no question saves 'cityy'; did you mean 'city'?" in p.message for p in result.errors
    )


def test_placeholder_filled_only_in_another_flow_is_a_warning(tmp_path: Path) -> None:
    other = FOLDED.replace("{cityy}", "{city}")
    folder = write_flows(tmp_path, {"folded.yaml": other})
    result = load([folder], TODAY)
    assert result.errors == []
    assert [p.message for p in result.warnings] == [
        "placeholder {city} is empty unless the resident answered main/ask_city before; "
        "guard it with a branch on 'city' that has unset:"
    ] * 2


def test_service_texts_cannot_use_placeholders(tmp_path: Path) -> None:
    folder = write_flows(tmp_path, {})
    deployment = folder / "deployment.yaml"
    deployment.write_text(
        deployment.read_text(encoding="utf-8").replace("help: Ayuda.", "help: Ayuda en {city}."),
        encoding="utf-8",
    )
    result = load([folder], TODAY)
    assert [str(p).split(": ", 1)[1] for p in result.errors] == [
        "error: the 'help' text cannot use placeholders ({city}): it is sent at any point, "
        "when no field is sure to be known"
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"flow: a\nname: b\x01c\n", "2:8: error: the file contains a character YAML does not"),
        (
            b"flow: x\nnodes:\n  a:\n    type: menu\n    text: t\n    options:\n"
            b"      - {label: x, go: a, number: " + b"9" * 5000 + b"}\n",
            "7:35: error: number is too large",
        ),
    ],
)
def test_control_characters_and_huge_numbers(tmp_path: Path, content: bytes, message: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(content)
    result = load([bad], TODAY)
    assert any(str(p).startswith(f"{bad}:{message}") for p in result.problems), result.problems


def test_checking_one_file_uses_its_folder_for_context(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(ROOT)
    code, lines = run_check(cli, "flows/risks.yaml")
    assert (code, lines) == (0, [])
    folder = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", folder)
    broken = folder / "risks.yaml"
    broken.write_text(
        broken.read_text(encoding="utf-8").replace("next: feedback", "next: fedback", 1),
        encoding="utf-8",
    )
    code, lines = run_check(cli, broken)
    assert code == 1
    assert len(lines) == 1
    assert lines[0].startswith(f"{broken}:")
    assert "no node 'fedback' in flow 'risks'; did you mean 'feedback'?" in lines[0]


def test_the_first_language_must_be_the_catalogs_source_language(
    cli: CliRunner, tmp_path: Path
) -> None:
    # The first language is the one fallback text is marked and shaped as: listing English
    # first would send the Spanish text with its accents as UCS-2 (two SMS instead of one).
    folder = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", folder)
    deployment = folder / "deployment.yaml"
    source = deployment.read_text(encoding="utf-8")
    spanish = "  - code: es\n    name: Español\n"
    english = "  - code: en\n    name: English\n"
    assert spanish + english in source
    deployment.write_text(source.replace(spanish + english, english + spanish), encoding="utf-8")
    line = source.splitlines().index("  - code: es") + 1
    code, lines = run_check(cli, folder)
    assert code == 1
    errors = [text for text in lines if ": error: " in text]
    assert errors == [
        f"{deployment}:{line}:11: error: the first language is 'en', but the flows and the "
        "catalogs are written in 'es': list 'es' first under languages:"
    ]
