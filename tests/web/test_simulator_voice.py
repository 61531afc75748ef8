"""The simulator's voice mode: a call through the same Calls service as Twilio's voice
webhooks, by its JSON API (Flask's client) and in a real headless Chromium."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import ROOT, TEST_CONFIG, chromium_path, launch_chromium, serving
from flask import Flask
from flask.testing import FlaskClient
from interface_text import untranslated
from voice.audio_helpers import record  # tests/voice/, from another folder
from voice_helpers import Caller

from outreach import create_app
from outreach.voice.recordings import source_hash

HEADERS = {"X-Outreach-Simulator": "1"}
SCREENSHOTS = ROOT / "tests" / "screenshots"


class SimulatedCall:
    """The simulator page's side of a call: the state of the next step, as it is given."""

    def __init__(self, client: FlaskClient, call: str | None = None) -> None:
        self.client = client
        self.call = call or os.urandom(8).hex()
        self.state: dict[str, str] | None = None
        self.ended = False

    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post("/simulator/call", json=body, headers=HEADERS)
        assert response.status_code == 200, response.data
        data: dict[str, Any] = response.get_json()
        return data

    def start(self) -> dict[str, Any]:
        return self._answer(self.post({"call": self.call}))

    def press(self, key: str) -> dict[str, Any]:
        assert not self.ended, "the call is over"
        return self._answer(self.post({"call": self.call, "state": self.state, "digits": key}))

    def _answer(self, reply: dict[str, Any]) -> dict[str, Any]:
        self.state = reply["state"]
        self.ended = reply["state"] is None
        return reply


def said(reply: dict[str, Any]) -> list[tuple[str, str]]:
    """A simulator answer as ("say", text) and ("play", path), as the TwiML has them."""
    out = []
    for sound in reply["sounds"]:
        if "play" in sound:
            out.append(("play", urlsplit(sound["play"]).path))
        else:
            out.append(("say", " ".join(sound["say"])))
    return out


def twiml_said(prompt: Any) -> list[tuple[str, str]]:
    return [(kind, urlsplit(v).path if kind == "play" else v) for kind, v in prompt.sounds]


@pytest.fixture
def recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """An app whose calls offer K'iche' by a few test recordings (TEST DATA: espeak-ng
    reading the Spanish, filed as K'iche' and as Spanish), as tests/voice do."""
    for key in list(os.environ):
        if key.startswith("OUTREACH_"):
            monkeypatch.delenv(key)
    locales = tmp_path / "locales"
    shutil.copytree(ROOT / "locales", locales)
    record(locales, "quc", "voice/language_name", "Español.")
    record(locales, "quc", "main/menu", "¿Sobre qué quiere saber?")
    record(locales, "es", "main/menu/option/1", "Riesgos de migrar")
    return create_app(TEST_CONFIG | {
        "LOCALES_DIR": str(locales), "DATABASE": str(tmp_path / "sim.sqlite3"),
        "VOICE_MIN_COVERAGE": 0.1,  # one recording in K'iche' is enough to offer it here
    })  # fmt: skip


KEYS = ["2", "1", "*", "5", "0", "9", "1", "3", "8", "7", "", "#", "4", "#", "#"]


def test_a_simulated_call_says_what_the_voice_webhooks_say(recorded: Flask) -> None:
    """The same keys give the same sounds, in the same order, as Twilio's signed
    requests to /twilio/voice: the simulator is the call, not an imitation of it."""
    phone = Caller(recorded.test_client())
    simulator = SimulatedCall(recorded.test_client())
    assert said(simulator.start()) == twiml_said(phone.call())
    for key in KEYS:
        reply = simulator.press(key)
        prompt = phone.press(key)
        assert said(reply) == twiml_said(prompt), key
        assert simulator.ended == prompt.hangup, key
        if prompt.hangup:
            break
    assert simulator.ended, "the end key twice hangs up"


