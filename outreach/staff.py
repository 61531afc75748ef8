"""Staff accounts: hashed passwords (Werkzeug), two roles, throttled failed logins,
server-side login sessions, and an audit log of what staff did. Staff see aggregates only;
nothing here is about residents.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database
from werkzeug.security import check_password_hash, generate_password_hash

from .store import immediate

ROLES = ("viewer", "admin")
MIN_PASSWORD = 10
#: After this many failed logins for one account or one address in the window, refuse.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)


class StaffError(ValueError):
    """A staff account operation that cannot be done (the message says why)."""


@dataclass(frozen=True)
class Staff:
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def add(
    db: Database, name: str, password: str, role: str, now: datetime, actor: str = "cli"
) -> None:
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}")
    if not name.strip() or len(name) > 64:
        raise StaffError("a name is 1 to 64 characters")
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"a password has at least {MIN_PASSWORD} characters")
    with immediate(db):
        if db.execute("SELECT 1 FROM staff WHERE name = ?", [name]).fetchone():
            raise StaffError(f"{name!r} exists already")
        db.execute(
            "INSERT INTO staff (name, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
            [name, generate_password_hash(password), role, now.isoformat()],
        )
        audit(db, now, actor, "staff_added", f"{name} ({role})")


def remove(db: Database, name: str, now: datetime, actor: str = "cli") -> None:
    """Remove an account; never the last admin, or nobody could manage accounts."""
    with immediate(db):
        role = db.execute("SELECT role FROM staff WHERE name = ?", [name]).fetchone()
        if role is None:
            raise StaffError(f"no account {name!r}")
        admins = db.execute("SELECT count(*) FROM staff WHERE role = 'admin'").fetchone()[0]
        if role[0] == "admin" and admins == 1:
            raise StaffError(f"{name!r} is the last admin")
        db.execute("DELETE FROM staff WHERE name = ?", [name])
        # Its sessions go with it: an account added again under this name starts afresh.
        end_sessions_of(db, name)
        audit(db, now, actor, "staff_removed", name)


def set_password(db: Database, name: str, password: str, now: datetime, actor: str = "cli") -> None:
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"a password has at least {MIN_PASSWORD} characters")
    with immediate(db):
        changed = db.execute(
            "UPDATE staff SET password_hash = ? WHERE name = ?",
            [generate_password_hash(password), name],
        ).rowcount
        if not changed:
            raise StaffError(f"no account {name!r}")
        # A new password is often given because the old one leaked: whoever logged in
        # with it is logged out everywhere.
        end_sessions_of(db, name)
        audit(db, now, actor, "password_changed", name)


def listing(db: Database) -> list[tuple[str, str, str]]:
    sql = "SELECT name, role, created_at FROM staff ORDER BY name"
    return [(row[0], row[1], row[2]) for row in db.execute(sql)]


def authenticate(
    db: Database, name: str, password: str, address: str, now: datetime
) -> Staff | None:
    """The account, if the password is right and neither the account nor the address has
    failed too often lately. Every attempt is audited; failures are counted."""
    since = (now - FAILURE_WINDOW).isoformat()
    keys = [f"name:{name}", f"address:{address}"]
    with immediate(db):
        db.execute("DELETE FROM login_failures WHERE at < ?", [since])
        recent = max(
            db.execute(
                "SELECT count(*) FROM login_failures WHERE key = ? AND at >= ?", [key, since]
            ).fetchone()[0]
            for key in keys
        )
        if recent >= MAX_FAILURES:
            audit(db, now, name, "login_throttled", "")
            return None
        row = db.execute("SELECT password_hash, role FROM staff WHERE name = ?", [name]).fetchone()
        if row is None or not check_password_hash(row[0], password):
            db.conn.executemany(
                "INSERT INTO login_failures (key, at) VALUES (?, ?)",
                [(key, now.isoformat()) for key in keys],
            )
            audit(db, now, name, "login_failed", "")
            return None
        db.execute("DELETE FROM login_failures WHERE key = ?", [keys[0]])
        audit(db, now, name, "login", "")
        return Staff(name, row[1])


@dataclass(frozen=True)
class SessionRules:
    """How long a login lasts: at most ``lifetime`` after logging in, and not past
    ``idle`` without a request."""

    lifetime: timedelta
    idle: timedelta

    @property
    def refresh(self) -> timedelta:
        """How stale the last-seen time may get before a request writes it again: a write
        on every page would take the write lock webhook turns queue on, for nothing."""
        return min(timedelta(minutes=1), self.idle / 10)


def _token_hash(token: str) -> str:
    """Only this is stored: a copy of the database (a backup) opens no session."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: Database, name: str, now: datetime, rules: SessionRules) -> str:
    """A new login session for ``name``; returns its token, for the cookie alone."""
    token = secrets.token_urlsafe(32)
    with immediate(db):
        # Sessions past their lifetime are dropped here, so the table stays small.
        db.execute(
            "DELETE FROM staff_sessions WHERE created_at < ?", [(now - rules.lifetime).isoformat()]
        )
        db.execute(
            "INSERT INTO staff_sessions (token_hash, name, created_at, seen_at) "
            "VALUES (?, ?, ?, ?)",
            [_token_hash(token), name, now.isoformat(), now.isoformat()],
        )
    return token


