"""Staff logins: the login and logout pages, login_required for every staff view, and
the CSRF token every staff form posts (as flaskr/auth.py in Flask's tutorial).

The cookie holds a session token only; the login itself lives on the server
(:mod:`outreach.staff`), so a logout, an expiry or a changed password ends it at once.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar, cast

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from outreach import staff
from outreach.i18n import ui
from outreach.i18n.ui import gettext
from outreach.service import utc_now

from .db import get_db

bp = Blueprint("auth", __name__, url_prefix="/dashboard")
View = TypeVar("View", bound=Callable[..., Any])


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


def check_csrf() -> None:
    """Every form posts the session's token: a page elsewhere cannot post for staff."""
    if request.method == "POST":
        sent = request.form.get("csrf", "")
        if not sent or not secrets.compare_digest(sent, session.get("csrf", "")):
            abort(400, gettext("The form has expired: reload the page."))


def protect(blueprint: Blueprint) -> None:
    """What every staff blueprint does first: the interface language (so that an error
    is said in it), then the form's token."""
    blueprint.before_request(ui.choose_language)
    blueprint.before_request(check_csrf)


protect(bp)


@bp.app_context_processor
def template_helpers() -> dict[str, Any]:
    return {"csrf_token": csrf_token}


def session_rules() -> staff.SessionRules:
    config = current_app.config
    return staff.SessionRules(
        lifetime=timedelta(hours=int(config["STAFF_SESSION_HOURS"])),
        idle=timedelta(minutes=int(config["STAFF_IDLE_MINUTES"])),
    )


def login_required(role: str = "viewer") -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            # The cookie holds a session token only; whether that session still lives
            # (not logged out, not expired, the account and its password unchanged) is
            # the server's to say.
            token = session.get("sid")
            account = None
            if isinstance(token, str):
                account = staff.session_account(get_db(), token, utc_now(), session_rules())
            if account is None:
                return redirect(url_for("auth.login", next=request.path))
            if role == "admin" and not account.is_admin:
                abort(403)
            g.staff = account
            return view(*args, **kwargs)

        return cast(View, wrapped)

    return decorate


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = None
    if request.method == "POST":
        account = staff.authenticate(
            get_db(), request.form.get("name", ""), request.form.get("password", ""),
            request.remote_addr or "-", utc_now(),
        )  # fmt: skip
        if account is not None:
            session.clear()
            session["sid"] = staff.start_session(get_db(), account.name, utc_now(), session_rules())
            csrf_token()
            return redirect(_after_login(request.args.get("next", "")))
        error = gettext("Wrong name or password, or too many attempts: wait a few minutes.")
    return render_template("dashboard/login.html", error=error)


def _after_login(target: str) -> str:
    """Where a login goes on: a dashboard path of this site, or the overview.

    A control character (CR/LF would split the Location header) is a forged link, refused
    with a 400; anything that is not a plain dashboard path (another host, ``//host``,
    a backslash that browsers read as a slash) falls back to the overview.
    """
    if any(ord(c) < 32 or ord(c) == 127 for c in target):
        abort(400, gettext("This link is not valid: open the dashboard from its address."))
    plain = target == "/dashboard" or target.startswith("/dashboard/")
    if plain and "\\" not in target and "/../" not in target:
        return target
    return url_for("dashboard.index")


@bp.post("/logout")
def logout() -> Any:
    token = session.get("sid")
    if isinstance(token, str):
        staff.end_session(get_db(), token)
    session.clear()
    return redirect(url_for(".login"))
