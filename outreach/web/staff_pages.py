"""The admins' pages: staff accounts (add, new password, remove) and the audit log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from outreach import staff
from outreach.i18n.ui import gettext
from outreach.service import utc_now

from . import auth
from .auth import login_required
from .db import get_db

bp = Blueprint("staff_pages", __name__, url_prefix="/dashboard")
auth.protect(bp)


@bp.get("/staff")
@login_required("admin")
def index() -> Any:
    db = get_db()
    staff.record(db, utc_now(), g.staff.name, "view", "staff and audit log")
    raw = request.args.get("audit_before", "")
    if raw and (not raw.isdigit() or len(raw) > 18):  # an id is a 64-bit integer
        abort(400, gettext("There is no such page of the audit log."))
    before = int(raw) if raw else None
    # One more than shown, to know whether there are older entries to link to.
    entries = staff.audit_page(db, AUDIT_PAGE + 1, before)
    shown = entries[:AUDIT_PAGE]
    refused = staff.refusals(db, utc_now() - timedelta(days=7))
    return render_template("dashboard/staff.html", accounts=staff.listing(db), page="staff",
                           refused=refused,
                           entries=[entry[1:] for entry in shown], roles=staff.ROLES,
                           min_password=staff.MIN_PASSWORD, paged=before is not None,
                           older=shown[-1][0] if len(entries) > AUDIT_PAGE else None)  # fmt: skip


#: Audit log entries per page of the staff page.
AUDIT_PAGE = 200


@bp.get("/staff/<path:name>")
@login_required("admin")
def account(name: str) -> Any:
    """One account's page: a new password, and its removal behind a confirmation."""
    found = next((row for row in staff.listing(get_db()) if row[0] == name), None)
    if found is None:
        abort(404, gettext("There is no account %(name)s.", name=name))
    return render_template("dashboard/staff_account.html", page="staff", name=name,
                           role=found[1], created=found[2],
                           min_password=staff.MIN_PASSWORD)  # fmt: skip


@bp.post("/staff/add")
@login_required("admin")
def add() -> Any:
    name = request.form.get("name", "").strip()
    role = request.form.get("role", "")
    password = _new_password()
    if password is not None:
        if not staff.valid_name(name) or role not in staff.ROLES:
            flash(gettext("Give a name of 1 to 64 letters, digits, dots, dashes or "
                          "underscores, starting with a letter or digit, and a role."),
                  "error")  # fmt: skip
        elif staff.role_of(get_db(), name) is not None:
            flash(gettext("%(name)s has an account already.", name=name), "error")
        else:
            staff.add(get_db(), name, password, role, utc_now(), actor=g.staff.name)
            flash(gettext("Account %(name)s added.", name=name), "done")
    return redirect(url_for(".index"))


@bp.post("/staff/<path:name>/password")
@login_required("admin")
def set_password(name: str) -> Any:
    password = _new_password()
    if password is None:
        return redirect(url_for(".account", name=name))  # to try again where it was typed
    try:
        staff.set_password(get_db(), name, password, utc_now(), actor=g.staff.name)
        flash(gettext("New password set for %(name)s.", name=name), "done")
    except staff.StaffError:
        flash(gettext("There is no account %(name)s.", name=name), "error")
    return redirect(url_for(".index"))


@bp.post("/staff/<path:name>/remove")
@login_required("admin")
def remove(name: str) -> Any:
    if name == g.staff.name:
        flash(gettext("You cannot remove your own account."), "error")
        return redirect(url_for(".index"))
    # The page's box says yes; checked here too, for a browser that ignores "required"
    # and for a form posted twice by a stray tap.
    if request.form.get("confirm") != "yes":
        flash(gettext("Tick the box to confirm the removal: nothing was removed."), "error")
        return redirect(url_for(".account", name=name))
    try:
        staff.remove(get_db(), name, utc_now(), actor=g.staff.name)
        flash(gettext("Account %(name)s removed.", name=name), "done")
    except staff.StaffError:
        flash(gettext("%(name)s cannot be removed (no such account, or the last admin).",
                      name=name), "error")  # fmt: skip
    return redirect(url_for(".index"))


def _new_password() -> str | None:
    """The form's new password, typed twice; None (with a message) if it will not do."""
    password = request.form.get("password", "")
    if password != request.form.get("password_again", ""):
        flash(gettext("The two passwords differ."), "error")
        return None
    if len(password) < staff.MIN_PASSWORD:
        flash(gettext("A password has at least %(n)s characters.", n=staff.MIN_PASSWORD),
              "error")  # fmt: skip
        return None
    return password
