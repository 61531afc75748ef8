"""The web simulator, through Flask's client (the API) and a real headless Chromium."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, TEST_CONFIG, chromium_path, launch_chromium, serving
from flask.testing import FlaskClient
from interface_text import untranslated

from outreach import create_app

HEADERS = {"X-Outreach-Simulator": "1"}
SCREENSHOTS = ROOT / "tests" / "screenshots"


def say(client: FlaskClient, text: str, **extra: Any) -> dict[str, Any]:
    body = {"id": os.urandom(8).hex(), "text": text, "channel": "sms", **extra}
    response = client.post("/simulator/messages", json=body, headers=HEADERS)
    assert response.status_code == 200, response.data
    data: dict[str, Any] = response.get_json()
    return data


def test_messages_come_back_with_their_sms_cost(client: FlaskClient) -> None:
    reply = say(client, "hola", language="es")
    first = reply["messages"][0]
    assert first["text"].startswith("Hola. Servicio sobre migracion")
    assert first["encoding"] == "GSM-7"
    assert first["segments"] >= 1 and first["characters"] > 0
    assert "Riesgos" in say(client, "1")["messages"][0]["text"]


def test_whatsapp_rendering_keeps_accents_and_has_no_segments(client: FlaskClient) -> None:
    reply = say(client, "hola", channel="whatsapp", language="es")
    assert "migración" in reply["messages"][0]["text"]
    assert reply["messages"][0]["encoding"] is None


def test_the_chosen_language_is_used_from_the_first_message(client: FlaskClient) -> None:
    reply = say(client, "x", language="en")
    assert reply["messages"][0]["text"].startswith("Hello. A service about safe migration")


def test_a_repeated_message_id_is_answered_once(client: FlaskClient) -> None:
    body = {"id": "0123456789abcdef", "text": "hola", "channel": "sms", "language": "es"}
    first = client.post("/simulator/messages", json=body, headers=HEADERS).get_json()
    again = client.post("/simulator/messages", json=body, headers=HEADERS).get_json()
    assert again["repeated"] and again["messages"] == first["messages"]


def test_reset_forgets_the_conversation(client: FlaskClient) -> None:
    say(client, "hola", language="es")
    say(client, "3")
    assert client.post("/simulator/reset", json={}, headers=HEADERS).status_code == 200
    reply = say(client, "x")
    assert "Elija su idioma" in reply["messages"][0]["text"]  # a new resident again


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ({"id": "0123456789abcdef", "text": "hola"}, {}),  # a cross-site form cannot add it
        ({"id": "short", "text": "hola"}, HEADERS),
        ({"id": "0123456789abcdef", "text": 5}, HEADERS),
        ({"id": "0123456789abcdef", "text": "x", "channel": "fax"}, HEADERS),
        (["not", "an", "object"], HEADERS),
    ],
)
def test_bad_requests_are_refused(client: FlaskClient, body: Any, headers: dict[str, str]) -> None:
    assert client.post("/simulator/messages", json=body, headers=headers).status_code == 400


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[str]:
    app = create_app(TEST_CONFIG | {"DATABASE": str(tmp_path / "outreach.sqlite3")})
    with serving(app) as base:
        yield base


@pytest.mark.skipif(
    chromium_path() is None,
    reason="Chromium is not installed; `make test` "
    "installs it where it can (apt), and CI always has it",
)
def test_a_newcomer_walks_the_menus_in_a_real_browser(live_server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1000, "height": 800}, locale="en-US")
        page.goto(live_server + "/")
        expect(page.get_by_role("heading", name="outreach simulator")).to_be_visible()
        page.get_by_label("Language").select_option("en")
        page.get_by_label("Message").fill("hello")
        page.get_by_role("button", name="Send").click()
        bot = page.locator("li.bot")
        expect(bot.first).to_contain_text("Hello. A service about safe migration")
        expect(bot.first.locator(".badge")).to_contain_text("GSM-7")
        page.get_by_label("Message").fill("1")
        page.keyboard.press("Enter")
        expect(bot.last).to_contain_text("Risks. Choose a topic")
        page.screenshot(path=str(SCREENSHOTS / "simulator-sms.png"))

        page.get_by_label("WhatsApp").check()
        page.get_by_label("Language").select_option("es")  # a new conversation
        expect(page.locator("li")).to_have_count(0)
        page.get_by_label("Message").fill("hola")
        page.keyboard.press("Enter")
        expect(bot.first).to_contain_text("migración segura")
        expect(bot.first.locator(".badge")).to_have_text("WhatsApp")
        page.get_by_label("Message").fill("3")
        page.keyboard.press("Enter")
        expect(bot.last).to_contain_text("¿En qué departamento vive?")
        page.screenshot(path=str(SCREENSHOTS / "simulator-whatsapp.png"))

        page.set_viewport_size({"width": 390, "height": 844})  # a phone screen
        page.screenshot(path=str(SCREENSHOTS / "simulator-phone.png"))
        browser.close()


def test_a_visitor_cannot_fetch_another_visitors_reply(app: Any) -> None:
    first, second = app.test_client(), app.test_client()
    body = {"id": "sharedid0123", "text": "hola", "channel": "sms", "language": "es"}
    assert first.post("/simulator/messages", json=body, headers=HEADERS).status_code == 200
    reply = second.post("/simulator/messages", json=body, headers=HEADERS).get_json()
    assert reply["repeated"] is False


def test_a_resident_of_huehuetenango_is_offered_only_programmes_serving_it(
    client: FlaskClient,
) -> None:
    say(client, "hola", language="es")
    say(client, "3")
    say(client, "Huehuetenango")
    shown = []
    reply = say(client, "1")  # jobs
    while True:
        text = "\n".join(m["text"] for m in reply["messages"])
        shown.append(text)
        if "MAS: ver el siguiente." not in text:
            break
        reply = say(client, "mas")
    listing = "\n".join(shown)
    assert "Trabajo Temporal en el Extranjero" in listing
    assert "San Pedro Pinula" not in listing  # it serves Jalapa only
    # Every job programme of the directory: shown exactly when it serves Huehuetenango.
    from outreach.service.content import load_flows
    from outreach.sms.shaping import shape

    flows = load_flows(ROOT / "flows")
    programmes = [p for d in flows.directories.values() for p in d.programmes]
    jobs = [p for p in programmes if p.kind == "jobs"]
    assert len(jobs) >= 4
    for programme in jobs:
        serves = programme.departments is None or "Huehuetenango" in programme.departments
        name = shape(programme.name, "es", "sms", flows.deployment.sms)  # as the SMS has it
        assert (name in listing) == serves, programme.name


def test_the_simulator_page_speaks_spanish_or_english(client: FlaskClient) -> None:
    """Its own words (not the flows', which come from their catalogs): chosen as the
    dashboard's, by ?ui= or the browser's preference; the Spanish has nothing else."""
    spanish = client.get("/simulator/", headers={"Accept-Language": "es-GT"})
    html = spanish.get_data(as_text=True)
    assert '<html lang="es">' in html and "Enviar" in html
    assert untranslated(html) == []
    english = client.get("/simulator/?ui=en").get_data(as_text=True)
    assert '<html lang="en">' in english and ">Send<" in english
    # The choice outlasts the browser's preference.
    again = client.get("/simulator/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="en">' in again


@pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed")
def test_the_simulator_in_spanish_and_english_in_a_real_browser(live_server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_context(locale="es-GT").new_page()
        page.goto(live_server + "/simulator/")
        expect(page.get_by_role("heading", name="simulador de outreach")).to_be_visible()
        page.get_by_label("Mensaje").fill("hola")
        page.get_by_role("button", name="Enviar").click()
        badge = page.locator("li.bot .badge").first
        expect(badge).to_contain_text("caracteres")
        # The alerts flow's "Listo", and the page saying what really happened here.
        for text in ("ALERTAS", "Huehuetenango", "1"):
            page.get_by_label("Mensaje").fill(text)
            page.keyboard.press("Enter")
        expect(page.locator("li.bot").last).to_contain_text("Listo: le avisaremos")
        expect(page.locator("li.note.simulated")).to_contain_text("no se suscribió a nadie")
        page.get_by_label("WhatsApp").check()
        page.get_by_label("Mensaje").fill("menu")
        page.keyboard.press("Enter")
        expect(page.locator("li.bot .badge").last).to_have_text("WhatsApp")
        # Every word the page wrote, the script's included, is the catalog's Spanish; the
        # flows' texts and names (GSM-7, SMS, WhatsApp) are marked as data.
        assert untranslated(page.content()) == []
        page.get_by_role("link", name="English").click()
        expect(page.get_by_role("button", name="Send")).to_be_visible()
        page.get_by_label("Message").fill("hola")
        page.get_by_role("button", name="Send").click()
        expect(page.locator("li.bot .badge").first).to_contain_text("characters")
        page.screenshot(path=str(SCREENSHOTS / "simulator-en.png"))
        browser.close()


def test_alerts_in_the_simulator_say_that_nobody_is_subscribed(app: Any) -> None:
    """The alerts flow answers "Listo" in the simulator too, but there is no number to
    send to: nothing is kept, and the page says so rather than let the "Listo" stand,
    while the same turns on SMS keep a subscription (as the note says they would)."""
    from twilio_helpers import Phone

    client = app.test_client()
    client.get("/simulator/?ui=es")
    say(client, "hola", language="es")
    assert say(client, "ALERTAS")["notes"] == []  # the notice: nothing asked yet
    say(client, "Huehuetenango")
    reply = say(client, "1")
    assert reply["messages"][0]["text"].startswith("Listo: le avisaremos de estafas")
    assert reply["notes"] == [
        "Simulado: por SMS o WhatsApp, esto suscribiría el número de la persona (guardado "
        "cifrado) a estas alertas. El simulador no tiene número: no se suscribió a nadie, "
        "no se guardó nada y no se enviará ninguna alerta."
    ]
    db = sqlite3.connect(app.config["DATABASE"])
    try:
        assert db.execute("SELECT count(*) FROM subscriptions").fetchone() == (0,)
        ended = say(client, "ALERTAS NO")
        assert ended["notes"] == [
            "Simulado: el simulador no suscribe a nadie, así que no había ninguna "
            "suscripción ni ningún número que borrar."
        ]
        english = app.test_client()
        english.get("/simulator/?ui=en")
        for text in ("hola", "ALERTAS", "Huehuetenango"):
            say(english, text, language="es")
        assert say(english, "2")["notes"][0].startswith("Simulated: on SMS or WhatsApp")

        phone = Phone(app.test_client())  # the real webhook, signed: a subscription kept
        for text in ("hola", "ALERTAS", "Huehuetenango", "1"):
            phone.says(text)
        assert db.execute("SELECT count(*) FROM subscriptions").fetchone() == (1,)
    finally:
        db.close()
