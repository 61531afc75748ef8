"""The web service, its worker and its settings: serve, worker, settings."""

from __future__ import annotations

import json
import os

import click

from outreach.cli import current_settings, database_file, main, open_database, require_flows
from outreach.settings import SETTINGS, SettingError, load_settings


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, help="Port to listen on.")
@click.option("--debug", is_flag=True, help="Reload on code changes (development only).")
@click.option(
    "--worker/--no-worker",
    "with_worker",
    default=True,
    show_default=True,
    help="Run the worker (callbacks, the outbox) in a thread beside the web service.",
)
def serve(host: str, port: int, debug: bool, with_worker: bool) -> None:
    """Start the web service on the embedded default (SQLite, the shipped flows), with
    the worker in a thread (production runs `outreach worker` beside gunicorn).

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
    # With --debug, Werkzeug's reloader runs the app in a child process (marked by
    # WERKZEUG_RUN_MAIN): the worker runs there only, not also in the watching parent.
    if with_worker and (not debug or os.environ.get("WERKZEUG_RUN_MAIN") == "true"):
        from outreach.service.worker import Worker, run_in_thread
        from outreach.storage import database_path

        config = dict(app.config)
        run_in_thread(Worker(database_path(config, config["INSTANCE_DIR"]), config))
    app.run(host=host, port=port, debug=debug)


@main.command()
@click.option("--once", is_flag=True, help="Run each task once, then stop.")
def worker(once: bool) -> None:
    """Run the worker: the service's outbound work (missed-call callbacks, the outbox),
    until SIGTERM or Ctrl-C. One worker per database; a second one waits.

    Example:

        outreach worker
    """
    import signal

    from outreach.service.worker import Worker

    settings = current_settings()
    open_database().close()  # made and migrated, as the service would
    loop = Worker(database_file(settings), settings)
    if once:
        loop.run_once()
        return
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: loop.stop())
    click.echo("outreach worker: running (Ctrl-C to stop)", err=True)
    loop.run()


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
