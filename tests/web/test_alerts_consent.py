"""Alert consent through the real webhook: only a subscriber's address is stored, sealed;
ALERTAS NO, BAJA and BORRAR remove it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from twilio_helpers import OTHER_RESIDENT, RESIDENT, Phone

from outreach.storage import connect
from outreach.storage.subscriptions import SubscriptionRow, subscriptions_of


def stored_bytes(app: Flask) -> bytes:
    database = Path(app.config["DATABASE"])
    return b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))


def subscriptions(app: Flask) -> list[SubscriptionRow]:
    db = connect(app.config["DATABASE"])
    rows = db.execute("SELECT * FROM subscriptions ORDER BY channel, topic").fetchall()
    return [SubscriptionRow(*row) for row in rows]


def subscribe(phone: Phone, department: str = "Quiché", topic: str = "1") -> None:
    phone.says("hola")
    assert any("¿En qué departamento" in m for m in phone.says("alertas"))
    phone.says(department)
    assert any(m.startswith("Listo:") for m in phone.says(topic))


def test_only_subscribers_have_an_address_and_only_sealed(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sms, whatsapp = Phone(client), Phone(client, OTHER_RESIDENT, whatsapp=True)
    sms.says("hola")
    sms.says("alertas")  # the notice, and no answer yet: no consent, nothing kept
    assert subscriptions(app) == []
    sms.says("Quiché")
    assert subscriptions(app) == []
    sms.says("1")
    subscribe(whatsapp, "Petén", "2")
    rows = subscriptions(app)
    assert [(r.topic, r.department, r.language, r.channel) for r in rows] == [
        ("scams", "Quiché", "es", "sms"),
        ("job_fairs", "Petén", "es", "whatsapp"),
    ]
    box = app.extensions["outreach.address_box"]
    assert [box.open(r.nonce, r.address, r.resident, r.channel) for r in rows] == [
        RESIDENT,
        f"whatsapp:{OTHER_RESIDENT}",
    ]
    db = connect(app.config["DATABASE"])
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    stored = stored_bytes(app)
    for number in (RESIDENT, OTHER_RESIDENT):
        digits = number.lstrip("+")
        for form in (number, digits, digits[3:], f"{digits[3:7]} {digits[7:]}"):
            assert form.encode() not in stored, form
            assert form not in caplog.text, form
    # Nothing else about the resident changed: the department is the field they gave.
    (department,) = db.execute("SELECT department FROM residents WHERE id = ?",
                               [rows[0].resident]).fetchone()  # fmt: skip
    assert department == "Quiché"


@pytest.mark.parametrize("word", ["alertas no", "ALERTAS NO", "baja", "borrar"])
def test_alertas_no_baja_and_borrar_remove_the_address(
    app: Flask, client: FlaskClient, word: str
) -> None:
    phone, other = Phone(client), Phone(client, OTHER_RESIDENT)
    subscribe(phone)
    phone.says("alertas")
    phone.says("2")
    subscribe(other)
    assert len(subscriptions(app)) == 3
    phone.says(word)
    left = subscriptions(app)
    assert len(left) == 1  # only the other resident's subscription stays
    assert len(subscriptions_of(connect(app.config["DATABASE"]), left[0].resident)) == 1
    box = app.extensions["outreach.address_box"]
    assert box.open(left[0].nonce, left[0].address, left[0].resident, "sms") == OTHER_RESIDENT


def test_the_simulator_subscribes_no_one_there_is_no_address(
    app: Flask, client: FlaskClient
) -> None:
    from outreach.service.content import Content
    from outreach.service.conversations import Conversations

    content: Content = app.extensions["outreach.content"]
    conversations = Conversations(connect(app.config["DATABASE"]), content)
    for n, text in enumerate(["hola", "alertas", "Quiché", "1"]):
        reply = conversations.handle("web-resident", text, channel="web",
                                     message_id=f"web-{n}", rendering="web")  # fmt: skip
    assert reply.messages[0].body.startswith("Listo:")
    assert subscriptions(app) == []
