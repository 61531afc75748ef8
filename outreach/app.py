"""The Flask application factory."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, render_template_string

from .content import Content
from .settings import load_settings

_INDEX = """<!doctype html>
<html lang="en"><meta charset="utf-8"><title>outreach</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<h1>outreach</h1>
<p>The service is running with the deployment <b>{{ deployment }}</b> and
{{ flows }} flows from <code>{{ flows_dir }}</code>.</p>
<p>Talk to the flows in a terminal: <code>.venv/bin/outreach chat</code>.
Health: <a href="/healthz">/healthz</a>.</p>
</html>"""


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then ``OUTREACH_*`` variables, then ``test_config``."""
    app = Flask(__name__, instance_relative_config=True)
    settings = load_settings(os.environ, test_config)
    app.config.update(settings)
    logging.getLogger("outreach").setLevel(settings["LOG_LEVEL"])
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    content = Content(settings)
    app.extensions["outreach.content"] = content
    flows = content.flows

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify(
            status="ok",
            deployment=flows.deployment.id,
            flows=len(flows.flows),
            languages=content.state.offered,
        )

    @app.get("/")
    def index() -> str:
        return render_template_string(
            _INDEX,
            deployment=flows.deployment.id,
            flows=len(flows.flows),
            flows_dir=settings["FLOWS_DIR"],
        )

    return app
