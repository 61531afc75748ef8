"""Staff accounts: hashed passwords (Werkzeug), two roles, throttled failed logins,
server-side login sessions, and an audit log of what staff did. Staff see aggregates only;
nothing here is about residents.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database
from werkzeug.security import check_password_hash, generate_password_hash

from .storage import immediate

ROLES = ("viewer", "admin")
#: Account names: ASCII letters, digits, dot, dash and underscore, starting with a letter
#: or digit. A name is part of the staff page's addresses (a slash broke them; "." and
#: ".." are read by browsers as path steps), and look-alike Unicode letters or two ways
#: of writing "é" would make two accounts that look the same.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MIN_PASSWORD = 10


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
    if not valid_name(name):
        raise StaffError(
            "a name is 1 to 64 letters (a-z, A-Z), digits, '.', '_' or '-', and starts "
            "with a letter or digit"
        )
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


def valid_name(name: str) -> bool:
    """Whether a new account may have this name. Accounts named otherwise before this
    rule keep working: they log in, and can be given a password or removed."""
    return NAME_PATTERN.fullmatch(name) is not None


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
        # with it is logged out everywhere. Its owner may also have been slowed down by
        # someone guessing: that ends too.
        end_sessions_of(db, name)
        db.execute("DELETE FROM login_throttle WHERE name = ?", [name])
        audit(db, now, actor, "password_changed", name)


def listing(db: Database) -> list[tuple[str, str, str]]:
    sql = "SELECT name, role, created_at FROM staff ORDER BY name"
    return [(row[0], row[1], row[2]) for row in db.execute(sql)]


#: Longest name and password a login reads: anything longer is refused before the
#: database is touched (the audit log holds names) or a hash is computed.
MAX_NAME = 64
MAX_PASSWORD = 1024
#: Failed logins allowed without delay, per name from one address and per address.
FREE_FAILURES_PER_NAME = 3
FREE_FAILURES_PER_ADDRESS = 10
#: Each failure past those doubles the wait before the next try, up to this.
MAX_DELAY = timedelta(minutes=15)
#: Refused attempts are counted per such window, one row per window and key.
REFUSAL_WINDOW = timedelta(minutes=15)
#: Failure counters untouched this long are forgotten.
FAILURE_MEMORY = timedelta(days=1)


def delay_after(failures: int, free: int) -> timedelta:
    """How long after the last failure the next try is refused: growing delays slow a
    guesser down without locking the account for its owner, who logs in from elsewhere."""
    if failures < free:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - free, 20)), MAX_DELAY)


@functools.cache
def _dummy_hash() -> str:
    """A hash to check unknown names against, made like real ones: a login takes as long
    for a name that does not exist as for one that does."""
    return generate_password_hash(secrets.token_urlsafe(16))


def _throttled_by(db: Database, name: str, address: str, now: datetime) -> str | None:
    """Which key refuses this attempt now ('' for the whole address, else the name), or
    None. Reads only: nothing is written before the throttle has had its say."""
    rows = db.execute(
        "SELECT name, failures, last_failure_at FROM login_throttle "
        "WHERE address = ? AND name IN ('', ?)",
        [address, name],
    ).fetchall()
    for key, failures, last in sorted(rows):
        free = FREE_FAILURES_PER_ADDRESS if key == "" else FREE_FAILURES_PER_NAME
        if now < datetime.fromisoformat(last) + delay_after(failures, free):
            return str(key)
    return None


def authenticate(
    db: Database, name: str, password: str, address: str, now: datetime
) -> Staff | None:
    """The account, if the password is right and neither the name from this address nor
    the address has failed too often lately. A refused attempt is counted, not logged one
    row each; a failure is logged and counted; the password is checked outside any write
    transaction (the hash takes ~0.1 s, and webhook turns queue on the write lock)."""
    if not name or len(name) > MAX_NAME or len(password) > MAX_PASSWORD:
        return None
    key = _throttled_by(db, name, address, now)
    if key is not None:
        window = _window(now).isoformat()
        with immediate(db):
            db.execute(
                "INSERT INTO login_refusals (window_start, name, address, count) "
                "VALUES (?, ?, ?, 1) ON CONFLICT DO UPDATE SET count = count + 1",
                [window, key, address],
            )
        return None
    row = db.execute("SELECT password_hash, role FROM staff WHERE name = ?", [name]).fetchone()
    stored = row[0] if row else _dummy_hash()
    right = check_password_hash(stored, password) and row is not None
    forget = (now - FAILURE_MEMORY).isoformat()
    with immediate(db):
        db.execute("DELETE FROM login_throttle WHERE last_failure_at < ?", [forget])
        # The password may have changed while it was checked: then the old one won't do.
        current = db.execute("SELECT password_hash FROM staff WHERE name = ?", [name]).fetchone()
        if right and current is not None and current[0] == stored:
            db.execute("DELETE FROM login_throttle WHERE name = ? AND address = ?", [name, address])
            audit(db, now, name, "login", "")
            return Staff(name, row[1])
        db.conn.executemany(
            "INSERT INTO login_throttle (name, address, failures, last_failure_at) "
            "VALUES (?, ?, 1, ?) ON CONFLICT DO UPDATE SET failures = failures + 1, "
            "last_failure_at = excluded.last_failure_at",
            [(name, address, now.isoformat()), ("", address, now.isoformat())],
        )
        audit(db, now, name, "login_failed", address)
        return None


def _window(now: datetime) -> datetime:
    seconds = int(REFUSAL_WINDOW.total_seconds())
    return datetime.fromtimestamp(now.timestamp() // seconds * seconds, now.tzinfo)


def unlock(db: Database, name: str, now: datetime, actor: str = "cli") -> int:
    """Forget the failed logins of ``name`` from every address; returns how many
    addresses were slowed down for it."""
    with immediate(db):
        cleared = db.execute("DELETE FROM login_throttle WHERE name = ?", [name]).rowcount
        audit(db, now, actor, "unlocked", name)
    return int(cleared)


def refusals(db: Database, since: datetime) -> list[tuple[str, str, str, int]]:
    """Login attempts refused by the throttle: window, name ('' for a whole address),
    address and how many, newest first."""
    sql = (
        "SELECT window_start, name, address, count FROM login_refusals WHERE window_start >= ? "
        "ORDER BY window_start DESC, count DESC LIMIT 100"
    )
    return [(r[0], r[1], r[2], r[3]) for r in db.execute(sql, [since.isoformat()])]


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
