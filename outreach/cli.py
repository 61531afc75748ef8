"""The ``outreach`` command: a thin click layer over the library."""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .settings import SETTINGS, SettingError, load_settings

if TYPE_CHECKING:
    from .engine import FlowSet
    from .service.content import Content


def _settings(flows_dir: str | None = None) -> dict[str, Any]:
    try:
        settings = load_settings(os.environ)
    except SettingError as exc:
        raise click.ClickException(str(exc)) from None
    if flows_dir:
        settings["FLOWS_DIR"] = flows_dir
    return settings


def _flows_dir() -> str:
    return str(_settings()["FLOWS_DIR"])


def _content(flows_dir: str | None) -> Content:
    """The flows and translations, or a clear message listing every error."""
    from .engine import counter_ids
    from .flowfile import ContentError
    from .service.content import Content

    settings = {**_settings(flows_dir), "CATALOG_CHECK_SECONDS": 0}
    _require_flows(settings)
    try:
        # One person at a terminal: a catalog saved during a chat is used at the next line.
        return Content(settings, new_id=counter_ids())
    except ContentError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(
            f"the content has {len(exc.problems)} error(s); run 'outreach check' for details"
        ) from None


def _require_flows(settings: dict[str, Any]) -> None:
    """An installed outreach has no content of its own: say where content comes from."""
    if not Path(settings["FLOWS_DIR"]).exists():
        raise click.ClickException(
            f"no flows folder at {settings['FLOWS_DIR']}: run this in a deployment folder "
            "('outreach init DIR' creates one) or set OUTREACH_FLOWS_DIR"
        )


def _load(flows_dir: str | None) -> FlowSet:
    return _content(flows_dir).flows


