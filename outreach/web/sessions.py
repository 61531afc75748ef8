"""What every request under /twilio/ gets from the whole app, whichever view (or none)
answers it: no cookie session, and TwiML even for an error.

Registered by the app factory, app-wide: a wrong path or method under /twilio/ never
reaches the Twilio blueprint, yet Twilio would send a plain-text error page to the
resident as a message.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.wrappers import Request
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.exceptions import HTTPException

#: Where Twilio's webhooks live.
TWILIO_PREFIX = "/twilio"
_UNDER_TWILIO = f"{TWILIO_PREFIX}/"


def http_error(error: HTTPException) -> Response | HTTPException:
    """Anything under /twilio/ answers in TwiML, even a wrong path or method: Twilio
    would send a plain-text error page to the resident as a message."""
    if request.path.startswith(TWILIO_PREFIX):
        # No <Message>: the resident is sent nothing.
        return Response(
            str(MessagingResponse()), status=error.code or 500, mimetype="application/xml"
        )
    return error


class SessionInterface(SecureCookieSessionInterface):
    """The staff pages' cookie sessions, and none for Twilio's requests: Twilio sends no
    cookie and must never be given one, and opening an empty session (a signing
    serializer built for each request) was a twentieth of a webhook turn."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(_UNDER_TWILIO):
            return None  # Flask's NullSession: nothing read, nothing ever written
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, http_error)
    app.session_interface = SessionInterface()
