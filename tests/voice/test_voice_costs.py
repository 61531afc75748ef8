"""Seconds of the voice line in `outreach check --costs`: estimates for Spanish speech,
recordings' own durations (espeak-ng test data), per prompt, per path, per call."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from audio_helpers import locales, record
from click.testing import CliRunner
from conftest import FLOWS, TODAY

from outreach.authoring.check import check_content
from outreach.cli import main
from outreach.flowfile import load
from outreach.voice.costs import KEY_SECONDS, flow_seconds, node_phrases, prompt_costs
from outreach.voice.recordings import Recordings
from outreach.voice.script import WORDS_PER_SECOND, estimate_seconds

__all__ = ["locales"]  # a fixture


def test_the_spanish_estimate_is_words_at_a_phone_pace() -> None:
    assert WORDS_PER_SECOND == 2.5
    assert estimate_seconds("Gracias por llamar. Hasta pronto.") == pytest.approx(5 / 2.5)
    assert estimate_seconds("Si corre peligro, llame al 110.") == pytest.approx(6 / 2.5)


def test_a_prompt_is_its_phrases_plus_a_key_press(locales: Path) -> None:
    flows = load([FLOWS], TODAY).flowset
    assert flows is not None
    menu = flows.flows["main"].nodes["menu"]
    said, waits = node_phrases(flows, flows.flows["main"], menu)
    assert waits
    # The prompt, then each option's label and its key.
    assert said[0] == ("main/menu", menu.text)
    assert said[1][0] == "main/menu/option/1" and said[2] == ("voice/press_1", "Marque 1.")
    cost = prompt_costs(flows, Recordings.load(locales), "es")["main", "menu"]
    expected = KEY_SECONDS + sum(estimate_seconds(text) for _key, text in said)
    assert cost.seconds == pytest.approx(expected)
    assert (cost.recorded, cost.phrases) == (0, len(said))


def test_a_recording_replaces_the_estimate_by_its_duration(locales: Path) -> None:
    flows = load([FLOWS], TODAY).flowset
    assert flows is not None
    text = flows.flows["main"].nodes["menu"].text
    record(locales, "quc", "main/menu", text)
    recordings = Recordings.load(locales)
    recording = recordings.current("main/menu", "quc", text)
    assert recording is not None
    quc = prompt_costs(flows, recordings, "quc")
    es = prompt_costs(flows, recordings, "es")
    assert quc["main", "menu"].recorded == 1
    assert quc["main", "menu"].seconds - es["main", "menu"].seconds == pytest.approx(
        recording.seconds - estimate_seconds(text)
    )
    # The path from the main menu changes by the same amount.
    diff = recording.seconds - estimate_seconds(text)
    assert flow_seconds(flows, quc)["main"].longest - flow_seconds(flows, es)[
        "main"
    ].longest == pytest.approx(diff)


def test_paths_sum_their_prompts_and_the_flows_they_call(locales: Path) -> None:
    flows = load([FLOWS], TODAY).flowset
    assert flows is not None
    prompts = prompt_costs(flows, Recordings.load(locales), "es")
    per_flow = flow_seconds(flows, prompts)
    welcome = per_flow["welcome"]
    # welcome is one path of message nodes: exactly their prompts.
    assert welcome.paths == 1
    assert welcome.longest == pytest.approx(
        sum(prompts["welcome", node].seconds for node in welcome.longest_path)
    )
    # The main menu's paths go into other flows, and so last longer than the menu alone.
    assert per_flow["main"].shortest > prompts["main", "menu"].seconds


def test_check_costs_prints_seconds_per_prompt_path_and_call(
    locales: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flows = load([FLOWS], TODAY).flowset
    assert flows is not None
    record(locales, "quc", "main/menu", flows.flows["main"].nodes["menu"].text)
    monkeypatch.setenv("OUTREACH_LOCALES_DIR", str(locales))
    result = CliRunner().invoke(main, ["check", "--costs", "--today", "2026-12-03", str(FLOWS)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    menu = [line for line in lines if " main/menu quc  voice " in line]
    assert len(menu) == 1
    assert re.match(rf"{re.escape(str(FLOWS))}/main\.yaml:\d+:\d+: main/menu quc  voice ", menu[0])
    assert re.search(r" 1 of \d+ phrases recorded$", menu[0])
    paths = [line for line in lines if line.startswith("voice es: main: ")]
    assert len(paths) == 1 and "path(s)" in paths[0]
    calls = [line for line in lines if "minutes a call" in line]
    assert [line.split(":")[0] for line in calls] == ["voice es", "voice quc"]
    report = check_content([FLOWS], TODAY, locales, 90)
    for line, code in zip(calls, ("es", "quc"), strict=True):
        assert f"about {report.voice_calls[code] / 60:.1f} minutes a call" in line
    # Only languages with recordings are priced apart: the others sound as Spanish does.
    assert not [line for line in lines if line.startswith("voice kek")]
