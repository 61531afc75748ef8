"""The audio route, tried as an attacker would: only files a manifest lists are served,
whatever the path says. Real WAV files (espeak-ng test data), the real app, and a real
HTTP server for raw paths no client would normalise."""

from __future__ import annotations

import http.client
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from audio_helpers import espeak_wav, locales, record
from conftest import TEST_CONFIG, serving
from flask import Flask
from werkzeug.test import TestResponse

from outreach import create_app
from outreach.voice.recordings import LiveRecordings, Recording, audio_dir, source_hash
from outreach.web.voice_audio import audio_url

__all__ = ["locales"]  # a fixture

TEXT = "Gracias por llamar. Hasta pronto."
KEY = "voice/goodbye"


@pytest.fixture
def app(locales: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    for name in list(os.environ):
        if name.startswith("OUTREACH_"):
            monkeypatch.delenv(name)
    record(locales, "quc", KEY, TEXT)
    espeak_wav(audio_dir(locales, "quc") / "stray.wav", "Hola.")  # not in the manifest
    secret = tmp_path / "secret.txt"
    secret.write_text("not for callers\n", encoding="utf-8")
    yield create_app(
        TEST_CONFIG
        | {
            "DATABASE": str(tmp_path / "outreach.sqlite3"),
            "LOCALES_DIR": str(locales),
            "CATALOG_CHECK_SECONDS": 0,
        }
    )


class Client:
    """The app's test client, each response read and closed (send_file opens the file)."""

    def __init__(self, app: Flask) -> None:
        self.client: Client = app.test_client()

    def get(self, path: str, headers: dict[str, str] | None = None) -> TestResponse:
        response = self.client.get(path, headers=headers)
        response.get_data()
        response.close()
        return response


@pytest.fixture
def client(app: Flask) -> Client:
    return Client(app)


def test_a_listed_recording_is_served_as_audio_and_cacheable(client: Client, locales: Path) -> None:
    path = audio_dir(locales, "quc") / "voice.goodbye.wav"
    response = client.get("/voice/audio/quc/voice.goodbye.wav")
    assert response.status_code == 200
    assert response.mimetype == "audio/wav"
    assert response.data == path.read_bytes()
    assert response.cache_control.public and response.cache_control.max_age == 300
    etag = response.headers["ETag"]
    again = client.get("/voice/audio/quc/voice.goodbye.wav", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_a_versioned_url_is_cached_for_good_and_only_for_its_version(
    app: Flask, client: Client, locales: Path
) -> None:
    path = audio_dir(locales, "quc") / "voice.goodbye.wav"
    with app.test_request_context():
        url = audio_url(Recording(KEY, "quc", path, 2.0, source_hash(TEXT)))
    assert url == f"/voice/audio/quc/voice.goodbye.wav?v={source_hash(TEXT)}"
    response = client.get(url)
    assert response.status_code == 200
    assert response.cache_control.immutable and response.cache_control.max_age > 86400
    other = source_hash("Adiós.")
    assert client.get(f"/voice/audio/quc/voice.goodbye.wav?v={other}").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/voice/audio/quc/stray.wav",  # beside the manifest, not in it
        "/voice/audio/quc/manifest.yaml",
        "/voice/audio/kek/voice.goodbye.wav",  # another language's folder
        "/voice/audio/quc/..%2F..%2F..%2Fsecret.txt",
        "/voice/audio/quc/%2e%2e%2fmanifest.yaml",
        "/voice/audio/..%2Fquc/voice.goodbye.wav",
        "/voice/audio/quc/%2Fetc%2Fpasswd",
        "/voice/audio/quc/..%5C..%5Csecret.txt",
        "/voice/audio/quc/voice.goodbye.wav%00.txt",
        "/voice/audio/quc/voice.goodbye.wav/",
        "/voice/audio/quc/LC_MESSAGES/flows.po",
        "/voice/audio/quc%2FLC_MESSAGES/flows.po",
        "/voice/audio/quc/.",
    ],
)
def test_nothing_else_is_served(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code in (404, 308) and b"RIFF" not in response.data
    if response.status_code == 308:  # Werkzeug's redirect of a trailing slash: to a 404
        assert client.get(response.headers["Location"]).status_code == 404


@pytest.mark.parametrize(
    "raw",
    [
        "/voice/audio/quc/../../../secret.txt",
        "/voice/audio/quc/../LC_MESSAGES/flows.po",
        "/voice/audio/../../secret.txt",
        "/voice/audio/quc/./manifest.yaml",
        "/voice/audio/quc//etc/passwd",
    ],
)
def test_raw_paths_on_a_real_server_get_nothing(app: Flask, raw: str) -> None:
    with serving(app) as url:
        host, port = url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.putrequest("GET", raw, skip_host=False)  # sent exactly as written
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
        connection.close()
    assert response.status in (404, 308), (raw, response.status)
    assert b"not for callers" not in body and b"msgid" not in body and b"key:" not in body


def test_a_manifest_entry_that_is_a_link_out_of_its_folder_is_not_served(
    app: Flask, client: Client, locales: Path, tmp_path: Path
) -> None:
    outside = espeak_wav(tmp_path / "elsewhere.wav", "Hola.")
    audio = audio_dir(locales, "quc")
    (audio / "linked.wav").symlink_to(outside)
    record_entry = (audio / "manifest.yaml").read_text(encoding="utf-8")
    (audio / "manifest.yaml").write_text(
        record_entry.replace("voice.goodbye.wav:", "linked.wav:\n  key: voice/back\n"
                             f"  source_hash: {source_hash('x')}\n  recorded_by: t\n"
                             "  recorded_on: 2026-12-03\nvoice.goodbye.wav:"),
        encoding="utf-8",
    )  # fmt: skip
    assert client.get("/voice/audio/quc/linked.wav").status_code == 404
    assert client.get("/voice/audio/quc/voice.goodbye.wav").status_code == 200


def test_a_new_recording_is_served_without_a_restart(
    app: Flask, client: Client, locales: Path
) -> None:
    assert client.get("/voice/audio/kek/voice.goodbye.wav").status_code == 404
    record(locales, "kek", KEY, TEXT)
    assert client.get("/voice/audio/kek/voice.goodbye.wav").status_code == 200


def test_the_call_plays_the_same_recordings(app: Flask) -> None:
    live = app.extensions["outreach.voice_recordings"]
    assert isinstance(live, LiveRecordings)
    found = live.current(KEY, "quc", TEXT)
    assert found is not None and found.path.name == "voice.goodbye.wav"
    assert live.current(KEY, "quc", "Adiós.") is None  # stale for another text
