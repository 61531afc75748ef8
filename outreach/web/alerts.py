"""The alerts pages of the dashboard (issue #18 section 2): the list with each alert's
state, the create form, the detail page with the preview before approval, approval by
a second admin and cancellation. A thin layer over :mod:`outreach.service.alerts`: the
form is checked by the same rules as an alert file (``read_alert_form``), the audience
is a published figure (:mod:`outreach.metrics.alerts`), and every step is in the audit
log. Viewers see the list and the previews; only admins create, approve or cancel.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.datastructures import MultiDict

from outreach import staff
from outreach.i18n.ui import gettext, moment, pgettext, zone
from outreach.metrics import report
from outreach.metrics.alerts import ALERT_SPLITS, alert_audience, alert_sections, went_out
from outreach.metrics.cellkey import USUAL_NOISE
from outreach.metrics.queries import ALL, SPLITS
from outreach.metrics.report import PERTURBED
from outreach.service import alert_sending, utc_now
from outreach.service import alerts as service
from outreach.service.alerts import AlertRow, find_alert, newest_first
from outreach.service.outbox import QuietHours

from . import auth, exports
from .auth import login_required
from .dashboard import cell_keys, display_names
from .db import get_db

bp = Blueprint("alerts", __name__, url_prefix="/dashboard/alerts")
auth.protect(bp)


def N_(word: str) -> str:
    """Marks a word for translation where it is a value, translated when shown."""
    return word


#: Words the pages show from data: the alerts' states and the audit log's actions.
SHOWN_WORDS = (N_("alert_create"), N_("alert_approve"), N_("alert_cancel"))
#: The quiet hours' default, as the setting's (outreach.settings).
DEFAULT_QUIET_HOURS = "21:00-07:00"


def _flows() -> Any:
    return current_app.extensions["outreach.content"].flows


def quiet_hours() -> QuietHours:
    quiet = current_app.config.get("ALERTS_QUIET_HOURS", DEFAULT_QUIET_HOURS)
    return QuietHours.parse(str(quiet or ""), str(zone().key))


def state_name(state: str) -> str:
    """An alert's state in the page's language (in context: an alert is feminine in
    Spanish, and "sent" is also the messages' column)."""
    names = {
        "draft": pgettext("alert state", "draft"),
        "approved": pgettext("alert state", "approved"),
        "sending": pgettext("alert state", "sending"),
        "sent": pgettext("alert state", "sent"),
        "canceled": pgettext("alert state", "canceled"),
    }
    return names.get(state, state)


@bp.app_context_processor
def template_helpers() -> dict[str, Any]:
    return {"alert_state": state_name}


@bp.get("/")
@login_required()
def index() -> Any:
    db = get_db()
    split = _split()
    staff.record(db, utc_now(), g.staff.name, "view", f"alerts split={split}")
    rows = newest_first(db)
    k = int(current_app.config["METRICS_K"])
    return render_template(
        "dashboard/alerts.html", page="alerts", rows=rows, k=k, split=split,
        splits=ALERT_SPLITS, sections=_sections(db, rows, split, k),
        perturbed=gettext(PERTURBED, n=USUAL_NOISE), labels={},
    )  # fmt: skip


def _split() -> str:
    split = request.args.get("split", ALL)
    if split in SPLITS and split not in ALERT_SPLITS:
        # Another page's split (a period: alerts have no time series): none here.
        return ALL
    if split != ALL and split not in ALERT_SPLITS:
        abort(400, gettext("There is no such split: choose one from the list."))
    return split


def _sections(db: Any, rows: list[AlertRow], split: str, k: int) -> list[Any]:
    """The figures of the alerts that went out (or began to), newest first."""
    went = went_out(db, [row.id for row in rows])
    return alert_sections(db, went, split, k, cell_keys()) if went else []


@bp.get("/export.<fmt>")
@login_required()
def export(fmt: str) -> Any:
    """The alerts' figures, exactly as the page shows them: JSON, CSV, a spreadsheet."""
    if fmt not in ("csv", "json", "xlsx"):
        abort(404)
    db = get_db()
    split = _split()
    k = int(current_app.config["METRICS_K"])
    sections = _sections(db, newest_first(db), split, k)
    staff.record(db, utc_now(), g.staff.name, "export", f"{fmt} alerts split={split}")
    perturbed = gettext(PERTURBED, n=USUAL_NOISE)
    rows = report.with_note(report.rows_of(sections), perturbed, page="alerts", split=split,
                            k=k)  # fmt: skip
    name = f"outreach-alerts-{utc_now().date()}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "json":
        return Response(json.dumps(rows, ensure_ascii=False, indent=2),
                        mimetype="application/json", headers=headers)  # fmt: skip
    if fmt == "csv":
        return Response(exports.csv_bytes(rows), mimetype="text/csv", headers=headers)
    about = [
        (gettext("Page"), gettext("Alerts")),
        (gettext("Split by"), gettext(split) if split != ALL else gettext("nothing")),
        (gettext("Hidden figures (%(hidden)s)", hidden=exports.HIDDEN),
         gettext("hidden: a count under %(k)s residents, or one that would let such a count "
                 "be worked out from the totals.", k=k)),
        (gettext("Perturbation"), perturbed),
    ]  # fmt: skip
    titles = {s.id: gettext(s.title) for s in sections}
    notes = {s.id: gettext(s.note) for s in sections}
    # Rows and columns by their names (outreach.metrics.names), as on the other pages.
    rows_by = {s.id: s.rows_by for s in sections}
    columns_by = {s.id: s.columns_by or split for s in sections}
    return Response(exports.xlsx_bytes(rows, titles, notes, rows_by, columns_by,
                                       display_names(), about),
                    mimetype=exports.XLSX_MIMETYPE, headers=headers)  # fmt: skip


@bp.route("/new", methods=["GET", "POST"])
@login_required("admin")
def create() -> Any:
    flows = _flows()
    problems: dict[str, list[str]] = {}
    form: MultiDict[str, str] = request.form if request.method == "POST" else MultiDict()
    if request.method == "POST":
        try:
            draft = service.read_alert_form(_form_fields(form), flows, utc_now())
            alert_id = service.create_alert(get_db(), draft, g.staff.name, utc_now())
        except service.AlertFormError as exc:
            for issue in exc.issues:
                problems.setdefault(issue.field, []).append(
                    gettext(issue.template, **dict(issue.params))
                )
        except service.AlertError as exc:
            problems.setdefault("", []).append(str(exc))
        else:
            flash(gettext("Alert %(id)s kept as a draft: another admin approves it.",
                          id=alert_id), "done")  # fmt: skip
            return redirect(url_for(".detail", alert_id=alert_id))
    deployment = flows.deployment
    departments = flows.lists.get(service.DEPARTMENTS_LIST)
    return render_template(
        "dashboard/alerts_new.html", page="alerts", form=form, problems=problems,
        topics=sorted(set(deployment.alerts.topics.values())) if deployment.alerts else [],
        departments=[item.value for item in departments.items] if departments else [],
        languages=deployment.languages, source_language=deployment.default_language,
        zone=zone().key,
    ), 400 if problems else 200  # fmt: skip


def _form_fields(form: MultiDict[str, str]) -> dict[str, str | list[str]]:
    """The form as the keys of an alert file: the send time, typed in the deployment's
    zone, gets that zone (an alert file writes it out)."""
    fields: dict[str, str | list[str]] = {
        key: form.get(key, "") for key in ("topic", "source", "verified_on", "review_by")
    }
    fields["departments"] = form.getlist("departments")
    fields["whatsapp_template"] = form.get("whatsapp_template", "")
    for key in form:
        if key.startswith("texts."):
            fields[key] = form.get(key, "")
    typed = form.get("send_at", "").strip()
    try:
        fields["send_at"] = datetime.fromisoformat(typed).replace(tzinfo=zone()).isoformat()
    except ValueError:
        fields["send_at"] = typed  # said wrong by the alert's own rules
    return fields


@bp.get("/<int:alert_id>")
@login_required()
def detail(alert_id: int) -> Any:
    db = get_db()
    found = find_alert(db, alert_id)
    if found is None:
        abort(404)
    staff.record(db, utc_now(), g.staff.name, "view", f"alert {alert_id}")
    k = int(current_app.config["METRICS_K"])
    shown = None
    sections = []
    if went_out(db, [found.id]):
        sections = alert_sections(db, [found.id], ALL, k, cell_keys())
    if found.state == "draft":
        total, groups = alert_audience(db, found.topic, found.departments, k, cell_keys())
        shown = service.preview(found, _flows(), total, groups, current_app.config, k)
    return render_template(
        "dashboard/alerts_detail.html", page="alerts", row=found, preview=shown, k=k,
        duration=service.duration, quiet=_quiet_note(found),
        perturbed=gettext(PERTURBED, n=USUAL_NOISE), can_approve=_can_approve(found),
        price=current_app.config.get("SMS_SEGMENT_PRICE"),
        sms_rate=current_app.config.get("SMS_RATE"),
        whatsapp_rate=current_app.config.get("WHATSAPP_RATE"), sections=sections,
        labels={},
    )  # fmt: skip


def _can_approve(found: AlertRow) -> bool:
    return found.state == "draft" and g.staff.is_admin and found.created_by != g.staff.name


def _quiet_note(found: AlertRow) -> dict[str, str] | None:
    """The quiet hours, and whether the send time falls in them (it then waits)."""
    quiet = quiet_hours()
    if quiet.start == quiet.end:
        return None
    send_at = datetime.fromisoformat(found.send_at)
    waits = send_at in quiet
    if waits:
        # The first minute after the quiet hours end, in the deployment's zone.
        local = send_at.astimezone(quiet.zone)
        end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0)
        if end < local:
            end += timedelta(days=1)
    return {
        "hours": f"{quiet.start:%H:%M}-{quiet.end:%H:%M}",
        "zone": str(quiet.zone.key),
        "waits_until": moment(end) if waits else "",
    }


