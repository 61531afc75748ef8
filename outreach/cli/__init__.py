"""The ``outreach`` command: a thin click layer over the library. This module has the
group and what every command needs (settings, content, the database), with the library's
errors said as click errors; the commands are in the modules below, one per topic."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from outreach.settings import SettingError, load_settings

if TYPE_CHECKING:
    from outreach.engine import FlowSet
    from outreach.service.content import Content


def current_settings(flows_dir: str | None = None) -> dict[str, Any]:
    """The settings from the environment; ``flows_dir`` (a --flows option) overrides."""
    try:
        settings = load_settings(os.environ)
    except SettingError as exc:
        raise click.ClickException(str(exc)) from None
    if flows_dir:
        settings["FLOWS_DIR"] = flows_dir
    return settings


def load_content(flows_dir: str | None) -> Content:
    """The flows and translations, or a clear message listing every error."""
    from outreach.engine import counter_ids
    from outreach.flowfile import ContentError
    from outreach.service.content import Content

    settings = {**current_settings(flows_dir), "CATALOG_CHECK_SECONDS": 0}
    require_flows(settings)
    try:
        # One person at a terminal: a catalog saved during a chat is used at the next line.
        return Content(settings, new_id=counter_ids())
    except ContentError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(
            f"the content has {len(exc.problems)} error(s); run 'outreach check' for details"
        ) from None


def require_flows(settings: dict[str, Any]) -> None:
    """An installed outreach has no content of its own: say where content comes from."""
    if not Path(settings["FLOWS_DIR"]).exists():
        raise click.ClickException(
            f"no flows folder at {settings['FLOWS_DIR']}: run this in a deployment folder "
            "('outreach init DIR' creates one) or set OUTREACH_FLOWS_DIR"
        )


def load_flows(flows_dir: str | None) -> FlowSet:
    """The flows alone, read as :func:`load_content` reads them."""
    return load_content(flows_dir).flows


@click.group()
@click.version_option(package_name="outreach")
def main() -> None:
    """outreach: community outreach over SMS and WhatsApp, in residents' own languages."""


def database_file(settings: dict[str, Any]) -> Path:
    """The service's database (see :func:`outreach.storage.database_path`)."""
    from outreach.storage import database_path

    return database_path(settings, settings["INSTANCE_DIR"])


def open_database() -> Any:
    """The service's database, made (with its folder) if there is none yet."""
    from outreach.storage import connect

    settings = current_settings()
    path = database_file(settings)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return connect(path, migrate=True)


# The commands register themselves on the group: imported last, as they import it.
from outreach.cli import alerts, audio, content, data, i18n, service, users  # noqa: E402

__all__ = ["alerts", "audio", "content", "data", "i18n", "main", "service", "users"]
