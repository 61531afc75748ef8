"""The Flask side of the store: one connection per request, the schema migrated at start."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, g
from sqlite_utils import Database

from .store import connect

DEFAULT_NAME = "outreach.sqlite3"


def database_path(app: Flask) -> Path:
    configured = app.config["DATABASE"]
    return Path(configured) if configured else Path(app.instance_path) / DEFAULT_NAME


def get_db() -> Database:
    if "db" not in g:
        g.db = connect(database_path(current_app))
    db: Database = g.db
    return db


def close_db(exception: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.conn.close()


def init_app(app: Flask) -> None:
    connect(database_path(app), migrate=True).conn.close()
    app.teardown_appcontext(close_db)