@click.group()
@click.version_option(package_name="outreach")
def main() -> None:
    """outreach: community outreach over SMS and WhatsApp, in residents' own languages."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, help="Port to listen on.")
@click.option("--debug", is_flag=True, help="Reload on code changes (development only).")
def serve(host: str, port: int, debug: bool) -> None:
    """Start the web service on the embedded default (SQLite, the shipped flows).

    Production runs gunicorn instead: gunicorn 'outreach:create_app()'

    Example:

        outreach serve --port 5000
    """
    from .flowfile import ContentError
    from .web.app import create_app

    try:
        if load_settings(os.environ)["ENV"] == "production":
            raise click.ClickException(
                "outreach serve is the development server; in production run "
                "gunicorn 'outreach:create_app()'"
            )
        _require_flows(_settings())
        app = create_app()
    except (ContentError, SettingError) as exc:
        raise click.ClickException(f"cannot start:\n{exc}") from None
    app.run(host=host, port=port, debug=debug)


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def init(folder: Path) -> None:
    """Create a deployment folder for an organisation's own content, from the sample.

    FOLDER gets flows/ (with its tests and the JSON Schema for editors), locales/, an
    instance/ folder for the database (kept out of git), and a README for the staff.
    Keep FOLDER in a git repository of its own, and run the service and every command
    from it; upgrading outreach with pip never touches it.

    Example:

        outreach init /srv/outreach/content
    """
    from .authoring.deployment_folder import FolderNotEmpty, create

    try:
        written = create(folder)
    except FolderNotEmpty as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{len(written)} files -> {folder}; the sample content must be checked before use.")
    click.echo(f"Next: cd {folder} && outreach check && outreach test-flows  (see README.md)")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Check review dates as if today were this day (YYYY-MM-DD).",
)
@click.option(
    "--costs",
    is_flag=True,
    help="Also print what every message costs as SMS, per node and language.",
)
@click.option("--missing", is_flag=True, help="List every untranslated message.")
@click.option("--quiet", "-q", is_flag=True, help="Print problems only, no summary.")
def check(
    paths: tuple[str, ...], today: datetime | None, costs: bool, missing: bool, quiet: bool
) -> None:
    """Check content files and translations, and report every problem as path:line:col.

    With no PATH, checks the flows folder (OUTREACH_FLOWS_DIR, default flows/) and the
    catalogs in OUTREACH_LOCALES_DIR. Messages over the SMS budget of deployment.yaml are
    warnings. Exits with 1 if there is any error, 0 otherwise (warnings allowed).

    Example:

        outreach check flows/
    """
    from .authoring.check import check_content
    from .flowfile import Severity

    settings = _settings()
    day: date = today.date() if today else datetime.now(UTC).date()
    targets = [Path(p) for p in paths] or [Path(settings["FLOWS_DIR"])]
    problems_in: set[Path] | None = None
    if not any(t.is_dir() for t in targets):
        # Single files (an editor checking on save): read their folders too, so that
        # references to other flows resolve, but report only the named files.
        problems_in = {t.resolve() for t in targets}
        targets = [*{t.parent for t in targets if t.exists()}, *targets]
    report = check_content(
        targets,
        day,
        Path(settings["LOCALES_DIR"]),
        int(settings["LANGUAGE_MIN_COVERAGE"]),
        list_missing=missing,
    )
    shown = [
        p
        for p in report.problems
        if problems_in is None or Path(p.place.path).resolve() in problems_in
    ]
    for problem in shown:
        click.echo(str(problem))
    if costs:
        click.echo("\nSMS cost per node and language (the text as sent, after shaping):")
        per_language: dict[str, list[int]] = {}
        for place, cost in report.costs:
            if cost.translated:
                info = cost.info
                per_language.setdefault(cost.language, []).append(info.segments)
                click.echo(
                    f"{place or '-'}: {cost.flow}/{cost.node} {cost.language:<4} "
                    f"{info.encoding} {info.segments} SMS {info.characters:>4} characters"
                )
        for language, sizes in per_language.items():
            click.echo(
                f"{language}: median {statistics.median(sizes):g} SMS per message, "
                f"{sum(1 for s in sizes if s > 1)} of {len(sizes)} messages need more than one"
            )
    errors = [p for p in shown if p.severity is Severity.ERROR]
    if not quiet:
        click.echo(
            f"{report.result.files} file(s) checked: {len(errors)} error(s), "
            f"{len(shown) - len(errors)} warning(s)",
            err=True,
        )
    sys.exit(1 if errors else 0)


@main.command()
@click.option(
    "--lang",
    "language",
    default=None,
    help="The resident's language (default: the flows' source language).",
)
@click.option(
    "--ask-language",
    is_flag=True,
    help="Start as a new resident, who is asked to choose a language.",
)
@click.option(
    "--channel",
    type=click.Choice(["sms", "whatsapp", "web"]),
    default="sms",
    show_default=True,
    help="The channel to simulate.",
)
@click.option("--flows", "flows_dir", type=click.Path(), help="Folder of content files.")
@click.option("--events", is_flag=True, help="Also print the events of each turn.")
def chat(
    language: str | None, ask_language: bool, channel: str, flows_dir: str | None, events: bool
) -> None:
    """Talk to the flows in the terminal, as a resident would.

    Type a message and press Enter; Ctrl-D ends. With piped input it prints each reply
    and no prompts, so a scripted conversation can be compared with diff. Catalogs saved
    during a chat are used at once.

    Example:

        printf '1\\n2\\nmenu\\n' | outreach chat
    """
    from .authoring.chat import chat as run_chat

    content = _content(flows_dir)
    known = [lang.code for lang in content.flows.deployment.languages]
    if language and language not in known:
        raise click.ClickException(
            f"{language!r} is not a language of this deployment ({', '.join(known)})"
        )
    if not ask_language:
        language = language or content.flows.deployment.default_language
    interactive = sys.stdin.isatty()
    if interactive:
        click.echo("Chatting with the flows. Ctrl-D to end.\n", err=True)
    run_chat(
        content,
        sys.stdin,
        sys.stdout,
        language=language,
        channel=channel,
        prompt="you> " if interactive else "",
        show_events=events,
    )


@main.command("test-flows")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--flows", "flows_dir", type=click.Path(), help="Folder of content files.")
def test_flows(paths: tuple[str, ...], flows_dir: str | None) -> None:
    """Run conversation tests and report which nodes they cover.

    With no PATH, runs every test file under the flows folder's tests/ folder. Node
    coverage is reported in all and for each language offered to residents (a node
    counts for the language the resident had when the conversation reached it).

    Example:

        outreach test-flows flows/tests/
    """
    from .authoring.convtest import (
        conversation_files,
        coverage,
        read_conversations,
        run_conversation,
    )

    content = _content(flows_dir)
    base = content.flows_dir
    files = conversation_files(paths or [base / "tests"])
    if not files:
        raise click.ClickException("no conversation test files found")
    started = time.perf_counter()
    passed = failed = 0
    covered = coverage(content.flows, [lang.code for lang in content.engine().languages])
    for path in files:
        conversations, problems = read_conversations(path)
        for problem in problems:
            click.echo(str(problem))
            failed += 1
        for conversation in conversations:
            outcome = run_conversation(content.engine(), conversation)
            covered.add(outcome)
            if outcome.passed:
                passed += 1
            else:
                failed += 1
                click.echo(f"FAIL {conversation.place}: {conversation.name}")
                for problem in outcome.failures:
                    click.echo(f"  {problem}")
    click.echo(covered.summary())
    for line in covered.missing_lines():
        click.echo(line)
    click.echo(
        f"conversations: {passed} passed, {failed} failed in {time.perf_counter() - started:.2f}s"
    )
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("texts", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per text.")
@click.option(
    "--lang",
    "language",
    default="es",
    show_default=True,
    help="Language, for shaping with --shaped.",
)
@click.option(
    "--shaped",
    is_flag=True,
    help="Count the text as shaped for SMS by the deployment (flows/deployment.yaml).",
)
@click.option("--flows", "flows_dir", type=click.Path(), help="Folder of content files.")
def segments(
    texts: tuple[str, ...], as_json: bool, language: str, shaped: bool, flows_dir: str | None
) -> None:
    """Show the SMS encoding, characters and segments of each TEXT, as Twilio counts them.

    With TEXT "-", reads one JSON string per line from standard input and, with --json,
    writes one JSON object per line: encoding, segments, characters, non_gsm.

    Example:

        outreach segments "¿En qué departamento vive?"
    """
    from .sms import segment_info, shape

    shaping = _load(flows_dir).deployment.sms if shaped else None

    def report(text: str) -> None:
        sent = shape(text, language, "sms", shaping) if shaping else text
        info = segment_info(sent)
        # A lone surrogate (half an emoji) cannot be written as UTF-8: escape it then.
        printable = sent.encode("utf-8", "backslashreplace").decode("utf-8")
        plain = printable == sent
        if as_json:
            click.echo(json.dumps(info.to_dict(), ensure_ascii=not plain))
            return
        why = ""
        if info.non_gsm:
            why = (
                "  (UCS-2 because of: "
                + ", ".join(ascii(c) if not plain else repr(c) for c in info.non_gsm)
                + ")"
            )
        click.echo(
            f"{info.encoding}  {info.segments} segment(s)  {info.characters:>3} characters  "
            f"{printable}{why}"
        )

    if texts == ("-",):
        for number, line in enumerate(sys.stdin, start=1):
            if not line.strip():
                continue
            try:
                text = json.loads(line)
            except json.JSONDecodeError:
                text = None
            if not isinstance(text, str):
                raise click.ClickException(f"line {number}: not a JSON string")
            report(text)
        return
    for text in texts:
        report(text)


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
    type=click.Choice(["overview", "flows", "topics", "quality"]),
    help="Print every table of a dashboard page instead (as its export does).",
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.option("--k", "k", default=None, type=int, help="Suppress cells under k residents.")
def metrics(
    since: datetime | None,
    until: datetime | None,
    by: str,
    page: str | None,
    as_json: bool,
    k: int | None,
) -> None:
    """Residents reached, by language, channel, department or period; small cells hidden.

    Rows and columns: language, channel, department, day, week, month. Flows, steps,
    topics and programmes are on the dashboard's pages: --page flows, --page topics.
    A count under k residents (OUTREACH_METRICS_K, default 10) is never shown, nor can it
    be worked out from totals.

    Example:

        outreach metrics --by department,language --since 2026-11-01

        outreach metrics --page flows --json
    """
    from datetime import timedelta

    from .metrics import report as pages
    from .metrics.cellkey import USUAL_NOISE
    from .metrics.queries import ALL, PERIODS, Query, bounded, reached
    from .metrics.rollup import close_days
    from .storage import connect

    settings = _settings()
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
    path = _database_path(settings)
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
        if page is not None:
            content = _content(None).flows
            chosen = pages.page_sections(page, db, query, period, k, noise, content)
            price = settings["SMS_SEGMENT_PRICE"]
            figures = pages.page_figures(
                chosen, float(price) if price else None, str(settings["SMS_PRICE_CURRENCY"])
            )
            if as_json:
                rows = pages.with_note(figures, perturbed)
                click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            else:
                click.echo(perturbed)
                for figure in figures:
                    shown = f"<{k}" if figure["suppressed"] else figure["value"]
                    click.echo(
                        f"{figure['table']!s:<26} {figure['row']!s:<32} "
                        f"{figure['column']!s:<12} {shown}"
                    )
            return
        table = reached(db, query, dimensions[0], k, noise)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(
            json.dumps(
                {
                    "metric": "residents_reached",
                    "since": first.isoformat(),
                    "until": last.isoformat(),
                    "k": table.k,
                    "usual_perturbation": USUAL_NOISE,
                    "perturbation": perturbed,
                    "rows": table.rows,
                    "columns": table.columns,
                    "cells": [
                        {"row": r, "column": c, "value": v} for (r, c), v in table.cells.items()
                    ],
                    "row_totals": table.row_totals,
                    "column_totals": table.column_totals,
                    "total": table.total,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return

    def show(value: int | None) -> str:
        return f"<{table.k}" if value is None else str(value)

    width = max([len(r) for r in table.rows] + [8])
    click.echo(f"Residents reached {first} to {last} (cells under {table.k} hidden)")
    click.echo(perturbed)
    click.echo(" " * width + "".join(f"{c:>12}" for c in table.columns) + f"{'total':>12}")
    for row in table.rows:
        values = "".join(f"{show(table.cells[row, c]):>12}" for c in table.columns)
        click.echo(f"{row:<{width}}{values}{show(table.row_totals[row]):>12}")
    totals = "".join(f"{show(table.column_totals[c]):>12}" for c in table.columns)
    click.echo(f"{'total':<{width}}{totals}{show(table.total):>12}")


def _cell_keys(settings: dict[str, Any]) -> Any:
    """The deployment's cell keys, from the pseudonym key the service uses (the setting,
    or the development key the service generated in its instance folder), so that the
    command prints the very figures the dashboard shows."""
    from flask import Flask

    from .metrics.cellkey import CellKeys
    from .privacy import KEY_FILE, check_key

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
    from .metrics.purge import purge as run_purge
    from .storage import connect

    settings = _settings()
    path = _database_path(settings)
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
        f"{report.residents_forgotten} resident(s) silent since before the window forgotten"
    )


def _database_path(settings: dict[str, Any]) -> Path:
    """The service's database (see :func:`outreach.storage.database_path`)."""
    from .storage import database_path

    return database_path(settings, settings["INSTANCE_DIR"])


