"""Recorded audio for the voice line: audio status, audio script (over outreach.voice)."""

from __future__ import annotations

from pathlib import Path

import click

from outreach.cli import load_content, main


@main.group()
def audio() -> None:
    """Recorded audio for the voice line: locales/<lang>/audio/ and its manifest.yaml.

    Example:

        outreach audio status
    """


@audio.command("status")
@click.option("--flows", "flows_dir", type=click.Path(), help="Folder of content files.")
def audio_status(flows_dir: str | None) -> None:
    """Show, per language, how many texts a call says have a current recording, how many
    are stale (the Spanish changed since) or missing, and the current ones' seconds.

    Example:

        outreach audio status
    """
    from outreach.languages import LANGUAGES
    from outreach.voice.recordings import Recordings, State
    from outreach.voice.script import flow_sources

    content = load_content(flows_dir)
    recordings = Recordings.load(content.locales_dir)
    sources = flow_sources(content.flows)
    codes = [lang.code for lang in content.flows.deployment.languages]
    codes += [code for code in recordings.entries if code not in codes and code in LANGUAGES]
    click.echo(
        f"{'':<4} {'language':<10} {'current':>7} {'stale':>5} {'missing':>7} "
        f"{'coverage':>8} {'seconds':>8}"
    )
    for code in codes:
        counts = dict.fromkeys(State, 0)
        seconds = 0.0
        for key, text in sources.items():
            state = recordings.state(key, code, text)
            counts[state] += 1
            found = recordings.current(key, code, text)
            if found is not None:
                seconds += found.seconds
        click.echo(
            f"{code:<4} {LANGUAGES[code].endonym:<10} {counts[State.CURRENT]:>7} "
            f"{counts[State.STALE]:>5} {counts[State.MISSING]:>7} "
            f"{recordings.coverage(code, sources):>7.0f}% {seconds:>8.1f}"
        )
    click.echo(f"{len(sources)} texts a call can say; problems: outreach check")


@audio.command("script")
@click.option("--lang", "language", required=True, help="The language to record (e.g. quc).")
@click.option(
    "--all", "everything", is_flag=True, help="List current recordings too (to redo them all)."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the script to this file (default: print it).",
)
@click.option("--flows", "flows_dir", type=click.Path(), help="Folder of content files.")
def audio_script(
    language: str, everything: bool, output: Path | None, flows_dir: str | None
) -> None:
    """Write what a speaker records for LANG: each stale or missing text's file name, key,
    Spanish text, where it is used, budget in seconds, and its manifest entry.

    Example:

        outreach audio script --lang quc -o quc-script.txt
    """
    from outreach.i18n.messages import all_messages
    from outreach.languages import UnknownLanguage
    from outreach.languages import language as language_info
    from outreach.voice.recordings import Recordings, audio_dir
    from outreach.voice.script import script_items, script_text, sources

    content = load_content(flows_dir)
    try:
        name = language_info(language).endonym
    except UnknownLanguage as exc:
        raise click.ClickException(str(exc.args[0])) from None
    recordings = Recordings.load(content.locales_dir)
    # Read from the files, so that each text says where it is (file:line).
    found = sources(all_messages([content.flows_dir]), content.flows.lists.values())
    items = script_items(recordings, language, found, everything=everything)
    lines = script_text(language, name, items, str(audio_dir(content.locales_dir, language)))
    text = "\n".join(lines) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"{len(items)} text(s) to record -> {output}", err=True)
