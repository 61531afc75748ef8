"""Staff accounts: hashed passwords (Werkzeug), two roles, throttled failed logins, and
an audit log of what staff did. Staff see aggregates only; nothing here is about residents.
"""

from __future__ import annotations

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
