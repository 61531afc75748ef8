"""Alert subscriptions: a resident's consent to alerts of a topic in a department, and
the sealed address the alerts go to (the only address the service keeps, and only for
subscribers). The store never sees an address in clear: the service seals it
(:mod:`outreach.service.addresses`) and hands over the nonce and the ciphertext.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlite_utils import Database


class SubscriptionRow(NamedTuple):
    """One row of ``subscriptions``, in its columns' order."""

    resident: str
    topic: str
    department: str
    language: str
    channel: str
    #: The address, sealed with AES-GCM: never the number itself.
    address: bytes
    nonce: bytes
    #: The day the resident subscribed (no finer).
    created_on: str


_FIELDS = ", ".join(SubscriptionRow._fields)
_MARKS = ", ".join("?" for _ in SubscriptionRow._fields)
_UPSERT = (
    f"INSERT INTO subscriptions ({_FIELDS}) VALUES ({_MARKS})"
    # Subscribing again to a topic moves it (another department, a new language or
    # channel, the address sealed again); the first day stays.
    " ON CONFLICT (resident, topic) DO UPDATE SET department = excluded.department,"
    " language = excluded.language, channel = excluded.channel, address = excluded.address,"
    " nonce = excluded.nonce"
)


def subscribe(db: Database, row: SubscriptionRow) -> None:
    """Keep ``row``, in the caller's transaction."""
    db.conn.execute(_UPSERT, row)


def end_subscriptions(db: Database, resident: str) -> int:
    """Every subscription of ``resident`` and its address gone; in the caller's
    transaction. Returns how many there were."""
    return db.conn.execute("DELETE FROM subscriptions WHERE resident = ?", (resident,)).rowcount


def subscriptions_of(db: Database, resident: str) -> list[SubscriptionRow]:
    rows = db.conn.execute(
        f"SELECT {_FIELDS} FROM subscriptions WHERE resident = ? ORDER BY topic", (resident,)
    ).fetchall()
    return [SubscriptionRow(*row) for row in rows]


def audience(
    db: Database, topic: str, departments: tuple[str, ...] | None
) -> list[tuple[str, str, str]]:
    """The subscribers of ``topic`` in ``departments`` (None: every department), as
    (resident, language, channel), each resident once, the outbox's recipients and the
    preview's counts. Residents who said STOP since are left out."""
    where = "s.topic = ? AND coalesce(r.opted_out, 0) = 0"
    params: list[str] = [topic]
    if departments is not None:
        where += f" AND s.department IN ({', '.join('?' for _ in departments)})"
        params += departments
    return [
        (resident, language, channel)
        for resident, language, channel in db.conn.execute(
            "SELECT s.resident, s.language, s.channel FROM subscriptions s"
            f" LEFT JOIN residents r ON r.id = s.resident WHERE {where} ORDER BY s.resident",
            params,
        ).fetchall()
    ]