def _database() -> Any:
    from .storage import connect

    settings = _settings()
    path = _database_path(settings)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return connect(path, migrate=True)


def _password(ask: bool) -> str:
    if not ask:
        # The first line of a pipe (printf '%s\n' "$PASSWORD" | ...), with or without its
        # line end, a Windows one included.
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@main.command("demo-data")
@click.option(
    "--residents", default=500, show_default=True, help="How many synthetic residents to play."
)
@click.option("--if-empty", is_flag=True, help="Only if the database has no interactions yet.")
def demo_data(residents: int, if_empty: bool) -> None:
    """Fill the development database with synthetic, labelled conversations (ids start
    with "demo-") and a demo login, so the dashboard has something to show.

    Example:

        outreach demo-data --residents 500
    """
    from .service.demo import DEMO_LOGIN, fill

    settings = _settings()
    if settings["ENV"] == "production":
        raise click.ClickException("demo data is for development databases only")
    db = _database()
    # Residents, not events: the events of closed days are rolled up and gone.
    if if_empty and db.execute("SELECT 1 FROM residents LIMIT 1").fetchone():
        return
    handled = fill(db, _content(None), residents, datetime.now(UTC))
    click.echo(
        f"{handled} synthetic messages from {residents} demo residents; "
        f"dashboard login (development only): {DEMO_LOGIN[0]} / {DEMO_LOGIN[1]}"
    )


