"""The database's figures and upkeep: metrics, purge, demo-data."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from outreach.cli import current_settings, database_file, load_content, main, open_database


@main.command()
@click.option(
    "--since", type=click.DateTime(["%Y-%m-%d"]), help="First day (default: 30 days ago)."
)
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: today).")
@click.option(
    "--by", default="all", help="One or two dimensions, e.g. language or department,channel."
)
@click.option(
    "--page",
    type=click.Choice(["overview", "flows", "topics", "quality", "voice", "alerts"]),
    help="Print every table of a dashboard page instead (as its export does).",
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.option("--k", "k", default=None, type=int, help="Suppress cells under k residents.")
@click.option(
    "--ui",
    "ui_language",
    type=click.Choice(["es", "en"]),
    default="es",
    help="The language of a page's names of flows, steps and programmes (--page, not --json).",
)
def metrics(
    since: datetime | None,
    until: datetime | None,
    by: str,
    page: str | None,
    as_json: bool,
    k: int | None,
    ui_language: str,
) -> None:
    """Residents reached, by language, channel, department or period; small cells hidden.

    Rows and columns: language, channel, department, day, week, month. Flows, steps,
    topics and programmes are on the dashboard's pages: --page flows, --page topics;
    calls, minutes and call backs: --page voice.
    A count under k residents (OUTREACH_METRICS_K, default 10) is never shown, nor can it
    be worked out from totals.

    Example:

        outreach metrics --by department,language --since 2026-11-01

        outreach metrics --page flows --json
    """
    from datetime import timedelta

    from outreach.i18n.ui import translations
    from outreach.metrics import report as pages
    from outreach.metrics import text
    from outreach.metrics.cellkey import USUAL_NOISE
    from outreach.metrics.names import Names
    from outreach.metrics.periods import PERIODS, bounded
    from outreach.metrics.queries import ALL, Query, reached
    from outreach.metrics.rollup import close_days
    from outreach.storage import connect

    settings = current_settings()
    last = until.date() if until else datetime.now(UTC).date()
    first = since.date() if since else last - timedelta(days=29)
    # Whole months (or one whole week), as on the dashboard: free ranges would let anyone
    # build many overlapping cells around the same residents and average the noise away.
    # A page's bars are picked as the dashboard picks them, from the range asked for.
    period = pages.auto_period(first, last) if page else "day"
    fitted = bounded(first, last, period) if first <= last else None
    if fitted is None:
        raise click.ClickException("a range cannot end before it starts, and is at most 120 months")
    first, last, period = fitted
    dimensions = [d.strip() for d in by.split(",") if d.strip()] + [ALL, ALL]
    # A period dimension gets coarser where the range would have too many of them.
    dimensions = [bounded(first, last, d)[2] if d in PERIODS else d for d in dimensions]  # type: ignore[index]
    path = database_file(settings)
    if not path.exists():
        raise click.ClickException(f"no database at {path}: run the service first")
    configured = int(settings["METRICS_K"])
    if k is not None and k < configured:
        raise click.ClickException(
            f"--k {k} is below the configured k ({configured}, OUTREACH_METRICS_K): "
            "a smaller k could single people out"
        )
    k = k or configured
    noise = _cell_keys(settings)
    perturbed = pages.PERTURBED % {"n": USUAL_NOISE}
    db = connect(path, migrate=True)
    close_days(db, datetime.now(UTC).date())
    try:
        query = Query(first, last, dimensions[1] if page is None else ALL)
        if page == "alerts":
            figures = _alert_figures(db, by, k, noise)
            if as_json:
                click.echo(json.dumps(pages.with_note(figures, perturbed), ensure_ascii=False,
                                      indent=2))  # fmt: skip
            else:
                click.echo("\n".join(text.figure_lines(figures, k, perturbed)))
            return
        if page is not None:
            loaded = load_content(None)
            content = loaded.flows
            chosen = pages.page_sections(page, db, query, period, k, noise, content)
            price = settings["SMS_SEGMENT_PRICE"]
            per_minute = settings["VOICE_PRICE_PER_MINUTE"]
            figures = pages.page_figures(
                chosen, float(price) if price else None, str(settings["SMS_PRICE_CURRENCY"]),
                float(per_minute) if per_minute else None, str(settings["VOICE_PRICE_CURRENCY"]),
            )  # fmt: skip
            if as_json:
                rows = pages.with_note(figures, perturbed)
                click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            else:
                names = Names(content, ui_language, loaded.state.translations,
                              translations(ui_language).ugettext)  # fmt: skip
                rows_by = pages.row_dimensions(chosen)
                columns = pages.column_dimensions(chosen, query.split)
                lines = text.figure_lines(figures, k, perturbed, names, rows_by, columns)
                click.echo("\n".join(lines))
            return
        table = reached(db, query, dimensions[0], k, noise)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        shown = text.table_json(table, first, last, perturbed)
        click.echo(json.dumps(shown, ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(text.table_lines(table, first, last, perturbed)))


def _alert_figures(db: Any, by: str, k: int, noise: Any) -> list[dict[str, object]]:
    """The alerts page's figures (sent, delivered, failed, read, opted out after each
    alert that went out), split by ``by`` (language, channel or department) or not."""
    from outreach.metrics import report
    from outreach.metrics.alerts import ALERT_SPLITS, alert_sections, went_out
    from outreach.storage.alerts import alerts

    split = by if by in ALERT_SPLITS else "all"
    if by not in ("all", split):
        raise click.ClickException(f"alerts are split by {', '.join(ALERT_SPLITS)} only")
    went = went_out(db, [row.id for row in alerts(db)[::-1]])
    return report.rows_of(alert_sections(db, went, split, k, noise))


def _cell_keys(settings: dict[str, Any]) -> Any:
    """The deployment's cell keys, from the pseudonym key the service uses (the setting,
    or the development key the service generated in its instance folder), so that the
    command prints the very figures the dashboard shows."""
    from flask import Flask

    from outreach.metrics.cellkey import CellKeys
    from outreach.privacy import KEY_FILE, check_key

    if settings["PSEUDONYM_KEY"]:
        return CellKeys(check_key(str(settings["PSEUDONYM_KEY"]).encode()))
    # Where the service keeps its development key (Flask's instance folder).
    instance = Path(Flask("outreach.web.app", instance_relative_config=True).instance_path)
    path = instance / KEY_FILE
    if not path.exists():
        raise click.ClickException(
            "no pseudonym key (OUTREACH_PSEUDONYM_KEY): published figures are perturbed "
            "with keys derived from it"
        )
    return CellKeys(check_key(path.read_text(encoding="ascii").strip().encode()))


@main.command()
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Purge as if today were this day.")
def purge(today: datetime | None) -> None:
    """Fold interaction rows older than the retention window into daily aggregates
    (small cells suppressed) and delete them. Run it daily, e.g. from cron.

    Example:

        outreach purge
    """
    from outreach.metrics.purge import purge as run_purge
    from outreach.storage import connect

    settings = current_settings()
    path = database_file(settings)
    if not path.exists():
        raise click.ClickException(f"no database at {path}")
    day = today.date() if today else datetime.now(UTC).date()
    report = run_purge(
        connect(path, migrate=True),
        day,
        int(settings["RETENTION_DAYS"]),
        int(settings["METRICS_K"]),
        _cell_keys(settings),
    )
    click.echo(
        f"{report.days} day(s) folded into {report.aggregates_written} aggregates; "
        f"{report.rows_deleted} interaction rows deleted; "
        f"{report.residents_forgotten} resident(s) silent since before the window forgotten; "
        f"{report.calls_deleted} call(s) deleted"
    )


@main.command("demo-data")
@click.option(
    "--residents", default=3000, show_default=True, help="How many synthetic residents to play."
)
@click.option("--if-empty", is_flag=True, help="Only if the database has no interactions yet.")
def demo_data(residents: int, if_empty: bool) -> None:
    """Fill the development database with synthetic, labelled conversations (ids start
    with "demo-") and a demo login, so the dashboard has something to show.

    Example:

        outreach demo-data --residents 500
    """
    from outreach.service.demo import DAYS, DEMO_LOGIN, fill

    settings = current_settings()
    if settings["ENV"] == "production":
        raise click.ClickException("demo data is for development databases only")
    db = open_database()
    # Residents, not events: the events of closed days are rolled up and gone.
    if if_empty and db.execute("SELECT 1 FROM residents LIMIT 1").fetchone():
        return
    filled = fill(db, load_content(None), residents, datetime.now(UTC))
    click.echo(
        f"{filled.messages} synthetic messages and {filled.calls} calls from "
        f"{filled.residents} demo residents over {DAYS} days; "
        f"dashboard login (development only): {DEMO_LOGIN[0]} / {DEMO_LOGIN[1]}"
    )
