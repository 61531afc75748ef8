"""The web service, its worker and its settings: serve, worker, settings."""

from __future__ import annotations

import json
import os
from typing import Any

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
        from outreach.privacy import keyed_id
        from outreach.service.alert_sending import SendingKeys
        from outreach.service.worker import Worker, default_tasks, run_in_thread
        from outreach.storage import database_path

        config = dict(app.config)
        key: bytes = app.extensions["outreach.pseudonym_key"]
        keys = SendingKeys(lambda value, purpose: keyed_id(key, value, purpose),
                           app.extensions["outreach.address_box"])  # fmt: skip
        path = database_path(config, config["INSTANCE_DIR"])
        run_in_thread(Worker(path, config, default_tasks(path, config, keys)))
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

    from outreach.service.worker import Worker, default_tasks

    settings = current_settings()
    open_database().close()  # made and migrated, as the service would
    path = database_file(settings)
    loop = Worker(path, settings, default_tasks(path, settings, sending_keys(settings)))
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


def sending_keys(settings: dict[str, Any]) -> Any:
    """The outbox sender's keys as the web service has them (outreach.web.app): the
    pseudonym key (MessageSids keyed as the status callbacks key them) and the alerts
    key (subscribers' addresses), each from its setting or, in development, the file
    generated once into the instance folder."""
    from pathlib import Path

    from outreach.privacy import check_key, development_key, keyed_id
    from outreach.service.alert_sending import SendingKeys
    from outreach.web.app import address_box

    instance = Path(str(settings["INSTANCE_DIR"])).resolve()
    if settings["PSEUDONYM_KEY"]:
        key = check_key(str(settings["PSEUDONYM_KEY"]).encode())
    else:
        key = development_key(instance)
    return SendingKeys(lambda value, purpose: keyed_id(key, value, purpose),
                       address_box(settings, instance))  # fmt: skip
