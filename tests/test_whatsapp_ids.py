"""WhatsApp senders without a phone number: Meta's business-scoped user ids (BSUIDs).

Since April 2026 a WhatsApp user may send no phone number at all; Twilio then posts
``From=whatsapp:GT.1502576394655843`` (a two-letter country code, a dot, letters and
digits). Such an address is as stable as a number: the resident gets the same keyed
pseudonym at every message, and an answer like anyone else; before, no answer at all.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from conftest import TEST_CONFIG
from flask import Flask
from flask.testing import FlaskClient
from twilio_helpers import RESIDENT, SERVICE, Phone, messages_of, post_signed

from outreach.privacy import pseudonymise, resident_address

#: Fictional, in the form Meta's documentation shows (the digits are made up).
BSUID = "GT.1502576394655843"
OTHER_BSUID = "GT.1502576394655899"


def residents(app: Flask) -> list[sqlite3.Row]:
    conn = sqlite3.connect(app.config["DATABASE"])
    conn.row_factory = sqlite3.Row
    try:
        return list(conn.execute("select * from residents"))
    finally:
        conn.close()


def test_a_bsuid_sender_gets_an_answer_and_a_keyed_pseudonym(
    app: Flask, client: FlaskClient
) -> None:
    phone = Phone(client, BSUID, whatsapp=True)
    welcome = phone.says("hola")
    assert any("CONTENIDO DE EJEMPLO" in text for text in welcome)
    # The conversation goes on: the same resident, in the menu the welcome led to.
    assert phone.says("2")[0].startswith("Caminos legales. Elija un tema:")
    [resident] = residents(app)
    key = str(TEST_CONFIG["PSEUDONYM_KEY"]).encode()
    assert resident["id"] == pseudonymise(key, BSUID)
    conn = sqlite3.connect(app.config["DATABASE"])
    try:
        channels = conn.execute(
            "select distinct channel from events where resident = ?", [resident["id"]]
        )
        assert [c for (c,) in channels] == ["whatsapp"]
    finally:
        conn.close()


def test_bsuid_senders_are_residents_of_their_own(app: Flask, client: FlaskClient) -> None:
    for sender in (Phone(client, BSUID, whatsapp=True), Phone(client, OTHER_BSUID, whatsapp=True)):
        assert sender.says("hola")
    assert Phone(client, RESIDENT, whatsapp=True).says("hola")
    assert len({r["id"] for r in residents(app)}) == 3


def test_the_bsuid_is_never_stored_or_logged(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    phone = Phone(client, BSUID, whatsapp=True)
    for text in ("hola", "3", "Huehuetenango"):
        phone.says(text)
    database = Path(app.config["DATABASE"])
    stored = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    for form in (BSUID, BSUID.split(".")[1], f"whatsapp:{BSUID}"):
        assert form.encode() not in stored, form
        assert form not in caplog.text, form


def test_an_opt_out_reported_for_a_bsuid_is_kept(app: Flask, client: FlaskClient) -> None:
    phone = Phone(client, BSUID, whatsapp=True)
    phone.says("hola")
    params = {
        "MessageSid": "SM" + "5" * 32,
        "MessageStatus": "failed",
        "ErrorCode": "21610",
        "To": f"whatsapp:{BSUID}",
        "From": f"whatsapp:{SERVICE}",
    }
    assert post_signed(client, "/twilio/status", params).status_code == 200
    assert residents(app)[0]["opted_out"] == 1
    assert phone.says("hola") == []


@pytest.mark.parametrize(
    "address",
    [
        BSUID,  # a BSUID is a WhatsApp identity: an SMS never comes from one
        "whatsapp:",
        "whatsapp:GT.",
        "whatsapp:GT 1502576394655843",
        "whatsapp:G.1502576394655843",
        "whatsapp:GT.15025763946558<script>",
        "whatsapp:GT." + "1" * 200,
    ],
)
def test_what_is_neither_a_number_nor_a_bsuid_is_still_ignored(
    client: FlaskClient, address: str
) -> None:
    assert resident_address(address) is None
    params = {"From": address, "Body": "hola", "MessageSid": "SM" + "6" * 32}
    assert messages_of(post_signed(client, "/twilio/messages", params)) == []


def test_resident_addresses() -> None:
    assert resident_address(f"whatsapp:{BSUID}") == BSUID
    assert resident_address(f" WhatsApp:{BSUID} ") == BSUID
    assert resident_address("whatsapp:US.13491208655302741918") == "US.13491208655302741918"
    assert resident_address("whatsapp:+502 5555 0100") == "+50255550100"
    assert resident_address("+50255550100") == "+50255550100"


def test_one_parser_says_which_channel_an_address_came_over() -> None:
    from outreach.privacy import channel_of

    assert channel_of("whatsapp:+50255550101") == "whatsapp"
    assert channel_of("  WhatsApp:+50255550102") == "whatsapp"
    assert channel_of("whatsapp:GT.1502576394655843") == "whatsapp"
    assert channel_of("+50255550103") == "sms"
