"""The voice webhooks: signed calls only, the flows read out and answered by keypad."""

from __future__ import annotations

from urllib.parse import urlencode

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
