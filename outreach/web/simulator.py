"""The web simulator: a phone on a page, talking to the flows through the same path as
Twilio (channel ``web``), with what every message would cost as SMS. No Twilio account
needed; it is what `make run` shows first."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request

from outreach.i18n import ui
from outreach.privacy import clean_text, keyed_id
from outreach.service.conversations import Conversations

from .db import get_db

bp = Blueprint("simulator", __name__, url_prefix="/simulator")
# The page's own words in Spanish or English, chosen as the dashboard's are (the flows'
# texts come from their catalogs, in the language picked on the page).
bp.before_request(ui.choose_language)

COOKIE = "outreach_simulator"
MAX_TEXT = 1600  # what Twilio accepts in one inbound message


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
    }
    response = jsonify(body)
    response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", max_age=86400)
    return response


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
