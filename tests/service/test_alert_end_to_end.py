"""An alert from consent to delivery, through the real service: residents subscribe by
the signed webhook (their addresses sealed), a second admin approves the alert, the
worker's sender sends it through the one REST client to the fake Twilio on 127.0.0.1,
and Twilio's status callbacks, signed, come back to /twilio/status and reach the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fake_twilio import FakeTwilio
from flask import Flask
from flask.testing import FlaskClient
from twilio_helpers import OTHER_RESIDENT, RESIDENT, Phone, post_signed

from outreach import staff
from outreach.privacy import keyed_id
from outreach.service.alert_sending import OutboxTask, SendingKeys
from outreach.service.alerts import AlertDraft, approve_alert, create_alert
from outreach.settings import load_settings
from outreach.storage import alerts as st
from outreach.storage import connect
from outreach.storage import outbox as ob

SMS_FROM = "+15005550001"


def subscribe(phone: Phone, department: str = "Quiché", topic: str = "1") -> None:
    phone.says("hola")
    assert any("¿En qué departamento" in m for m in phone.says("alertas"))
    phone.says(department)
    assert any(m.startswith("Listo:") for m in phone.says(topic))


def test_subscribe_approve_send_and_the_status_comes_back(
    app: Flask, client: FlaskClient, fake_twilio: FakeTwilio, tmp_path: Path
) -> None:
    sms, whatsapp = Phone(client), Phone(client, OTHER_RESIDENT, whatsapp=True)
    subscribe(sms)
    subscribe(whatsapp)  # just wrote: inside WhatsApp's 24-hour window
    db = connect(app.config["DATABASE"])
    now = datetime.now(UTC)
    for name in ("ana", "bea"):
        staff.add(db, name, "a long password for " + name, "admin", now)
    draft = AlertDraft(
        "scams", ("Quiché",), {"es": "Aviso de prueba: el consulado no cobra citas."},
        "Consulado, comunicado de prueba", now.date(), (now + timedelta(days=30)).date(),
        now + timedelta(minutes=1), None,
    )  # fmt: skip
    alert_id = create_alert(db, draft, "ana", now)
    approve_alert(db, alert_id, "bea", now)
    config = load_settings(
        {}, dict(app.config) | fake_twilio.config() | {
            "SMS_FROM": SMS_FROM, "WHATSAPP_FROM": "whatsapp:" + SMS_FROM,
            "ALERTS_QUIET_HOURS": "", "INSTANCE_DIR": str(tmp_path),
        },
    )  # fmt: skip
    key: bytes = app.extensions["outreach.pseudonym_key"]
    keys = SendingKeys(lambda value, purpose: keyed_id(key, value, purpose),
                       app.extensions["outreach.address_box"])  # fmt: skip
    task = OutboxTask(app.config["DATABASE"], config, keys)
    task.start()
    assert task.run_once(now) is False  # not yet: its time has not come
    later = now + timedelta(minutes=2)
    while task.run_once(later):
        pass
    got = {m.form["To"]: m for m in fake_twilio.messages}
    assert set(got) == {RESIDENT, f"whatsapp:{OTHER_RESIDENT}"}
    assert got[RESIDENT].form["Body"] == "Aviso de prueba: el consulado no cobra citas."
    assert got[RESIDENT].form["From"] == SMS_FROM
    assert got[f"whatsapp:{OTHER_RESIDENT}"].form["From"] == "whatsapp:" + SMS_FROM
    assert st.alert(db, alert_id).state == "sent"  # type: ignore[union-attr]
    # Twilio reports back, signed, to the URL the sender gave it.
    for sent, status in ((got[RESIDENT], "delivered"), (got[f"whatsapp:{OTHER_RESIDENT}"], "read")):
        assert sent.form["StatusCallback"].endswith("/twilio/status")
        response = post_signed(client, "/twilio/status", {
            "MessageSid": str(sent.sid), "MessageStatus": status, "To": sent.form["To"],
            "AccountSid": "AC" + "0" * 32,
        })  # fmt: skip
        assert response.status_code == 200
    counts = ob.alert_counts(db, alert_id)
    assert counts["sent"] == 2
    assert counts["status:delivered"] == 1 and counts["status:read"] == 1
