"""What content editors run: init, check, chat, test-flows, segments, schema."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import click

from outreach.cli import current_settings, load_content, load_flows, main


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
    from outreach.authoring.deployment_folder import FolderNotEmpty, create

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
    help="Also print what every message costs as SMS, and the seconds a call takes "
    "(per prompt, per path, per call), per node and language.",
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
    from outreach.authoring.check import check_content, cost_lines, voice_cost_lines
    from outreach.flowfile import Severity

    settings = current_settings()
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
        for line in cost_lines(report):
            click.echo(line)
        click.echo("")
        for line in voice_cost_lines(report):
            click.echo(line)
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
    from outreach.authoring.chat import chat as run_chat

    content = load_content(flows_dir)
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
    from outreach.authoring.convtest import (
        conversation_files,
        coverage,
        read_conversations,
        run_conversation,
    )

    content = load_content(flows_dir)
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
    from outreach.sms import segment_info, shape

    shaping = load_flows(flows_dir).deployment.sms if shaped else None

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
def schema() -> None:
    """Print the JSON Schema of the content files (kept in flows/schema.json).

    Example:

        outreach schema > flows/schema.json
    """
    from outreach.authoring.schema import content_schema_json

    click.echo(content_schema_json(), nl=False)
