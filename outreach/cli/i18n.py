"""Translations: i18n update, init, status (over outreach.i18n.update)."""

from __future__ import annotations

import sys

import click

from outreach.cli import load_content, main


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
    from outreach.i18n.update import relative, update_catalogs

    content = load_content(flows_dir)
    languages = [lang.code for lang in content.flows.deployment.languages]
    update = update_catalogs(content.flows_dir, content.locales_dir, languages)
    click.echo(f"{update.messages} messages -> {relative(update.template)}")
    for lang in update.languages:
        if lang.mend_first:
            for problem in lang.problems:
                click.echo(str(problem), err=True)
            click.echo(f"{lang.code}: not updated; mend the catalog first", err=True)
            continue
        state = "updated" if lang.written else "unchanged"
        click.echo(
            f"{lang.code}: {lang.translated}/{update.messages} translated, {lang.fuzzy} fuzzy "
            f"({state}) -> {relative(lang.path)}"
        )
    if update.failed:
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
    from outreach.i18n.update import CatalogExists, init_catalog, relative
    from outreach.languages import UnknownLanguage

    content = load_content(flows_dir)
    try:
        path = init_catalog(content.flows_dir, content.locales_dir, code)
    except CatalogExists as exc:
        raise click.ClickException(str(exc)) from None
    except UnknownLanguage as exc:
        raise click.ClickException(str(exc.args[0])) from None
    click.echo(f"{code}: empty catalog -> {relative(path)}")


@i18n.command("status")
@click.option("--flows", "flows_dir", type=click.Path(), help="Folder of content files.")
def i18n_status(flows_dir: str | None) -> None:
    """Show, per language, how much is translated and whether residents are offered it.

    Example:

        outreach i18n status
    """
    content = load_content(flows_dir)
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
