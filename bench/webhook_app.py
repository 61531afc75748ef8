"""The app the webhook benchmark serves: outreach, plus a bare endpoint that returns
fixed TwiML, so both are measured on the same server in the same run. It sits under
/twilio/ so that it gets what every Twilio request gets (no cookie session), and the
difference between the two is the turn's own work.

With ``BENCH_SPLIT_DIR`` set (``bench/webhook.py --split``), each worker also keeps the
CPU its thread spent inside the Flask app, per path, in a file of its own in that
folder, so the bench can tell the app's share of a message from gunicorn's and the
kernel's. That costs each request a little, so the headline figures come from a run
without it.
"""

from __future__ import annotations

import os
from pathlib import Path

from cpu_split import CpuInsideApp
from flask import Response

from outreach import create_app

FIXED = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Hola</Message></Response>'

app = create_app()


@app.post("/twilio/bare")
def bare() -> Response:
    return Response(FIXED, mimetype="application/xml")


if os.environ.get("BENCH_SPLIT_DIR"):
    app.wsgi_app = CpuInsideApp(app.wsgi_app, Path(os.environ["BENCH_SPLIT_DIR"]))  # type: ignore[method-assign]
