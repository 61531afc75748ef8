"""The Flask application factory."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, redirect, url_for
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from outreach.i18n import ui
from outreach.privacy import check_key, development_key
from outreach.service.addresses import AddressBox
from outreach.service.content import Content
from outreach.settings import SettingError, load_settings

from . import (
    alerts,
    auth,
    callback,
    dashboard,
    db,
    errors,
    http_headers,
    sessions,
    simulator,
    staff_pages,
    twilio,
    voice,
    voice_audio,
)

#: The package's folder: templates/ and static/ live there, beside web/.
PACKAGE_ROOT = Path(__file__).resolve().parent.parent

#: Twilio sends at most 1,600 characters of text and a few dozen fields; anything much
#: larger is not Twilio, and is refused (413) before it is read.
MAX_REQUEST_BYTES = 64 * 1024


def production_problems(settings: Mapping[str, Any]) -> list[str]:
    """What a production deployment lacks; it must not start without these."""
    problems = []
    if not settings["TWILIO_AUTH_TOKEN"]:
        problems.append("TWILIO_AUTH_TOKEN (or OUTREACH_TWILIO_AUTH_TOKEN) is not set")
    if not settings["PSEUDONYM_KEY"]:
        problems.append("OUTREACH_PSEUDONYM_KEY is not set (32+ random bytes)")
    if not settings["PUBLIC_URL"]:
        problems.append("OUTREACH_PUBLIC_URL is not set (the https address Twilio calls)")
    if not settings["SECRET_KEY"]:
        problems.append("OUTREACH_SECRET_KEY is not set (32+ random bytes, for staff logins)")
    if not settings["ALERTS_KEY"]:
        problems.append(
            "OUTREACH_ALERTS_KEY is not set (32+ random bytes, for alert subscribers' addresses)"
        )
    url = str(settings["PUBLIC_URL"])
    if url and not url.lower().startswith("https://"):
        problems.append(
            f"OUTREACH_PUBLIC_URL is {url!r}: it must be an https:// address (staff "
            "passwords and session cookies must not cross the network in clear)"
        )
    new_key = "generate one with: python3 -c 'import secrets; print(secrets.token_hex(32))'"
    for name in ("PSEUDONYM_KEY", "SECRET_KEY", "ALERTS_KEY"):
        value = str(settings[name])
        # A placeholder copied from an example: anyone could compute every pseudonym.
        if value and set(value) <= {"0", "\0"}:
            problems.append(f"OUTREACH_{name} is all zeros: {new_key}")
    if settings["SECRET_KEY"] and settings["SECRET_KEY"] == settings["PSEUDONYM_KEY"]:
        problems.append(
            "OUTREACH_SECRET_KEY is the same as OUTREACH_PSEUDONYM_KEY: give each its own "
            f"random value ({new_key}); change the secret key, not the pseudonym key, which "
            "would unlink every earlier record"
        )
    for other in ("PSEUDONYM_KEY", "SECRET_KEY"):
        if settings["ALERTS_KEY"] and settings["ALERTS_KEY"] == settings[other]:
            # One leaked value would then open the addresses too.
            problems.append(
                f"OUTREACH_ALERTS_KEY is the same as OUTREACH_{other}: give it its own "
                f"random value ({new_key})"
            )
    return problems


def demo_problems(database: Any) -> list[str]:
    """What `outreach demo-data` left in a database production is about to use: a login
    anyone can read in the README, and made-up residents counted as real."""
    from outreach.service.demo import DEMO_LOGIN

    problems = []
    found = database.execute("SELECT 1 FROM staff WHERE name = ?", [DEMO_LOGIN[0]]).fetchone()
    if found:
        problems.append(
            f"the demo account {DEMO_LOGIN[0]!r} (password in the README) exists: remove it "
            f"with: outreach users remove {DEMO_LOGIN[0]}"
        )
    demo = "id >= 'demo-' AND id < 'demo.'"
    if database.execute(
        f"SELECT 1 FROM residents WHERE {demo} UNION ALL SELECT 1 FROM daily_activity "
        f"WHERE {demo.replace('id', 'resident')} LIMIT 1"
    ).fetchone():
        problems.append(
            "the database holds demo-data's synthetic residents (ids demo-...): point "
            "OUTREACH_DATABASE at a new database (or delete this one if it never held real "
            "data)"
        )
    return problems


def address_box(settings: Mapping[str, Any], instance: Path) -> AddressBox:
    """What seals alert subscribers' addresses: under OUTREACH_ALERTS_KEY or, in
    development (production refuses to start without it), a key generated once into the
    instance folder, as the pseudonym key is."""
    secret = str(settings["ALERTS_KEY"]).encode() or development_key(instance, "alerts.key")
    return AddressBox(secret)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then ``OUTREACH_*`` variables, then ``test_config``."""
    settings = load_settings(os.environ, test_config)
    # The instance folder from the settings, as the commands find it: Flask's own default
    # lies inside the checkout, or under the virtualenv once the package is installed.
    instance = Path(settings["INSTANCE_DIR"]).resolve()
    settings["INSTANCE_DIR"] = str(instance)
    app = Flask(
        __name__,
        root_path=str(PACKAGE_ROOT),
        instance_path=str(instance),
        instance_relative_config=True,
    )
    if settings["ENV"] == "production":
        missing = production_problems(settings)
        if missing:
            raise SettingError("refusing to start in production: " + "; ".join(missing))
    app.config.update(settings)
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    logging.getLogger("outreach").setLevel(settings["LOG_LEVEL"])
    # Owner only: the key, the database and its -wal and -shm files live here.
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)

    if settings["PSEUDONYM_KEY"]:
        key = check_key(str(settings["PSEUDONYM_KEY"]).encode())
    else:
        key = development_key(instance)
    app.extensions["outreach.pseudonym_key"] = key
    app.extensions["outreach.address_box"] = address_box(settings, instance)
    secret = str(settings["SECRET_KEY"]).encode() or development_key(instance, "secret.key")
    app.config.update(
        SECRET_KEY=check_key(secret),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings["ENV"] == "production",
        # The login itself lives on the server (staff_sessions); this only stops Flask
        # from accepting a signed cookie older than any login can be.
        PERMANENT_SESSION_LIFETIME=timedelta(hours=int(settings["STAFF_SESSION_HOURS"])),
    )
    hops = int(settings["PROXY_HOPS"])
    if hops > 0:
        # Werkzeug's ProxyFix trusts exactly this many X-Forwarded-* values, so a client
        # cannot pose as another address by sending the header itself.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    content = Content(settings, serve_last_good=True)
    app.extensions["outreach.content"] = content
    db.init_app(app)
    if settings["ENV"] == "production":
        with db.connection(app) as checked:
            demo = demo_problems(checked)
        if demo:
            raise SettingError("refusing to start in production: " + "; ".join(demo))
    http_headers.init_app(app)
    sessions.init_app(app)
    twilio.init_app(app)
    voice_audio.init_app(app)  # first: the recordings the call plays
    voice.init_app(app)
    callback.init_app(app)  # POST /twilio/voice/missed
    with_simulator = settings["SIMULATOR"] == "on" or (
        settings["SIMULATOR"] == "auto" and settings["ENV"] == "development"
    )
    if with_simulator:
        app.register_blueprint(simulator.bp)
    ui.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(staff_pages.bp)
    app.register_blueprint(alerts.bp)
    # Last: it keeps, for every other path, the error handlers registered before it.
    errors.init_app(app)

    @app.get("/healthz")
    def healthz() -> Any:
        # Serving the last good copy is not an outage: residents get answers. It is
        # said here, for monitoring, without the errors themselves (they are in the log).
        served = content.served
        return jsonify(
            status="ok",
            content="last good copy: the files on disk have errors" if served.is_last_good
            else "current",
            content_errors=len(served.disk_errors),
            reviews_overdue=served.reviews_overdue,
            deployment=content.flows.deployment.id,
            flows=len(content.flows.flows),
            languages=content.state.offered,
        )  # fmt: skip

    @app.get("/")
    def index() -> Response | tuple[str, int, dict[str, str]]:
        if with_simulator:
            return redirect(url_for("simulator.page"))
        return "outreach is running. Health: /healthz\n", 200, {"Content-Type": "text/plain"}

    return app
