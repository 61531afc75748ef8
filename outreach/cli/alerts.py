"""Alerts as reviewed content: alerts create, approve, list, show, cancel."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from outreach.cli import current_settings, load_flows, main, open_database


def _now() -> datetime:
    return datetime.now(UTC)


@main.group()
def alerts() -> None:
    """Alerts to subscribers: written in a file, created as a draft by one admin,
    approved by a second, then sent by the worker at its time (docs/alerts.md).

    Example:

        outreach alerts create --file alert.yaml --by ana

        outreach alerts show 1

        outreach alerts approve 1 --by bea
    """


@alerts.command("create")
@click.option("--file", "path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="The alert, in YAML (docs/alerts.md).")  # fmt: skip
@click.option("--by", required=True, help="The admin account creating it.")
@click.option("--flows", "flows_dir", default=None, help="Content folder (default: the setting).")
def alerts_create(path: str, by: str, flows_dir: str | None) -> None:
    """Check an alert file and keep it as a draft; errors are said file:line:col.

    Example:

        outreach alerts create --file alert.yaml --by ana
    """
    from outreach.service.alerts import AlertError, AlertFileError, create_alert, read_alert_file

    flows = load_flows(flows_dir)
    try:
        draft = read_alert_file(Path(path), flows, _now())
        alert_id = create_alert(open_database(), draft, by, _now())
    except AlertFileError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(str(exc)) from None
    except AlertError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"alert {alert_id}: draft; another admin approves it with: "
               f"outreach alerts approve {alert_id} --by NAME")  # fmt: skip
    _show(alert_id, flows_dir)


@alerts.command("approve")
@click.argument("alert_id", type=int)
@click.option("--by", required=True, help="The admin approving it (not its creator).")
def alerts_approve(alert_id: int, by: str) -> None:
    """Approve a draft alert: by a second admin, never the one who created it.

    Example:

        outreach alerts approve 1 --by bea
    """
    from outreach.service.alerts import AlertError, approve_alert

    try:
        approved = approve_alert(open_database(), alert_id, by, _now())
    except AlertError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"alert {alert_id}: approved by {by}; it goes out from {approved.send_at}")


@alerts.command("cancel")
@click.argument("alert_id", type=int)
@click.option("--by", required=True, help="The admin canceling it.")
def alerts_cancel(alert_id: int, by: str) -> None:
    """Cancel an alert: a draft, an approved one, or one going out (its messages not
    yet sent are not sent; the one being sent at that instant still goes).

    Example:

        outreach alerts cancel 1 --by bea
    """
    from outreach.service.alert_sending import cancel
    from outreach.service.alerts import AlertError

    try:
        before, _canceled = cancel(open_database(), alert_id, by, _now())
    except AlertError as exc:
        raise click.ClickException(str(exc)) from None
    if before == "sending":
        click.echo(f"alert {alert_id}: canceled while going out; its messages not sent yet "
                   "are not sent")  # fmt: skip
    else:
        click.echo(f"alert {alert_id}: canceled ({before} before)")


@alerts.command("list")
@click.option("--flows", "flows_dir", default=None, help="Content folder (default: the setting).")
def alerts_list(flows_dir: str | None) -> None:
    """Every alert with its state (draft, approved, sending, sent, canceled) and, before
    approval, its protected audience.

    Example:

        outreach alerts list
    """
    from outreach.storage.alerts import alerts as all_alerts

    db = open_database()
    rows = all_alerts(db)
    if not rows:
        click.echo("no alerts yet")
        return
    settings = current_settings(flows_dir)
    for row in rows:
        line = f"{row.id:>4}  {row.state:<9} {row.topic:<12} {row.send_at}  by {row.created_by}"
        if row.approved_by:
            line += f", approved by {row.approved_by}"
        k = int(settings["METRICS_K"])
        if row.state == "draft":
            total, _groups = _audience(db, row, settings)
            line += f"  audience {_count(total, k)}"
        elif row.state in ("sending", "sent", "canceled"):
            figures = _outcomes(db, row.id, settings)
            if figures:
                line += "  " + ", ".join(f"{name} {_count(n, k)}" for name, n in figures)
        click.echo(line)


@alerts.command("show")
@click.argument("alert_id", type=int)
@click.option("--flows", "flows_dir", default=None, help="Content folder (default: the setting).")
def alerts_show(alert_id: int, flows_dir: str | None) -> None:
    """An alert and what approving it means: audience (protected), SMS segments per
    language, estimated cost, WhatsApp template, time at the senders' rates.

    Example:

        outreach alerts show 1
    """
    _show(alert_id, flows_dir)


def _count(value: int | None, k: int) -> str:
    return f"fewer than {k} (not shown)" if value is None else f"about {value}"


def _audience(db: Any, row: Any, settings: dict[str, Any]) -> Any:
    from outreach.cli.data import _cell_keys
    from outreach.metrics.alerts import alert_audience

    try:
        noise = _cell_keys(settings)
    except click.ClickException:
        noise = None  # no key yet, hence no residents either: counts are 0 or hidden
    return alert_audience(db, row.topic, row.departments, int(settings["METRICS_K"]), noise)


#: What `list` and `show` say of an alert's messages, in this order: the outbox's states
#: and, of those sent, Twilio's last status.
OUTCOMES = (
    ("queued", "queued"), ("sent", "sent"), ("status:delivered", "delivered"),
    ("status:read", "read"), ("status:undelivered", "undelivered"),
    ("status:failed", "failed at the carrier"), ("failed", "failed"),
    ("unknown", "unknown (may have gone)"), ("canceled", "not sent"),
)  # fmt: skip


def _outcomes(db: Any, alert_id: int, settings: dict[str, Any]) -> list[tuple[str, int | None]]:
    """An alert's messages by outcome, as published figures (perturbed, hidden under
    k): exact counts would give its audience away, which the preview protects."""
    from outreach.cli.data import _cell_keys
    from outreach.metrics.alerts import published_count
    from outreach.storage.outbox import alert_recipients

    try:
        noise = _cell_keys(settings)
    except click.ClickException:
        noise = None
    groups = alert_recipients(db, alert_id)
    k = int(settings["METRICS_K"])
    return [
        (label, published_count(groups[name], k, noise))
        for name, label in OUTCOMES
        if groups.get(name)
    ]


def _show(alert_id: int, flows_dir: str | None) -> None:
    from outreach.service.alerts import duration, preview
    from outreach.storage.alerts import alert

    db = open_database()
    row = alert(db, alert_id)
    if row is None:
        raise click.ClickException(f"no alert {alert_id}")
    settings = current_settings(flows_dir)
    flows = load_flows(flows_dir)
    k = int(settings["METRICS_K"])
    total, groups = _audience(db, row, settings)
    shown = preview(row, flows, total, groups, settings, k)
    departments = ", ".join(row.departments) if row.departments else "all"
    click.echo(f"alert {row.id}: {row.state}, topic {row.topic}, departments {departments}")
    click.echo(f"  send at {row.send_at}; created by {row.created_by}"
               + (f", approved by {row.approved_by}" if row.approved_by else ""))  # fmt: skip
    click.echo(f"  source: {row.source} (verified {row.verified_on}, review by {row.review_by})")
    click.echo(f"  audience: {_count(shown.audience, k)} subscribers")
    figures = _outcomes(db, row.id, settings)
    if figures:
        click.echo("  messages: " + ", ".join(f"{name} {_count(n, k)}" for name, n in figures))
    for lang in shown.languages:
        click.echo(f"  {lang.language}: {lang.segments} SMS segment(s) ({lang.encoding});"
                   f" SMS {_count(lang.sms, k) if lang.sms is not None or lang.language in row.texts else '0'},"  # noqa: E501
                   f" WhatsApp {_count(lang.whatsapp, k)}")  # fmt: skip
    if shown.cost is not None:
        click.echo(f"  estimated SMS cost: {shown.cost:.2f} {shown.currency}")
    else:
        click.echo("  estimated SMS cost: not known (no OUTREACH_SMS_SEGMENT_PRICE, or a count "
                   "is hidden)")  # fmt: skip
    click.echo(
        "  WhatsApp template: " + (f"yes ({row.content_sid}), for residents outside the "
        "24-hour window" if shown.whatsapp_template else "none: WhatsApp subscribers who "
        "have not written in the last 24 hours cannot get it")
    )  # fmt: skip
    if shown.seconds is not None:
        click.echo(f"  time to send at the senders' rates: {duration(shown.seconds)}"
                   f" (SMS {settings['SMS_RATE']} segment(s)/s, WhatsApp "
                   f"{settings['WHATSAPP_RATE']} message(s)/s)")  # fmt: skip
    else:
        click.echo("  time to send: not shown while a count is hidden")
    for language, text in sorted(row.texts.items()):
        click.echo(f"  [{language}] {text}")