def test_recordings_are_played_from_the_audio_route_and_speech_shown_as_text(
    recorded: Flask,
) -> None:
    client = recorded.test_client()
    call = SimulatedCall(client)
    menu = call.start()["sounds"]  # a new caller: the language menu, by keypad
    assert menu[0] == {"say": ["Español.", "Marque 1."]}
    name = menu[1]
    assert urlsplit(name["play"]).path == "/voice/audio/quc/voice.language_name.wav"
    assert name["language"] == "quc" and name["text"] == "Español."
    assert menu[2] == {"say": ["Marque 2."]}
    sounds = call.press("2")["sounds"]  # K'iche'
    plays = [s["play"] for s in sounds if "play" in s]
    assert [urlsplit(p).path for p in plays] == [
        "/voice/audio/quc/main.menu.wav", "/voice/audio/es/main.menu.option.1.wav",
    ]  # fmt: skip
    for path in plays:  # what the page's <audio> asks for is served, relative to the page
        assert not urlsplit(path).netloc
        response = client.get(path)
        response.close()
        assert response.status_code == 200 and response.mimetype == "audio/wav"
    spoken = [line for s in sounds if "say" in s for line in s["say"]]
    assert "Caminos legales." in spoken and "Marque 2." in spoken


def test_a_simulated_call_counts_as_the_simulator_not_as_a_call(recorded: Flask) -> None:
    """Its turns are logged on the simulator's channel, as its messages are; the calls
    table (the voice figures) holds real calls only."""
    call = SimulatedCall(recorded.test_client())
    call.start()
    call.press("1")
    call.press("1")
    db = sqlite3.connect(recorded.config["DATABASE"])
    try:
        assert db.execute("SELECT count(*) FROM calls").fetchone() == (0,)
        channels = {row[0] for row in db.execute("SELECT DISTINCT channel FROM events")}
    finally:
        db.close()
    assert channels == {"web"}


def test_a_step_sent_again_is_answered_the_same_and_changes_nothing(client: FlaskClient) -> None:
    call = SimulatedCall(client)
    call.start()
    before = call.state
    first = call.press("1")
    again = call.post({"call": call.call, "state": before, "digits": "1"})
    assert again == first
    # The engine moved once: the next key answers the topics menu, not the main menu.
    assert "Riesgos" in said(first)[0][1]
    assert said(call.press("1"))[0][1].startswith("Nadie puede cobrarle por darle un trabajo")


def test_another_visitors_call_is_not_theirs(app: Flask) -> None:
    """The call id is scoped to the visitor's cookie: the same id and state from another
    browser is another call, of another resident, and never gets the first one's answer."""
    first = SimulatedCall(app.test_client(), "samecall0123")
    first.start()
    state = first.state
    risks = first.press("1")
    second = SimulatedCall(app.test_client(), "samecall0123")
    reply = second.post({"call": second.call, "state": state, "digits": "1"})
    assert reply != risks


@pytest.mark.parametrize(
    "body",
    [
        {"call": "short"},
        {"call": "not-alnum-0123"},
        {"call": "0123456789abcdef", "digits": "12"},
        {"call": "0123456789abcdef", "digits": "a"},
        {"call": "0123456789abcdef", "digits": 1},
        {"call": "0123456789abcdef", "state": ["s", "1"], "digits": "1"},
        {"call": "0123456789abcdef", "state": {"s": 1}, "digits": "1"},
    ],
)
def test_bad_call_requests_are_refused(client: FlaskClient, body: dict[str, Any]) -> None:
    assert client.post("/simulator/call", json=body, headers=HEADERS).status_code == 400


def test_a_cross_site_form_cannot_call(client: FlaskClient) -> None:
    response = client.post("/simulator/call", json={"call": "0123456789abcdef"})
    assert response.status_code == 400


