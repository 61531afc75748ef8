"""Test audio, made on the spot by espeak-ng from Spanish text: TEST DATA, not a recording
of any language (no Mayan audio is ever shipped or made). `make test` installs espeak-ng
on a Debian machine (the `voice-tools` target, as root, as CI runs)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from outreach.voice.recordings import MANIFEST, audio_dir, source_hash

#: What every test manifest says of who recorded its files.
TEST_SPEAKER = "TEST DATA: espeak-ng reading the Spanish (not a speaker of any language)"


def espeak_wav(path: Path, text: str) -> Path:
    """A WAV of espeak-ng's Spanish voice saying ``text`` (always Spanish text)."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        pytest.fail(
            "espeak-ng is not installed: the voice tests make their test audio with it "
            "(apt-get install espeak-ng, or run `make test` as root, which installs it)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([espeak, "-v", "es", "-w", str(path), text], check=True, capture_output=True)
    return path


def record(locales: Path, language: str, key: str, text: str, file: str | None = None) -> Path:
    """A test recording of ``text`` for ``key`` in ``language``'s folder, with its manifest
    entry (appended), tied to ``text``; returns the file."""
    audio = audio_dir(locales, language)
    name = file or key.replace("/", ".") + ".wav"
    path = espeak_wav(audio / name, text)
    manifest = audio / MANIFEST
    previous = manifest.read_text(encoding="utf-8") if manifest.exists() else ""
    manifest.write_text(
        previous
        + f"{name}:\n"
        + f"  key: {key}\n"
        + f"  source_hash: {source_hash(text)}\n"
        + f'  recorded_by: "{TEST_SPEAKER}"\n'
        + "  recorded_on: 2026-12-03\n",
        encoding="utf-8",
    )
    return path


def manifest_line(locales: Path, language: str, file: str) -> int:
    """The line of ``file``'s entry in the manifest (where check must point)."""
    lines = (audio_dir(locales, language) / MANIFEST).read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if line == f"{file}:")


@pytest.fixture
def locales(tmp_path: Path) -> Path:
    """A copy of the shipped locales/ (the real catalogs), to add test audio to."""
    from conftest import ROOT

    copy = tmp_path / "locales"
    shutil.copytree(ROOT / "locales", copy)
    return copy
