"""The app the webhook benchmark serves: outreach, plus a bare endpoint that returns
fixed TwiML, so both are measured on the same server in the same run. It sits under
/twilio/ so that it gets what every Twilio request gets (no cookie session), and the
difference between the two is the turn's own work."""

from __future__ import annotations

from flask import Response

from outreach import create_app

FIXED = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Hola</Message></Response>'

app = create_app()


@app.post("/twilio/bare")
def bare() -> Response:
    return Response(FIXED, mimetype="application/xml")