def test_no_simulated_call_where_the_simulator_is_off(tmp_path: Path) -> None:
    app = create_app(TEST_CONFIG | {"DATABASE": str(tmp_path / "a.sqlite3"), "SIMULATOR": "off"})
    body = {"call": "0123456789abcdef"}
    assert app.test_client().post("/simulator/call", json=body, headers=HEADERS).status_code == 404


@pytest.fixture
def live_recorded(recorded: Flask) -> Iterator[str]:
    with serving(recorded) as base:
        yield base


@pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed")
def test_a_call_by_keypad_in_a_real_browser(live_recorded: str) -> None:
    """A call walked by keypad in Chromium, in Spanish: the language menu, a recording
    played by an <audio> whose file loads, a synthesised prompt shown as its text with its
    badge, and the call hung up; then the same in English."""
    from playwright.sync_api import expect, sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_context(locale="es-GT").new_page()
        page.goto(live_recorded + "/simulator/")
        page.get_by_label("Llamada de voz").check()
        expect(page.get_by_label("Idioma de la conversación")).to_be_disabled()
        page.get_by_role("button", name="Llamar").click()
        turns = page.locator("li.call-turn")
        # The language menu: Spanish by the synthesised voice, K'iche's name recorded.
        expect(turns).to_have_count(1)
        spanish = turns.first.locator(".sound.synthesised").first
        expect(spanish).to_contain_text("Español.")
        expect(spanish.locator(".badge")).to_have_text("voz sintetizada")
        expect(turns.first.locator(".sound.recorded audio")).to_have_count(1)
        expect(turns.first.locator(".sound.recorded .badge")).to_have_text("grabación · K'iche'")

        page.keyboard.press("2")  # the computer's key presses the keypad's: K'iche'
        expect(page.locator("li.resident").last).to_have_text("Marcó 2")
        expect(turns).to_have_count(2)
        menu = turns.last
        audio = menu.locator("audio").first
        version = source_hash("¿Sobre qué quiere saber?")
        expect(audio).to_have_attribute("src", "/voice/audio/quc/main.menu.wav?v=" + version)
        # The file loads and is sound: the browser read its header and knows its length.
        audio.evaluate(
            "a => a.readyState >= 1 || new Promise((ok, no) => {"
            " a.addEventListener('loadedmetadata', ok); a.addEventListener('error', no); })"
        )
        assert audio.evaluate("a => a.error === null && a.duration > 0")
        synthesised = menu.locator(".sound.synthesised").filter(has_text="Caminos legales")
        expect(synthesised.locator("li", has_text="Caminos")).to_have_text("Caminos legales.")
        expect(synthesised.locator(".badge")).to_have_text("voz sintetizada")
        assert untranslated(page.content()) == [], "every word of the page's own is Spanish"
        page.screenshot(path=str(SCREENSHOTS / "simulator-voice.png"))

        page.get_by_role("button", name="Tecla 1").click()  # risks
        expect(turns).to_have_count(3)
        expect(turns.last).to_contain_text("Trabajos falsos")
        page.get_by_role("button", name="Tecla numeral").click()
        expect(turns.last).to_contain_text("Para terminar la llamada, marque numeral otra vez.")
        page.keyboard.press("#")
        expect(turns.last).to_contain_text("Gracias por llamar. Hasta pronto.")
        expect(page.locator("li.note.ended")).to_have_text("La llamada terminó.")
        expect(page.get_by_role("button", name="Tecla 1")).to_be_disabled()
        expect(page.get_by_role("button", name="Colgar")).to_be_disabled()
        assert untranslated(page.content()) == []

        page.get_by_role("link", name="English").click()
        page.get_by_label("Voice call").check()
        page.get_by_role("button", name="Call").click()
        # The same resident: K'iche' was chosen, so no language menu this time.
        expect(turns).to_have_count(1)
        expect(turns.first.locator(".badge.synthesised").first).to_have_text("synthesised voice")
        page.get_by_role("button", name="Hang up").click()
        expect(page.locator("li.note.ended")).to_have_text("The call has ended.")
        browser.close()