@main.group()
def users() -> None:
    """Staff accounts for the dashboard (viewer: metrics and exports; admin: also staff).

    Example:

        outreach users add ana --role admin
    """


@users.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["viewer", "admin"]),
    default="viewer",
    show_default=True,
    help="What the account may see.",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin (scripts).")
def users_add(name: str, role: str, password_stdin: bool) -> None:
    """Add a staff account; the password is asked twice, or read from a pipe with
    --password-stdin (its first line).

    Example:

        outreach users add ana --role viewer

        printf '%s\\n' "$PASSWORD" | outreach users add ana --password-stdin
    """
    from . import staff

    try:
        staff.add(_database(), name, _password(not password_stdin), role, datetime.now(UTC))
    except staff.StaffError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{name}: {role} account added")


@users.command("remove")
@click.argument("name")
def users_remove(name: str) -> None:
    """Remove a staff account.

    Example:

        outreach users remove ana
    """
    from . import staff

    try:
        staff.remove(_database(), name, datetime.now(UTC))
    except staff.StaffError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{name}: removed")


@users.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin (scripts).")
def users_passwd(name: str, password_stdin: bool) -> None:
    """Set a staff account's password.

    Example:

        outreach users passwd ana
    """
    from . import staff

    try:
        staff.set_password(_database(), name, _password(not password_stdin), datetime.now(UTC))
    except staff.StaffError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{name}: password changed")


