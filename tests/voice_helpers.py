"""A phone calling the voice line: signed requests as Twilio makes them, TwiML read back."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from conftest import PUBLIC_URL
from flask.testing import FlaskClient
from twilio_helpers import RESIDENT, SERVICE, post_signed
from werkzeug.test import TestResponse

#: A menu of one question of each kind, for the keys each gets.
QUESTIONS = """\
flow: main
name: Main
provenance: {source: test, verified_on: 2026-11-01, review_by: 2027-06-01, sample: true}
nodes:
  menu:
    type: menu
    text: "Elija:"
    options:
      - label: Uno
        go: one
      - label: Ciudad
        go: ask_city
      - label: Acuerdo
        go: ask_agree
      - label: Hijos
        go: ask_children
      - label: Edad
        go: ask_age
  one:
    type: message
    text: Uno.
  ask_city:
    type: question
    text: "¿Ciudad?"
    check: text
    save: city
  ask_agree:
    type: question
    text: "¿De acuerdo?"
    check: yes_no
    save: agree
  ask_children:
    type: question
    text: "¿Cuántos hijos?"
    check: {type: number, min: 1, max: 5}
    save: children
  ask_age:
    type: question
    text: "¿Qué edad tiene?"
    check: {type: number, min: 18, max: 99}
    save: age
"""


@dataclass
class Prompt:
    """One TwiML answer, read."""

    xml: str
    #: What is said, in order: ("say", text) or ("play", url).
    sounds: list[tuple[str, str]] = field(default_factory=list)
    #: The <Gather> action's path and query (None when the call hangs up).
    action: str | None = None
    gather: dict[str, str] = field(default_factory=dict)
    hangup: bool = False

    @property
    def text(self) -> str:
        return " ".join(text for kind, text in self.sounds if kind == "say")


def read(response: TestResponse) -> Prompt:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/xml"
    xml = response.get_data(as_text=True)
    root = ET.fromstring(xml)
    assert root.tag == "Response"
    assert root.find(".//Record") is None, "a call never records the resident"
    prompt = Prompt(xml)
    gather = root.find("Gather")
    holder = gather if gather is not None else root
    for verb in holder:
        if verb.tag == "Say":
            assert verb.get("language") == "es-MX", "only Spanish is ever spoken"
            prompt.sounds.append(("say", verb.text or ""))
        elif verb.tag == "Play":
            prompt.sounds.append(("play", verb.text or ""))
    if gather is not None:
        prompt.gather = dict(gather.attrib)
        action = gather.get("action", "")
        assert action.startswith(PUBLIC_URL), action
        parts = urlsplit(action)
        prompt.action = parts.path + ("?" + parts.query if parts.query else "")
    prompt.hangup = root.find("Hangup") is not None
    return prompt


class Caller:
    """A resident's phone calling the service and pressing keys."""

    def __init__(self, client: FlaskClient, number: str = RESIDENT, sid: str = "CA" + "1" * 32):
        self.client = client
        self.number = number
        self.sid = sid
        self.last: Prompt | None = None
        #: The action the last key was posted to (to retry that step).
        self.previous: str | None = None

    def params(self, digits: str | None = None) -> dict[str, str]:
        params = {
            "CallSid": self.sid,
            "AccountSid": "AC" + "0" * 32,
            "From": self.number,
            "To": SERVICE,
            "CallStatus": "in-progress",
            "Direction": "inbound",
        }
        if digits is not None:
            params["Digits"] = digits
        return params

    def call(self) -> Prompt:
        self.last = read(post_signed(self.client, "/twilio/voice", self.params()))
        return self.last

    def post(self, action: str, digits: str | None) -> Prompt:
        return read(post_signed(self.client, action, self.params(digits)))

    def press(self, key: str) -> Prompt:
        """``key`` at the last prompt ("" presses nothing: the timeout)."""
        assert self.last is not None and self.last.action, "the call is over"
        self.previous = self.last.action
        self.last = self.post(self.last.action, key if key else None)
        return self.last

    def status(self, status: str, seconds: int | None = None) -> TestResponse:
        params = self.params() | {"CallStatus": status}
        if seconds is not None:
            params["CallDuration"] = str(seconds)
        return post_signed(self.client, "/twilio/voice/status", params)