def session_account(db: Database, token: str, now: datetime, rules: SessionRules) -> Staff | None:
    """The account of a live session, or None if it ended (logout, new password, account
    removed), is older than its lifetime or was idle too long."""
    key = _token_hash(token)
    row = db.execute(
        "SELECT s.name, s.created_at, s.seen_at, staff.role FROM staff_sessions s "
        "JOIN staff ON staff.name = s.name WHERE s.token_hash = ?",
        [key],
    ).fetchone()
    if row is None:
        return None
    name, created, seen, role = row
    created_at, seen_at = datetime.fromisoformat(created), datetime.fromisoformat(seen)
    if now - created_at >= rules.lifetime or now - seen_at >= rules.idle:
        end_session(db, token)
        return None
    if now - seen_at >= rules.refresh:
        with immediate(db):
            db.execute(
                "UPDATE staff_sessions SET seen_at = ? WHERE token_hash = ?",
                [now.isoformat(), key],
            )
    return Staff(name, role)


def end_session(db: Database, token: str) -> None:
    with immediate(db):
        db.execute("DELETE FROM staff_sessions WHERE token_hash = ?", [_token_hash(token)])


def end_sessions_of(db: Database, name: str) -> None:
    """Every session of an account; call inside a transaction."""
    db.execute("DELETE FROM staff_sessions WHERE name = ?", [name])


def role_of(db: Database, name: str) -> Staff | None:
    row = db.execute("SELECT role FROM staff WHERE name = ?", [name]).fetchone()
    return Staff(name, row[0]) if row else None


def audit(db: Database, now: datetime, actor: str, action: str, detail: str) -> None:
    """Call inside a transaction (or use :func:`record`)."""
    db.execute(
        "INSERT INTO audit_log (at, actor, action, detail) VALUES (?, ?, ?, ?)",
        [now.isoformat(), actor, action, detail[:200]],
    )


def record(db: Database, now: datetime, actor: str, action: str, detail: str = "") -> None:
    with immediate(db):
        audit(db, now, actor, action, detail)


def audit_entries(
    db: Database, limit: int = 200, before: int | None = None
) -> list[tuple[str, str, str, str]]:
    """The newest entries first; ``before``: only those older than the entry of that id."""
    return [
        (at, actor, action, detail)
        for _, at, actor, action, detail in audit_page(db, limit, before)
    ]


def audit_page(
    db: Database, limit: int, before: int | None = None
) -> list[tuple[int, str, str, str, str]]:
    """Entries with their ids, newest first, older than ``before`` if given: pages by id
    stay put while new entries arrive (viewing the log adds one)."""
    sql = "SELECT id, at, actor, action, detail FROM audit_log"
    params: list[int] = []
    if before is not None:
        sql += " WHERE id < ?"
        params.append(before)
    rows = db.execute(f"{sql} ORDER BY id DESC LIMIT ?", [*params, limit])
    return [(row[0], row[1], row[2], row[3], row[4]) for row in rows]
