"""Requests signed exactly as Twilio signs them, with the twilio package's own code."""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from conftest import AUTH_TOKEN, PUBLIC_URL
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

#: Fictional numbers only: Twilio's magic test number and a Guatemalan-looking 5555 one.
RESIDENT = "+50255550100"
OTHER_RESIDENT = "+15005550006"
SERVICE = "+15005550001"


def signature(
    path: str,
    params: dict[str, str],
    *,
    token: str = AUTH_TOKEN,
    base: str = PUBLIC_URL,
    algorithm: str | None = None,
) -> str:
    return RequestValidator(token).compute_signature(base + path, params, algorithm)


def post_signed(
    client: FlaskClient, path: str, params: dict[str, str], **kwargs: str
) -> TestResponse:
    headers = {"X-Twilio-Signature": signature(path, params, **kwargs)}  # type: ignore[arg-type]
    return client.post(
        path,
        data=urlencode(params),
        headers=headers,
        content_type="application/x-www-form-urlencoded",
    )


class Phone:
    """A resident's phone texting the service through a signed webhook."""

    def __init__(self, client: FlaskClient, number: str = RESIDENT, whatsapp: bool = False) -> None:
        self.client = client
        self.address = f"whatsapp:{number}" if whatsapp else number
        self._tag = hashlib.sha256(self.address.encode()).hexdigest()[:16]
        self.count = 0

    def params(self, body: str, sid: str | None = None) -> dict[str, str]:
        self.count += 1
        return {
            # Unique per phone and message. Not Python's hash(): it changes with each
            # process, and three of its digits made two phones' sids collide now and then
            # (a new resident's first message taken for another's retry).
            "MessageSid": sid or f"SM{self._tag}{self.count:016d}",
            "AccountSid": "AC" + "0" * 32,
            "From": self.address,
            "To": SERVICE,
            "Body": body,
            "NumMedia": "0",
        }

    def send(self, body: str, sid: str | None = None) -> TestResponse:
        return post_signed(self.client, "/twilio/messages", self.params(body, sid))

    def says(self, body: str) -> list[str]:
        response = self.send(body)
        assert response.status_code == 200
        assert response.mimetype == "application/xml"
        return messages_of(response)


def messages_of(response: TestResponse) -> list[str]:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(response.get_data(as_text=True))
    assert root.tag == "Response"
    return [m.text or "" for m in root.findall("Message")]
