"""A call plays the recordings there are, in the caller's language, then Spanish, then
speaks the Spanish text; what it plays is served at the URL Twilio is given."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from audio_helpers import record
from conftest import PUBLIC_URL, ROOT, TEST_CONFIG
from voice_helpers import Caller

from outreach import create_app


def test_recordings_first_in_the_callers_language_then_spanish_then_speech(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.startswith("OUTREACH_"):
            monkeypatch.delenv(key)
    locales = tmp_path / "locales"
    shutil.copytree(ROOT / "locales", locales)
    # TEST DATA: espeak-ng reading the Spanish, filed as K'iche' and as Spanish.
    record(locales, "quc", "voice/language_name", "Español.")  # its name, in K'iche'
    record(locales, "quc", "main/menu", "¿Sobre qué quiere saber?")
    record(locales, "es", "main/menu/option/1", "Riesgos de migrar")
    record(locales, "quc", "main/menu/option/2", "Caminos de antes")  # stale: another text
    app = create_app(TEST_CONFIG | {
        "LOCALES_DIR": str(locales), "DATABASE": str(tmp_path / "a.sqlite3"),
        # One recording in K'iche' is enough to offer it in this test.
        "VOICE_MIN_COVERAGE": 0.1,
    })  # fmt: skip
    client = app.test_client()
    caller = Caller(client)
    first = caller.call()
    assert [kind for kind, _ in first.sounds] == ["say", "play", "say"]
    assert urlsplit(first.sounds[1][1]).path == "/voice/audio/quc/voice.language_name.wav"
    assert first.text == "Español. Marque 1. Marque 2."
    menu = caller.press("2")
    plays = [text for kind, text in menu.sounds if kind == "play"]
    assert [urlsplit(url).path for url in plays] == [
        "/voice/audio/quc/main.menu.wav", "/voice/audio/es/main.menu.option.1.wav"
    ]  # fmt: skip
    assert all(url.startswith(PUBLIC_URL) and "?v=" in url for url in plays)
    kinds = [kind for kind, _ in menu.sounds]
    # The keys (spoken), the K'iche' prompt, the Spanish option, then speech of the rest:
    # the stale K'iche' recording of option 2 is not played.
    assert kinds[:4] == ["say", "play", "play", "say"]
    assert "Caminos legales. Marque 2." in menu.text
    for url in plays:  # what Twilio fetches is served
        parts = urlsplit(url)
        response = client.get(parts.path + "?" + parts.query)
        response.close()  # the file it streams
        assert response.status_code == 200 and response.mimetype == "audio/wav"
