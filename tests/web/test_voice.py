"""The voice webhooks: signed calls only, the flows read out and answered by keypad."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask
from flask.testing import FlaskClient
from voice_helpers import Caller


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
