"""outreach audio status|script and outreach check on real recordings (espeak-ng test
data), the shipped flows and a copy of the shipped catalogs."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest
from audio_helpers import espeak_wav, locales, manifest_line, record
from click.testing import CliRunner
from conftest import FLOWS, ROOT

from outreach.cli import main
from outreach.voice.phrases import PHRASES
from outreach.voice.recordings import MANIFEST, Recordings, audio_dir, source_hash

__all__ = ["locales"]  # a fixture

HELP = "system/help"
DELETED = "system/deleted"


def texts() -> dict[str, str]:
    from conftest import TODAY

    from outreach.flowfile import load
    from outreach.voice.script import flow_sources

    result = load([FLOWS], TODAY)
    assert result.flowset is not None
    return flow_sources(result.flowset)


@pytest.fixture
def env(locales: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OUTREACH_LOCALES_DIR", str(locales))
    monkeypatch.setenv("OUTREACH_FLOWS_DIR", str(FLOWS))
    return locales


def test_status_counts_current_stale_and_missing_per_language(env: Path) -> None:
    spoken = texts()
    record(env, "quc", HELP, spoken[HELP])
    record(env, "quc", "voice/goodbye", spoken["voice/goodbye"])
    record(env, "quc", DELETED, "Borramos sus datos.")  # an older Spanish: stale
    result = CliRunner().invoke(main, ["audio", "status"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.output.splitlines()[1:-1]}
    total = len(spoken)
    seconds = sum(
        r.seconds
        for key in (HELP, "voice/goodbye")
        if (r := Recordings.load(env).current(key, "quc", spoken[key])) is not None
    )
    assert rows["quc"] == [
        "quc", "K'iche'", "2", "1", str(total - 3), f"{200 / total:.0f}%", f"{seconds:.1f}"
    ]  # fmt: skip
    assert rows["kek"][2:5] == ["0", "0", str(total)]
    last = result.output.splitlines()[-1]
    assert last == f"{total} texts a call can say; problems: outreach check"


def test_script_lists_what_to_record_with_a_manifest_entry_that_makes_it_current(
    env: Path, tmp_path: Path
) -> None:
    spoken = texts()
    record(env, "quc", HELP, spoken[HELP])  # current: not in the script
    record(env, "quc", DELETED, "Borramos sus datos.", "borrado.wav")  # stale
    out = tmp_path / "quc-script.txt"
    result = CliRunner().invoke(main, ["audio", "script", "--lang", "quc", "-o", str(out)])
    assert result.exit_code == 0, result.output
    script = out.read_text(encoding="utf-8")
    items = re.findall(r"^\d+\. (\S+)  \[(\w+)\]\n   key:      (.+)$", script, re.M)
    keys = [key for _file, _state, key in items]
    assert HELP not in keys
    assert len(items) == len(spoken) - 1
    assert ("borrado.wav", "stale", DELETED) in items  # recorded again into its own file
    assert ("system.stopped.wav", "missing", "system/stopped") in items
    # The voice phrases come first: every call needs them.
    assert keys[: len(PHRASES)] == list(PHRASES)
    block = script.split("system.stopped.wav  [missing]\n")[1].split("\n\n")[0]
    assert f"Spanish:  {spoken['system/stopped']}" in block
    assert re.search(r"where:    flows/deployment\.yaml:\d+: ", block) or re.search(
        rf"where:    {re.escape(str(FLOWS))}/deployment\.yaml:\d+: ", block
    )
    assert "budget:   at most " in block
    # The speaker records, then pastes the entry with a name and a day: it is current.
    entry = block.split("manifest entry:\n")[1]
    entry = entry.replace("recorded_by: ", "recorded_by: test data").replace(
        "recorded_on: ", "recorded_on: 2026-12-03"
    )
    audio = audio_dir(env, "quc")
    espeak_wav(audio / "system.stopped.wav", spoken["system/stopped"])
    manifest = audio / MANIFEST
    manifest.write_text(
        manifest.read_text(encoding="utf-8") + textwrap.dedent(entry) + "\n",
        encoding="utf-8",
    )
    assert Recordings.load(env).current("system/stopped", "quc", spoken["system/stopped"])
    assert f"source_hash: {source_hash(spoken['system/stopped'])}" in entry


def test_script_refuses_an_unknown_language(env: Path) -> None:
    result = CliRunner().invoke(main, ["audio", "script", "--lang", "xx"])
    assert result.exit_code == 1
    assert "unknown language 'xx'" in result.output


def test_check_reports_a_recording_made_stale_by_an_edit_of_the_spanish(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spoken = texts()
    record(env, "quc", HELP, spoken[HELP])
    flows = tmp_path / "flows"
    shutil.copytree(FLOWS, flows)
    deployment = flows / "deployment.yaml"
    source = deployment.read_text(encoding="utf-8")
    assert "Responda con el número de una opción." in source
    deployment.write_text(
        source.replace("Responda con el número de una opción.", "Marque el número."),
        encoding="utf-8",
    )
    monkeypatch.setenv("OUTREACH_FLOWS_DIR", str(flows))
    before = CliRunner().invoke(main, ["check", "--today", "2026-12-03", str(FLOWS)])
    after = CliRunner().invoke(main, ["check", "--today", "2026-12-03", str(flows)])
    manifest = audio_dir(env, "quc") / MANIFEST
    place = f"{manifest}:{manifest_line(env, 'quc', 'system.help.wav')}:1"
    assert place not in before.output
    stale = [line for line in after.output.splitlines() if line.startswith(place)]
    assert stale == [
        f"{place}: warning: quc: stale, not played: the Spanish of system/help changed since "
        "system.help.wav was recorded; record it again from `outreach audio script --lang quc`"
    ]
    assert after.exit_code == 0  # a warning, as a fuzzy translation is


def test_check_fails_on_a_missing_file_and_points_at_its_entry(env: Path) -> None:
    spoken = texts()
    path = record(env, "kek", DELETED, spoken[DELETED])
    path.unlink()
    result = CliRunner().invoke(main, ["check", "--today", "2026-12-03", str(FLOWS)])
    assert result.exit_code == 1
    place = f"{audio_dir(env, 'kek') / MANIFEST}:{manifest_line(env, 'kek', path.name)}:1"
    assert f"{place}: error: kek: {path.name} is in the manifest but there is no such file" in (
        result.output
    )


def test_the_shipped_content_has_no_audio() -> None:
    # No Mayan audio is shipped: recordings come from qualified speakers only.
    assert not list((ROOT / "locales").glob("*/audio/*"))