@bp.post("/<int:alert_id>/approve")
@login_required("admin")
def approve(alert_id: int) -> Any:
    try:
        service.approve_alert(get_db(), alert_id, g.staff.name, utc_now())
        flash(gettext("Alert %(id)s approved: it goes out from its send time.", id=alert_id),
              "done")  # fmt: skip
    except service.AlertError:
        found = find_alert(get_db(), alert_id)
        if found is None:
            abort(404)
        flash(_refusal(found), "error")
    return redirect(url_for(".detail", alert_id=alert_id))


def _refusal(found: AlertRow) -> str:
    """Why an approval was refused, in the staff member's language."""
    if found.created_by == g.staff.name:
        return gettext("You created this alert: another admin must approve it.")
    if found.state != "draft":
        return gettext("This alert is not a draft any more.")
    return gettext("Its review date has passed: create the alert again with checked facts.")


@bp.post("/<int:alert_id>/cancel")
@login_required("admin")
def cancel(alert_id: int) -> Any:
    if find_alert(get_db(), alert_id) is None:
        abort(404)
    try:
        alert_sending.cancel(get_db(), alert_id, g.staff.name, utc_now())
        flash(gettext("Alert %(id)s canceled.", id=alert_id), "done")
    except service.AlertError:
        flash(gettext("Only a draft, an approved alert or one going out can be canceled."),
              "error")  # fmt: skip
    return redirect(url_for(".detail", alert_id=alert_id))
