"""The Flask side of the store: one connection per thread, kept open; the schema
migrated once at start.

Opening and closing a SQLite connection per request costs more than the whole turn (the
last close of a WAL database even checkpoints it), so each server thread keeps its own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, current_app
from sqlite_utils import Database

from outreach import storage
from outreach.storage import connect


def database_path(app: Flask) -> Path:
    """The app's database: :func:`outreach.storage.database_path` in its instance folder."""
    return storage.database_path(app.config, app.instance_path)


def get_db() -> Database:
    connections: threading.local = current_app.extensions["outreach.connections"]
    db: Database | None = getattr(connections, "db", None)
    if db is None:
        db = connect(database_path(current_app))
        connections.db = db
    return db


@contextmanager
def connection(app: Flask) -> Iterator[Database]:
    """A connection of its own, closed after use: for checks at start, outside requests."""
    db = connect(database_path(app))
    try:
        yield db
    finally:
        db.conn.close()


def init_app(app: Flask) -> None:
    connect(database_path(app), migrate=True).conn.close()
    app.extensions["outreach.connections"] = threading.local()