@users.command("unlock")
@click.argument("name")
def users_unlock(name: str) -> None:
    """Let NAME log in again at once, from every address, after failed logins slowed it
    down (a new password does this too).

    Example:

        outreach users unlock ana
    """
    from . import staff

    cleared = staff.unlock(_database(), name, datetime.now(UTC))
    click.echo(f"{name}: unlocked ({cleared} address(es) had been slowed down)")


@users.command("list")
def users_list() -> None:
    """List staff accounts and their roles.

    Example:

        outreach users list
    """
    from . import staff

    for name, role, created in staff.listing(_database()):
        click.echo(f"{name:<24} {role:<7} since {created[:10]}")


@main.group()
def i18n() -> None:
    """Translations: gettext catalogs in locales/ for every language of the deployment.

    Example:

        outreach i18n update
    """


@i18n.command("update")
@click.option("--flows", "flows_dir", type=click.Path(), help="Folder of content files.")
def i18n_update(flows_dir: str | None) -> None:
    """Extract every flow message and update every language's catalog, in one step.

    Writes locales/flows.pot; a message whose Spanish changed keeps its old translation,
    marked fuzzy and not served until a translator reviews it.

    Example:

        outreach i18n update
    """
    from .i18n.catalogs import (
        TEMPLATE_NAME,
        build_template,
        catalog_path,
        new_catalog,
        read_catalog,
        update_catalog,
        write_catalog,
    )
    from .i18n.messages import all_messages
    from .languages import SOURCE_LANGUAGE

    content = _content(flows_dir)
    messages = all_messages([_relative(content.flows_dir)])
    template = build_template(messages)
    locales = content.locales_dir
    write_catalog(template, locales / TEMPLATE_NAME)
    click.echo(f"{len(messages)} messages -> {_relative(locales / TEMPLATE_NAME)}")
    failed = False
    for lang in content.flows.deployment.languages:
        if lang.code == SOURCE_LANGUAGE:
            continue
        path = catalog_path(locales, lang.code)
        if path.exists():
            loaded = read_catalog(lang.code, path)
            if loaded.catalog is None or loaded.problems:
                for problem in loaded.problems:
                    click.echo(str(problem), err=True)
                click.echo(f"{lang.code}: not updated; mend the catalog first", err=True)
                failed = True
                continue
            catalog = loaded.catalog
            update_catalog(catalog, template)
        else:
            catalog = new_catalog(lang.code, template)
        written = write_catalog(catalog, path)
        fuzzy = sum(1 for m in catalog if m.id and m.fuzzy)
        done = sum(1 for m in catalog if m.id and m.string and not m.fuzzy)
        state = "updated" if written else "unchanged"
        click.echo(
            f"{lang.code}: {done}/{len(messages)} translated, {fuzzy} fuzzy "
            f"({state}) -> {_relative(path)}"
        )
    if failed:
        sys.exit(1)


