"""Twilio's webhooks: inbound SMS and WhatsApp messages, and delivery status callbacks.

Every request must carry a valid ``X-Twilio-Signature`` (signature.py), checked before
anything else is read. Replies are TwiML, always: Twilio sends any other body to the
resident (errors too: sessions.py).
Nothing here logs or stores a phone number or a message text.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import Blueprint, Flask, Response, current_app, request
from twilio.twiml.messaging_response import MessagingResponse

from outreach.privacy import channel_of, clean_text, keyed_id, pseudonymise, resident_address
from outreach.service import forget, utc_now
from outreach.service.conversations import Conversations
from outreach.service.deliveries import record_delivery

from .dashboard import cell_keys
from .db import get_db
from .sessions import TWILIO_PREFIX
from .signature import verify_signature

logger = logging.getLogger(__name__)
bp = Blueprint("twilio", __name__, url_prefix=TWILIO_PREFIX)


def twiml(bodies: Iterable[str] = (), status: int = 200) -> Response:
    """A TwiML answer, written by the twilio package: one <Message> per body, each with
    its status callback."""
    # On <Message>, `action` is the status callback URL (`statusCallback` is its
    # deprecated name in Twilio's TwiML reference).
    action = current_app.extensions["outreach.twilio_status_url"] or (
        request.host_url.rstrip("/") + TWILIO_PREFIX + "/status"
    )
    response = MessagingResponse()
    for body in bodies:
        response.message(body, action=action)
    return Response(str(response), status=status, mimetype="application/xml")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    # Settings of every request, worked out once.
    public_url = str(app.config["PUBLIC_URL"]).rstrip("/")
    app.extensions["outreach.twilio_public_url"] = public_url
    app.extensions["outreach.twilio_status_url"] = (
        public_url + TWILIO_PREFIX + "/status" if public_url else ""
    )


@bp.post("/messages")
def messages() -> Response:
    verify_signature()
    form = request.form
    address = form.get("From", "")
    # A number, or a WhatsApp user's business-scoped id (no number shown): both residents.
    number = resident_address(address)
    message_sid = form.get("MessageSid") or form.get("SmsSid") or ""
    if number is None or not message_sid:
        logger.warning("inbound message without a usable sender or MessageSid: ignored")
        return twiml()
    extensions = current_app.extensions
    key: bytes = extensions["outreach.pseudonym_key"]
    content = extensions["outreach.content"]
    channel = channel_of(address)
    # An inbound message is final at receipt: its record at Twilio is deleted soon.
    _forget_message(message_sid, "received", channel)
    try:
        conversations = Conversations(
            get_db(), content, addresses=extensions["outreach.address_box"]
        )
        reply = conversations.handle(
            pseudonymise(key, number),
            clean_text(form.get("Body", "")),
            channel=channel,
            message_id=keyed_id(key, message_sid, "message"),
            rendering=channel,
            # Where alerts would go, as Twilio gave it: sealed if the resident subscribes.
            reply_address=address.strip(),
        )
    except Exception as exc:
        # Only the kind of error: its message could quote what the resident wrote.
        logger.error("an inbound message could not be handled: %s", type(exc).__name__)
        texts = content.flows.deployment.texts
        return twiml([texts["failed"]])
    return twiml(m.body for m in reply.messages)


@bp.post("/status")
def status() -> Response:
    verify_signature()
    form = request.form
    message_sid = form.get("MessageSid") or form.get("SmsSid") or ""
    state = form.get("MessageStatus") or form.get("SmsStatus") or ""
    if not message_sid or not state:
        return twiml()
    key: bytes = current_app.extensions["outreach.pseudonym_key"]
    number = resident_address(form.get("To", ""))
    code_text = form.get("ErrorCode", "")
    error_code = (
        int(code_text)
        if code_text.isascii() and code_text.isdigit() and len(code_text) < 10
        else None
    )
    try:
        record_delivery(
            get_db(),
            keyed_id(key, message_sid, "message"),
            state,
            error_code,
            pseudonymise(key, number) if number else None,
            record_key=cell_keys().record_key,
        )
    except Exception as exc:
        logger.error("a status callback could not be stored: %s", type(exc).__name__)
    _forget_message(message_sid, state[:20], channel_of(form.get("To", "")))
    return twiml()


def _forget_message(message_sid: str, status: str, channel: str) -> None:
    """With OUTREACH_TWILIO_FORGET=delete, the message's record at Twilio goes on the
    forget list (outreach.service.forget)."""
    if not forget.forgetting(current_app.config):
        return
    try:
        forget.note_message(get_db(), current_app.config, message_sid, status, channel, utc_now())
    except Exception as exc:
        logger.error("a message could not be noted for deletion: %s", type(exc).__name__)
