"""The web simulator: a phone on a page, talking to the flows through the same path as
Twilio (channel ``web``), with what every message would cost as SMS, or calling the voice
line through the same Calls service as Twilio's voice webhooks. No Twilio account needed;
it is what `make run` shows first."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request

from outreach.i18n import ui
from outreach.i18n.ui import gettext
from outreach.privacy import clean_text, keyed_id
from outreach.service.conversations import Conversations, Reply
from outreach.voice.prompts import CallState, Play, Say

from .db import get_db
from .voice import calls, play_path

bp = Blueprint("simulator", __name__, url_prefix="/simulator")
# The page's own words in Spanish or English, chosen as the dashboard's are (the flows'
# texts come from their catalogs, in the language picked on the page).
bp.before_request(ui.choose_language)

COOKIE = "outreach_simulator"
MAX_TEXT = 1600  # what Twilio accepts in one inbound message
#: The keys of a phone's keypad: what a call's <Gather input="dtmf"> can send.
KEYPAD = frozenset("0123456789*#")


def _visitor() -> str | None:
    token = request.cookies.get(COOKIE, "")
    return token if 20 <= len(token) <= 64 and token.isalnum() else None


def _resident_id(token: str) -> str:
    key: bytes = current_app.extensions["outreach.pseudonym_key"]
    return keyed_id(key, token, "simulator")


def _same_origin_json() -> dict[str, Any]:
    """The page's own scripts only: a JSON body with a header no cross-site form can send."""
    if request.headers.get("X-Outreach-Simulator") != "1" or not request.is_json:
        abort(400)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400)
    return data


@bp.get("/")
def page() -> str:
    content = current_app.extensions["outreach.content"]
    engine = content.engine()
    return render_template(
        "simulator.html",
        languages=engine.languages,
        source_language=engine.source_language,
        deployment=content.flows.deployment.id,
    )


@bp.post("/messages")
def message() -> Response:
    data = _same_origin_json()
    text = data.get("text")
    message_id = data.get("id")
    rendering = data.get("channel", "sms")
    language = data.get("language")
    if (
        not isinstance(text, str)
        or not isinstance(message_id, str)
        or not 8 <= len(message_id) <= 64
        or rendering not in ("sms", "whatsapp")
        or (language is not None and not isinstance(language, str))
    ):
        abort(400)
    token = _visitor() or secrets.token_hex(16)
    resident_id = _resident_id(token)
    conversations = Conversations(get_db(), current_app.extensions["outreach.content"])
    reply = conversations.handle(
        resident_id,
        clean_text(text[:MAX_TEXT]),
        channel="web",
        # Scoped to the visitor: another visitor's id must never fetch their reply.
        message_id=keyed_id(
            current_app.extensions["outreach.pseudonym_key"], f"{token}:{message_id}", "web"
        ),
        rendering=rendering,
        language=language or None,
    )
    body = {
        "repeated": reply.repeated,
        "messages": [
            {"text": m.body, **(m.info.to_dict() if m.info else {"encoding": None})}
            for m in reply.messages
        ],
        "notes": _notes(reply),
    }
    response = jsonify(body)
    response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", max_age=86400)
    return response


def _notes(reply: Reply) -> list[str]:
    """What the flows' answer says that is not so in the simulator, told as it is. The
    simulator has no phone number to send alerts to: the alerts flow's "Listo" subscribes
    no one here (Conversations keeps a subscription only with an address)."""
    notes = []
    if reply.alerts_asked > reply.alerts_kept:
        notes.append(gettext(
            "Simulated: on SMS or WhatsApp this would subscribe the resident's number "
            "(kept encrypted) to these alerts. The simulator has no number: nobody was "
            "subscribed, nothing was kept, and no alert will be sent."
        ))  # fmt: skip
    if reply.alerts_ended:
        notes.append(gettext(
            "Simulated: the simulator subscribes no one, so there was no subscription "
            "and no number to delete."
        ))  # fmt: skip
    return notes


@bp.post("/reset")
def reset() -> Response:
    _same_origin_json()
    token = _visitor()
    if token:
        conversations = Conversations(get_db(), current_app.extensions["outreach.content"])
        conversations.forget(_resident_id(token))
    response = jsonify({"reset": True})
    response.set_cookie(
        COOKIE, secrets.token_hex(16), httponly=True, samesite="Strict", max_age=86400
    )
    return response


@bp.post("/call")
def call() -> Response:
    """One request of a simulated call, as Twilio would make it: ``state`` absent is the
    call's start (POST /twilio/voice), else a key (``digits``, "" for none in time) at the
    prompt whose state the last answer gave (POST /twilio/voice/step)."""
    data = _same_origin_json()
    call_id, state, digits = data.get("call"), data.get("state"), data.get("digits", "")
    if (
        not isinstance(call_id, str)
        or not 8 <= len(call_id) <= 64
        or not call_id.isalnum()
        or not isinstance(digits, str)
        or len(digits) > 1
        or (digits and digits not in KEYPAD)
        or not (state is None or _strings(state))
    ):
        abort(400)
    token = _visitor() or secrets.token_hex(16)
    if state is None:
        step = CallState()
    else:
        step = CallState.parse(state)
        if step.step == 0:
            step = CallState(step=1)  # step 0 is the call's start, never a key (voice.py)
    # A CallSid of the visitor's own: another visitor's call id reaches none of their steps.
    call_sid = f"simulator:{token}:{call_id}"
    service = calls(simulated=True)
    spoken = service.step(_resident_id(token), call_sid, step, digits)
    names: dict[str, str] = {}
    if any(isinstance(sound, Play) for sound in spoken.sounds):
        # A recording's language by the name the call's language menu gives it.
        offered = service.content.engine(service.languages()).languages
        names = {lang.code: lang.name for lang in offered}
    body = {
        "sounds": [_sound(sound, names) for sound in spoken.sounds],
        "state": spoken.next.query() if spoken.next is not None else None,
        "language": spoken.language,
    }
    response = jsonify(body)
    response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", max_age=86400)
    return response


def _strings(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) and len(v) < 8 for k, v in value.items()
    )


def _sound(sound: Play | Say, names: dict[str, str]) -> dict[str, Any]:
    """A recording to play (the URL Twilio's <Play> gets, on this host), or the Spanish
    text Twilio's voice would speak (<Say>), phrase by phrase: the page shows it with a
    badge."""
    if isinstance(sound, Play):
        return {"play": play_path(sound), "text": sound.text, "language": sound.language,
                "language_name": names.get(sound.language, sound.language)}  # fmt: skip
    return {"say": list(sound.phrases or (sound.text,))}
