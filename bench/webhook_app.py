"""The app the webhook benchmark serves: outreach, plus a bare endpoint that returns
fixed TwiML, so both are measured on the same server in the same run."""

from __future__ import annotations

from flask import Response

from outreach import create_app

FIXED = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Hola</Message></Response>'

app = create_app()


@app.post("/bench/bare")
def bare() -> Response:
    return Response(FIXED, mimetype="application/xml")
