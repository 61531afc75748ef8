"""Recordings tied to the Spanish they were recorded from: real WAV files (espeak-ng),
real manifests, the shipped flows' texts."""

from __future__ import annotations

from pathlib import Path

import pytest
from audio_helpers import espeak_wav, locales, manifest_line, record
from conftest import TODAY

from outreach.flowfile import Severity, load
from outreach.voice.recordings import MANIFEST, Recordings, State, audio_dir, source_hash
from outreach.voice.script import flow_sources

HELP = "system/help"
__all__ = ["locales"]  # a fixture


@pytest.fixture(scope="module")
def spoken() -> dict[str, str]:
    from conftest import FLOWS

    result = load([FLOWS], TODAY)
    assert result.flowset is not None
    return flow_sources(result.flowset)


def test_a_recording_of_the_current_text_is_played_with_its_duration(
    locales: Path, spoken: dict[str, str]
) -> None:
    path = record(locales, "quc", HELP, spoken[HELP])
    recordings = Recordings.load(locales)
    found = recordings.current(HELP, "quc", spoken[HELP])
    assert found is not None
    assert (found.key, found.language, found.path) == (HELP, "quc", path)
    # espeak-ng says a 30-word text in several seconds: the header's duration, read by mutagen.
    assert 3 < found.seconds < 60
    assert recordings.problems == []
    assert recordings.check(spoken) == []


def test_an_edit_of_the_spanish_makes_the_recording_stale(
    locales: Path, spoken: dict[str, str]
) -> None:
    record(locales, "quc", HELP, spoken[HELP])
    edited = spoken[HELP].replace("110", "1510")
    recordings = Recordings.load(locales)
    assert recordings.current(HELP, "quc", edited) is None
    assert recordings.state(HELP, "quc", edited) is State.STALE
    problems = recordings.check({**spoken, HELP: edited})
    manifest = audio_dir(locales, "quc") / MANIFEST
    assert [(str(p.place), p.severity) for p in problems] == [
        (f"{manifest}:{manifest_line(locales, 'quc', 'system.help.wav')}:1", Severity.WARNING)
    ]
    assert "stale" in problems[0].message and HELP in problems[0].message


def test_a_unicode_form_is_not_an_edit() -> None:
    composed = "Información"
    decomposed = "Informacio\u0301n"
    assert composed != decomposed
    assert source_hash(composed) == source_hash(decomposed)
    assert source_hash(composed) != source_hash(composed + ".")


def test_no_recording_in_another_language_or_for_another_key(
    locales: Path, spoken: dict[str, str]
) -> None:
    record(locales, "quc", HELP, spoken[HELP])
    recordings = Recordings.load(locales)
    assert recordings.current(HELP, "kek", spoken[HELP]) is None
    assert recordings.current("system/deleted", "quc", spoken["system/deleted"]) is None
    assert recordings.state("system/deleted", "quc", spoken["system/deleted"]) is State.MISSING


def test_coverage_is_the_percentage_of_current_recordings(
    locales: Path, spoken: dict[str, str]
) -> None:
    keys = ["voice/goodbye", "voice/press_1", "system/deleted", "system/stopped"]
    for key in keys[:3]:
        record(locales, "kek", key, spoken[key])
    recordings = Recordings.load(locales)
    subset = {key: spoken[key] for key in keys}
    assert recordings.coverage("kek", subset) == pytest.approx(75.0)
    assert recordings.coverage("kek", {**subset, "voice/goodbye": "Adiós."}) == pytest.approx(50)
    # Kept per language for the sources it was worked out over: each call step asks.
    assert recordings.coverage("kek", subset) == pytest.approx(75.0)
    assert recordings.coverage("kek", subset) == pytest.approx(75.0)
    assert recordings.coverage("quc", subset) == 0.0
    assert recordings.coverage("kek", {}) == 0.0
    # The shipped content has no recordings at all.
    assert Recordings.load(locales).coverage("es", spoken) == 0.0


def test_a_file_named_in_the_manifest_but_absent_is_an_error_at_its_entry(
    locales: Path, spoken: dict[str, str]
) -> None:
    path = record(locales, "quc", HELP, spoken[HELP])
    path.unlink()
    recordings = Recordings.load(locales)
    assert recordings.current(HELP, "quc", spoken[HELP]) is None
    line = manifest_line(locales, "quc", path.name)
    assert [(p.place.line, p.severity) for p in recordings.check(spoken)] == [
        (line, Severity.ERROR)
    ]
    assert "no such file" in recordings.problems[0].message


def test_a_file_not_in_the_manifest_is_a_warning_at_the_file(
    locales: Path, spoken: dict[str, str]
) -> None:
    record(locales, "quc", HELP, spoken[HELP])
    extra = espeak_wav(audio_dir(locales, "quc") / "stray.wav", "Hola.")
    problems = Recordings.load(locales).check(spoken)
    assert [(p.place.path, p.severity) for p in problems] == [(str(extra), Severity.WARNING)]
    assert "not in manifest.yaml" in problems[0].message


