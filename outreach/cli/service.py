"""The web service and its settings: serve, settings."""

from __future__ import annotations

import json
import os

import click

from outreach.cli import current_settings, main, require_flows
from outreach.settings import SETTINGS, SettingError, load_settings


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
    from outreach.flowfile import ContentError
    from outreach.web.app import create_app

    try:
        if load_settings(os.environ)["ENV"] == "production":
            raise click.ClickException(
                "outreach serve is the development server; in production run "
                "gunicorn 'outreach:create_app()'"
            )
        require_flows(current_settings())
        app = create_app()
    except (ContentError, SettingError) as exc:
        raise click.ClickException(f"cannot start:\n{exc}") from None
    app.run(host=host, port=port, debug=debug)


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
