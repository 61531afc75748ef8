"""The missed-call number: ``POST /twilio/voice/missed``, the Voice webhook of the number
residents call to be called back (docs/voice.md, "The callback number").

The call is rejected as busy, so it never connects and the caller pays nothing; the
number goes into the callback queue (outreach.service.callback), and the worker calls
back within a minute into the voice line. Signed and checked like every webhook, before
anything is read. Nothing here logs a number.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from outreach.privacy import e164, keyed_id
from outreach.service import utc_now
from outreach.service.callback import request_callback

from .db import get_db
from .sessions import TWILIO_PREFIX
from .signature import verify_signature
from .voice import forget_call

logger = logging.getLogger(__name__)
bp = Blueprint("callback", __name__, url_prefix=TWILIO_PREFIX)


def reject() -> Response:
    """``<Reject reason="busy"/>``: the caller hears busy, and is not charged."""
    response = VoiceResponse()
    response.reject(reason="busy")
    return Response(str(response), mimetype="application/xml")


@bp.post("/voice/missed")
def missed() -> Response:
    verify_signature()
    number = e164(request.form.get("From", ""))
    key: bytes = current_app.extensions["outreach.pseudonym_key"]
    # Its own purpose: the count per caller cannot be joined to a resident's rows.
    caller = keyed_id(key, number, "callback") if number else None
    try:
        request_callback(get_db(), current_app.config, number, caller, utc_now())
    except Exception as exc:
        logger.error("a missed call could not be queued: %s", type(exc).__name__)
    # Rejected as busy, it ends with this answer: its record at Twilio can go soon.
    forget_call(request.form.get("CallSid", ""), "busy")
    return reject()


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