def test_unreadable_audio_is_an_error_and_never_played(
    locales: Path, spoken: dict[str, str]
) -> None:
    wav = record(locales, "quc", HELP, spoken[HELP])
    wav.write_text("not audio at all\n", encoding="utf-8")
    mp3 = record(locales, "quc", "system/deleted", spoken["system/deleted"], "deleted.mp3")
    mp3.write_bytes(b"ID3 but nothing after it" * 3)
    recordings = Recordings.load(locales)
    assert recordings.current(HELP, "quc", spoken[HELP]) is None
    assert recordings.current("system/deleted", "quc", spoken["system/deleted"]) is None
    problems = recordings.check(spoken)
    assert [(p.place.line, p.severity) for p in problems] == [
        (manifest_line(locales, "quc", wav.name), Severity.ERROR),
        (manifest_line(locales, "quc", mp3.name), Severity.ERROR),
    ]
    assert all("unreadable" in p.message for p in problems)


def test_manifest_mistakes_are_said_where_they_are(locales: Path, spoken: dict[str, str]) -> None:
    audio = audio_dir(locales, "quc")
    espeak_wav(audio / "a.wav", "Uno.")
    espeak_wav(audio / "b.wav", "Dos.")
    (audio / MANIFEST).write_text(
        "a.wav:\n"
        "  key: voice/goodbye\n"
        f"  source_hash: {source_hash(spoken['voice/goodbye'])}\n"
        "  recorded_by: test\n"
        "  recorded_on: 2026-12-03\n"
        "b.wav:\n"
        "  key: voice/goodbye\n"
        f"  source_hash: {source_hash(spoken['voice/goodbye'])}\n"
        "  recorded_by: test\n"
        "  recorded_on: yesterday\n"
        "../../../flows/deployment.yaml:\n"
        "  key: system/help\n"
        "old.wav:\n"
        "  key: voice/gone\n",
        encoding="utf-8",
    )
    problems = Recordings.load(locales).check(spoken)
    said = [(p.place.line, p.severity, p.message.split(":")[1].strip()) for p in problems]
    assert [(line, severity) for line, severity, _ in said] == [
        (6, Severity.ERROR),  # recorded_on is not a date
        (11, Severity.ERROR),  # a path, not a file name
        (13, Severity.ERROR),  # no source_hash, recorded_by, recorded_on
    ]
    assert "not a date" in problems[0].message
    assert "not a recording's file name" in problems[1].message
    assert "has no source_hash" in problems[2].message


def test_two_files_for_one_key_is_an_error(locales: Path, spoken: dict[str, str]) -> None:
    record(locales, "quc", "voice/goodbye", spoken["voice/goodbye"], "one.wav")
    record(locales, "quc", "voice/goodbye", spoken["voice/goodbye"], "two.wav")
    problems = Recordings.load(locales).check(spoken)
    assert [(p.place.line, p.severity) for p in problems] == [
        (manifest_line(locales, "quc", "two.wav"), Severity.ERROR)
    ]


def test_a_recording_of_a_removed_message_is_reported(
    locales: Path, spoken: dict[str, str]
) -> None:
    record(locales, "quc", "main/gone_node", "Un texto que ya no existe.")
    problems = Recordings.load(locales).check(spoken)
    assert [p.severity for p in problems] == [Severity.WARNING]
    assert "no message is any more" in problems[0].message


def test_invalid_yaml_is_an_error_at_its_line(locales: Path) -> None:
    audio = audio_dir(locales, "quc")
    audio.mkdir(parents=True)
    (audio / MANIFEST).write_text("a.wav:\n  key: [unclosed\n", encoding="utf-8")
    problems = Recordings.load(locales).problems
    assert [p.severity for p in problems] == [Severity.ERROR]
    assert "not valid YAML" in problems[0].message


def test_an_unknown_language_folder_is_an_error(locales: Path) -> None:
    espeak_wav(audio_dir(locales, "xx") / "a.wav", "Uno.")
    problems = Recordings.load(locales).problems
    assert [p.severity for p in problems] == [Severity.ERROR]
    assert "unknown language 'xx'" in problems[0].message


def test_sources_are_everything_a_call_can_record(spoken: dict[str, str]) -> None:
    from outreach.voice.keys import PHRASES

    assert {key: spoken[key] for key in PHRASES} == PHRASES  # the call's own phrases
    assert spoken["list/departments/Petén"] == "Petén"  # a list read as choices
    assert spoken["main/menu/option/1"]  # an option label
    # Typed, never said: keywords, commands, yes/no words; and a text with a
    # placeholder, which changes per caller.
    assert not [key for key in spoken if key.endswith("/keywords") or key.startswith("command/")]
    assert "system/yes_words" not in spoken
    assert "programmes/confirm_department" not in spoken


def test_suggested_file_names_are_plain() -> None:
    from outreach.voice.recordings import FILE_NAME, suggested_file_name

    assert suggested_file_name("system/help") == "system.help.wav"
    assert (
        suggested_file_name("list/departments/Alta Verapaz") == "list.departments.Alta.Verapaz.wav"
    )
    assert suggested_file_name("list/departments/Petén") == "list.departments.Peten.wav"
    assert FILE_NAME.fullmatch(suggested_file_name("list/departments/Sololá"))


def test_a_truncated_wav_is_unreadable(locales: Path, spoken: dict[str, str]) -> None:
    wav = record(locales, "quc", HELP, spoken[HELP])
    whole = wav.read_bytes()
    assert Recordings.load(locales).current(HELP, "quc", spoken[HELP]) is not None
    wav.write_bytes(whole[: len(whole) // 2])  # the header still says the whole length
    recordings = Recordings.load(locales)
    assert recordings.current(HELP, "quc", spoken[HELP]) is None
    assert [p.severity for p in recordings.problems] == [Severity.ERROR]
    assert "truncated WAV audio" in recordings.problems[0].message
