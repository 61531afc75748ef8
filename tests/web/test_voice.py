"""The voice webhooks: signed calls only, the flows read out and answered by keypad."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from conftest import TEST_CONFIG, write_flows
from flask import Flask
from flask.testing import FlaskClient
from voice_helpers import QUESTIONS, Caller

from outreach import create_app


def test_an_unsigned_call_is_refused(client: FlaskClient) -> None:
    caller = Caller(client)
    for path in ("/twilio/voice", "/twilio/voice/step?s=1", "/twilio/voice/status"):
        response = client.post(
            path, data=urlencode(caller.params("1")),
            content_type="application/x-www-form-urlencoded",
        )  # fmt: skip
        assert response.status_code == 403, path
        bad = client.post(
            path, data=urlencode(caller.params("1")),
            headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},
            content_type="application/x-www-form-urlencoded",
        )  # fmt: skip
        assert bad.status_code == 403, path


def test_a_call_reads_the_menu_and_a_key_chooses(client: FlaskClient) -> None:
    caller = Caller(client)
    first = caller.call()
    assert first.gather["input"] == "dtmf"
    assert first.gather["numDigits"] == "1"
    assert first.gather["timeout"] == "6"
    # The keys are stated at the start, then the welcome and the main menu.
    assert first.text.startswith("En cualquier momento, marque 0 para volver al menú")
    assert "¿Sobre qué quiere saber?" in first.text
    assert "Riesgos de migrar. Marque 1." in first.text
    assert "Emergencias y números. Marque 5." in first.text
    risks = caller.press("1")
    assert "Riesgos de migrar" not in risks.text or "Marque 1." in risks.text
    assert risks.action is not None and "s=2" in risks.action
    assert risks.text != first.text


def rows(app: Flask, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(app.config["DATABASE"])
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def counts(app: Flask) -> dict[str, int]:
    tables = ("events", "processed_messages", "residents", "calls")
    return {t: int(rows(app, f"SELECT count(*) FROM {t}")[0][0]) for t in tables}  # type: ignore[call-overload]


def test_a_retried_step_says_the_same_and_changes_nothing(app: Flask, client: FlaskClient) -> None:
    caller = Caller(client)
    first = caller.call()
    assert caller.call().xml == first.xml  # Twilio retried the call's first request
    assert first.action is not None
    before = counts(app)
    risks = caller.post(first.action, "1")
    after = counts(app)
    assert after["events"] > before["events"]
    for _ in range(3):
        again = caller.post(first.action, "1")
        assert again.xml == risks.xml
        assert counts(app) == after
    # Keys that need no engine (a page, repeat, the end menu) are the same when retried.
    assert risks.action is not None
    repeat = caller.post(risks.action, "*")
    assert caller.post(risks.action, "*").xml == repeat.xml
    assert counts(app) == after


def test_no_key_says_the_prompt_once_more_then_goodbye(client: FlaskClient) -> None:
    caller = Caller(client)
    first = caller.call()
    again = caller.press("")
    assert again.text.startswith("No recibimos ninguna tecla.")
    assert "¿Sobre qué quiere saber?" in again.text
    assert not again.hangup
    # A key in between starts the count again.
    assert "m=0" in (caller.press("*").action or "")
    caller.press("")
    last = caller.press("")
    assert last.hangup and last.action is None
    assert last.text == "No recibimos ninguna tecla. Gracias por llamar. Hasta pronto."
    assert first.text in again.text


def test_repeat_and_a_key_that_is_no_option(client: FlaskClient) -> None:
    caller = Caller(client)
    first = caller.call()
    assert caller.press("*").text == first.text
    wrong = caller.press("7")  # the main menu has five options
    assert wrong.text == "Esa tecla no es una de las opciones. " + first.text


def test_the_end_key_ends_the_call(client: FlaskClient) -> None:
    caller = Caller(client)
    caller.call()
    end = caller.press("#")
    assert end.text.startswith("Para terminar la llamada, marque numeral otra vez.")
    back = caller.press("1")  # any other key: back to the prompt
    assert "¿Sobre qué quiere saber?" in back.text
    caller.press("#")
    bye = caller.press("#")
    assert bye.hangup and bye.text == "Gracias por llamar. Hasta pronto."


def test_borrar_by_keypad_erases_the_resident(app: Flask, client: FlaskClient) -> None:
    caller = Caller(client)
    caller.call()
    caller.press("3")  # programmes: asks the department
    caller.press("1")  # Alta Verapaz
    assert rows(app, "SELECT department FROM residents") == [("Alta Verapaz",)]
    caller.press("#")
    erased = caller.press("7")
    assert erased.hangup
    assert "Borramos todos sus datos." in erased.text
    assert erased.text.endswith("Gracias por llamar. Hasta pronto.")
    assert rows(app, "SELECT count(*) FROM residents") == [(0,)]
    assert rows(app, "SELECT count(*) FROM events") == [(0,)]
    # The next call is a new resident's: welcome again.
    again = Caller(client, sid="CA" + "2" * 32).call()
    assert "marque 0 para volver al menú" in again.text


def test_a_list_is_read_in_pages(client: FlaskClient) -> None:
    caller = Caller(client)
    caller.call()
    first = caller.press("3")
    assert "Alta Verapaz. Marque 1." in first.text
    assert "Guatemala" not in first.text.split("Alta Verapaz")[1]
    assert "Para escuchar más opciones: Marque 8." in first.text
    assert "Para volver a las opciones anteriores" not in first.text
    second = caller.press("8")
    assert second.text.startswith("Guatemala. Marque 1. Huehuetenango. Marque 2.")
    assert "Para volver a las opciones anteriores: Marque 7." in second.text
    last = caller.press("8")
    last = caller.press("8")
    assert "Zacapa. Marque 4." in last.text and "Marque 8" not in last.text
    back = caller.press("7")
    assert back.text.startswith("Quetzaltenango. Marque 1.")
    chosen = caller.press("3")  # Retalhuleu
    assert "¿Qué busca en Retalhuleu?" in chosen.text


def test_the_status_callback_counts_the_call_and_keeps_no_number(
    app: Flask, client: FlaskClient
) -> None:
    caller = Caller(client)
    caller.call()
    caller.press("1")
    assert caller.status("completed", 47).status_code == 200
    assert caller.status("completed", 47).status_code == 200  # retried: still one row
    [(call_id, language, flow, seconds, completed, status)] = rows(
        app, "SELECT id, language, flow, seconds, completed, status FROM calls"
    )
    assert call_id != caller.sid and caller.sid not in str(call_id)
    assert (language, flow, seconds, completed, status) == ("es", "risks", 47, 1, "completed")
    Caller(client, sid="CA" + "3" * 32).status("no-answer", 0)
    assert rows(app, "SELECT completed, status FROM calls WHERE status = 'no-answer'") == [
        (0, "no-answer")
    ]
    # Nothing in the database holds the number or the CallSid.
    database = Path(app.config["DATABASE"])
    for path in database.parent.glob(database.name + "*"):
        data = path.read_bytes()
        for secret in (caller.number, caller.number[1:], caller.number[-8:], caller.sid):
            assert secret.encode() not in data, (path.name, secret)


@pytest.fixture
def questions_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FlaskClient]:
    for key in list(os.environ):
        if key.startswith("OUTREACH_"):
            monkeypatch.delenv(key)
    folder = write_flows(tmp_path / "flows", {"main.yaml": QUESTIONS})
    app = create_app(
        TEST_CONFIG | {"FLOWS_DIR": str(folder), "DATABASE": str(tmp_path / "q.sqlite3")}
    )
    yield app.test_client()


def test_a_typed_question_is_skipped_with_a_word_and_yes_no_is_two_keys(
    questions_client: FlaskClient,
) -> None:
    caller = Caller(questions_client)
    caller.call()
    city = caller.press("2")
    assert city.text.startswith("¿Ciudad? Esta pregunta se responde por escrito")
    assert city.text.endswith("Elija: Uno. Marque 1. Ciudad. Marque 2. Acuerdo. Marque 3. "
                              "Hijos. Marque 4. Edad. Marque 5.")  # fmt: skip
    assert caller.post(caller_action(city, caller), "2").xml == city.xml  # retried: the same
    agree = caller.press("3")
    assert agree.text == "¿De acuerdo? Sí. Marque 1. No. Marque 2."
    # "si" saved, and the flow has nothing after it: the call says what keys do now.
    over = caller.press("1")
    assert over.text.startswith("En cualquier momento, marque 0 para volver al menú")
    assert "Elija:" in caller.press("0").text
    assert caller.press("4").text == (
        "¿Cuántos hijos? Marque 1. Marque 2. Marque 3. Marque 4. Marque 5."
    )


def caller_action(prompt: object, caller: Caller) -> str:
    """The action the prompt before ``prompt`` posted to (retrying that step)."""
    assert caller.previous is not None
    return caller.previous


@dataclass(frozen=True)
class NameRecording:
    language: str
    path: Path
    source_hash: str = ""


class CoverageOnly:
    """K'iche' recorded all through (coverage); of its files only its name is played."""

    def current(self, key: str, language: str, source_text: str) -> NameRecording | None:
        if (key, language) == ("voice/language_name", "quc"):
            return NameRecording("quc", Path("voice.language_name.wav"))
        return None

    def coverage(self, language: str, sources: Mapping[str, str]) -> float:
        return 100.0 if language == "quc" else 0.0


def test_the_first_call_chooses_a_language_offered_by_recordings(
    app: Flask, client: FlaskClient
) -> None:
    app.extensions["outreach.voice_recordings"] = CoverageOnly()
    caller = Caller(client)
    first = caller.call()
    # Each name in its own language (K'iche' by its recording, never the Spanish voice
    # reading "K'iche'"), no Spanish sentence before it.
    assert [kind for kind, _ in first.sounds] == ["say", "play", "say"]
    assert first.text == "Español. Marque 1. Marque 2."
    assert "/voice/audio/quc/voice.language_name.wav" in first.sounds[1][1]
    chosen = caller.press("2")
    assert chosen.text.startswith("En cualquier momento, marque 0")
    assert "¿Sobre qué quiere saber?" in chosen.text  # no K'iche' audio yet: Spanish
    assert rows(app, "SELECT language FROM residents") == [("quc",)]
    # The next call knows the language: straight to the menu.
    again = Caller(client, sid="CA" + "4" * 32).call()
    assert again.text.startswith("En cualquier momento")
    # 9 at any prompt: the language menu again.
    changed = caller.press("9")
    assert "Español. Marque 1. Marque 2." in changed.text
    back = caller.press("1")
    assert rows(app, "SELECT language FROM residents") == [("es",)]
    assert "¿Sobre qué quiere saber?" in back.text


def test_a_resident_who_said_baja_hears_so_and_the_call_ends(client: FlaskClient) -> None:
    from twilio_helpers import Phone

    phone = Phone(client)  # the same number as the caller's
    phone.says("hola")
    phone.says("baja")
    call = Caller(client).call()
    assert call.hangup
    assert call.text == (
        "No le enviaremos mensajes. Si cambia de idea, escriba ALTA. "
        "Gracias por llamar. Hasta pronto."
    )
