"""The staff dashboard: a login, anonymised metrics, exports, and (for admins) accounts
and the audit log. Thin views over :mod:`outreach.metrics` and :mod:`outreach.staff`.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import secrets
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, TypeVar, cast

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from markupsafe import Markup

from . import staff
from .conversation import utc_now
from .db import get_db
from .metrics import report
from .metrics.queries import DIMENSIONS, Query, reached

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
View = TypeVar("View", bound=Callable[..., Any])


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


@bp.before_request
def check_csrf() -> None:
    """Every form posts the session's token: a page elsewhere cannot post for staff."""
    if request.method == "POST":
        sent = request.form.get("csrf", "")
        if not sent or not secrets.compare_digest(sent, session.get("csrf", "")):
            abort(400, "the form has expired; reload the page")


@bp.app_context_processor
def template_helpers() -> dict[str, Any]:
    return {"csrf_token": csrf_token}


def login_required(role: str = "viewer") -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            name = session.get("staff")
            account = staff.role_of(get_db(), name) if name else None
            if account is None:
                return redirect(url_for("dashboard.login", next=request.path))
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
            session["staff"] = account.name
            csrf_token()
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/dashboard") else url_for(".index"))
        error = "Wrong name or password, or too many attempts: wait 15 minutes."
    return render_template("dashboard/login.html", error=error)


@bp.post("/logout")
def logout() -> Any:
    session.clear()
    return redirect(url_for(".login"))


def _query() -> tuple[Query, int]:
    today = utc_now().date()
    try:
        until = date.fromisoformat(request.args.get("until", today.isoformat()))
        since = date.fromisoformat(
            request.args.get("since", (until - timedelta(days=30)).isoformat())
        )
    except ValueError:
        abort(400, "dates are written YYYY-MM-DD")
    rows = request.args.get("by", "language")
    columns = request.args.get("then", "channel")
    if rows not in DIMENSIONS or columns not in (*DIMENSIONS, "all"):
        abort(400, "unknown dimension")
    return Query(since, until, rows, columns), int(current_app.config["METRICS_K"])


@bp.get("/")
@login_required()
def index() -> Any:
    query, k = _query()
    db = get_db()
    table = reached(db, query, k)
    staff.record(db, utc_now(), g.staff.name, "view", f"{query.rows}x{query.columns}")
    chart = report.bar_chart(
        report.daily_reach(db, query.since, query.until, k), "Residents reached per day"
    )
    return render_template(
        "dashboard/index.html",
        table=table,
        query=query,
        dimensions=list(DIMENSIONS),
        chart=Markup(chart),  # built from numbers and escaped dates only
        sections=report.sections(db, query.since, query.until, k),
        erasures=report.erasures(db, query.since, query.until, k),
        segments=report.segments_sent(db, query.since, query.until),
        health=content_health(),
    )


def content_health() -> dict[str, Any]:
    """For the NGO's editors: reviews due, and how much of each language is translated."""
    content = current_app.extensions["outreach.content"]
    today = utc_now().date()
    reviews = []
    for flow in content.flows.flows.values():
        days = (flow.provenance.review_by - today).days
        if days <= 60:
            reviews.append((flow.id, flow.provenance.review_by.isoformat(), days))
    coverage = [
        (lang.name, content.state.coverage[lang.code].percent,
         lang.code in content.state.offered)
        for lang in content.flows.deployment.languages
    ]  # fmt: skip
    return {"reviews": sorted(reviews, key=lambda r: r[2]), "coverage": coverage}


@bp.get("/export.<fmt>")
@login_required()
def export(fmt: str) -> Response:
    if fmt not in ("csv", "json"):
        abort(404)
    query, k = _query()
    table = reached(get_db(), query, k)
    staff.record(get_db(), utc_now(), g.staff.name, "export", f"{fmt} {query}")
    rows = [
        {"metric": "residents_reached", "since": query.since.isoformat(),
         "until": query.until.isoformat(), query.rows: r, query.columns: c,
         "residents": "" if v is None else v, "suppressed": v is None}
        for (r, c), v in sorted(table.cells.items())
    ]  # fmt: skip
    name = f"outreach-reached-{query.since}-{query.until}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "json":
        return Response(json.dumps(rows, ensure_ascii=False, indent=2),
                        mimetype="application/json", headers=headers)  # fmt: skip
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["metric"])
    writer.writeheader()
    writer.writerows(rows)
    return Response(out.getvalue(), mimetype="text/csv", headers=headers)


@bp.get("/staff")
@login_required("admin")
def staff_page() -> Any:
    db = get_db()
    staff.record(db, utc_now(), g.staff.name, "view", "staff and audit log")
    return render_template("dashboard/staff.html", accounts=staff.listing(db),
                           entries=staff.audit_entries(db))  # fmt: skip