@i18n.command("init")
@click.argument("code")
@click.option("--flows", "flows_dir", type=click.Path(), help="Folder of content files.")
def i18n_init(code: str, flows_dir: str | None) -> None:
    """Create an empty catalog for a language, even one CLDR does not know (cak, mam).

    `pybabel init -l mam` fails because CLDR has no Mam locale; this does not need one.
    Then add the language to flows/deployment.yaml and give the catalog to a translator.

    Example:

        outreach i18n init mam
    """
    from .i18n.catalogs import build_template, catalog_path, new_catalog, write_catalog
    from .i18n.messages import all_messages
    from .languages import UnknownLanguage

    content = _content(flows_dir)
    path = catalog_path(content.locales_dir, code)
    if path.exists():
        raise click.ClickException(f"{_relative(path)} exists already; use 'outreach i18n update'")
    try:
        catalog = new_catalog(code, build_template(all_messages([_relative(content.flows_dir)])))
    except UnknownLanguage as exc:
        raise click.ClickException(str(exc.args[0])) from None
    write_catalog(catalog, path)
    click.echo(f"{code}: empty catalog -> {_relative(path)}")


@i18n.command("status")
@click.option("--flows", "flows_dir", type=click.Path(), help="Folder of content files.")
def i18n_status(flows_dir: str | None) -> None:
    """Show, per language, how much is translated and whether residents are offered it.

    Example:

        outreach i18n status
    """
    content = _content(flows_dir)
    state = content.state
    for lang in content.flows.deployment.languages:
        cov = state.coverage[lang.code]
        offered = (
            "offered"
            if lang.code in state.offered
            else (f"not offered (needs {content.min_coverage}%)")
        )
        click.echo(
            f"{lang.code:<4} {lang.name:<10} {cov.translated:>4}/{cov.total:<4} "
            f"{cov.percent:>3}%  {cov.fuzzy:>3} fuzzy  {offered}"
        )


def _relative(path: Path) -> Path:
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


@main.command()
def schema() -> None:
    """Print the JSON Schema of the content files (kept in flows/schema.json).

    Example:

        outreach schema > flows/schema.json
    """
    from .authoring.schema import content_schema_json

    click.echo(content_schema_json(), nl=False)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def settings(as_json: bool) -> None:
    """List every setting with its environment variable, default and help.

    Example:

        outreach settings
    """
    if as_json:
        click.echo(
            json.dumps(
                [{"env": s.env, "default": s.default, "help": s.help} for s in SETTINGS], indent=2
            )
        )
        return
    for setting in SETTINGS:
        click.echo(f"{setting.env} (default: {setting.default})\n    {setting.help}")


if __name__ == "__main__":
    main()
