"""Subscribers' addresses are sealed with AES-GCM under the alerts key, bound to the
resident and channel, and open only with that key."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TEST_CONFIG

from outreach import create_app
from outreach.service.addresses import AddressBox, AddressKeyError
from outreach.storage import connect, immediate
from outreach.storage.subscriptions import (
    SubscriptionRow,
    audience,
    end_subscriptions,
    subscribe,
    subscriptions_of,
)

NUMBER = "+50255550123"
KEY = b"an-alerts-key-for-these-tests-of-32-bytes"


def test_an_address_opens_with_its_key_for_its_resident_and_channel_only() -> None:
    box = AddressBox(KEY)
    nonce, sealed = box.seal(NUMBER, "resident-a", "sms")
    assert NUMBER.encode() not in sealed and b"55550123" not in sealed
    assert box.open(nonce, sealed, "resident-a", "sms") == NUMBER
    # A new nonce every time: the same number never seals to the same bytes.
    assert box.seal(NUMBER, "resident-a", "sms") != (nonce, sealed)
    with pytest.raises(AddressKeyError, match="not the key the addresses were sealed with"):
        AddressBox(b"another-alerts-key-of-at-least-32-bytes").open(
            nonce, sealed, "resident-a", "sms"
        )
    with pytest.raises(AddressKeyError):
        box.open(nonce, sealed, "resident-b", "sms")  # copied onto another resident
    with pytest.raises(AddressKeyError):
        box.open(nonce, sealed, "resident-a", "whatsapp")


def test_a_short_key_is_refused() -> None:
    with pytest.raises(AddressKeyError, match="at least 32 bytes"):
        AddressBox(b"short")


def test_subscriptions_are_stored_sealed_and_end_with_their_address(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    db = connect(path, migrate=True)
    box = AddressBox(KEY)
    nonce, sealed = box.seal(NUMBER, "resident-a", "sms")
    with immediate(db):
        subscribe(db, SubscriptionRow("resident-a", "scams", "Quiché", "es", "sms", sealed,
                                      nonce, "2026-12-03"))  # fmt: skip
        subscribe(db, SubscriptionRow("resident-b", "scams", "Petén", "en", "whatsapp",
                                      *reversed(box.seal("whatsapp:+50255550124", "resident-b",
                                                         "whatsapp")), "2026-12-03"))  # fmt: skip
    assert audience(db, "scams", ("Quiché",)) == [("resident-a", "es", "sms")]
    assert len(audience(db, "scams", None)) == 2
    assert audience(db, "jobs", None) == []
    (row,) = subscriptions_of(db, "resident-a")
    assert box.open(row.nonce, row.address, row.resident, row.channel) == NUMBER
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for name in (path, Path(f"{path}-wal")):
        if name.exists():
            raw = name.read_bytes()
            assert b"55550123" not in raw and b"55550124" not in raw
    with immediate(db):
        assert end_subscriptions(db, "resident-a") == 1
    assert subscriptions_of(db, "resident-a") == []


def test_development_generates_an_alerts_key_of_its_own(tmp_path: Path) -> None:
    config = {k: v for k, v in TEST_CONFIG.items() if k != "ALERTS_KEY"}
    app = create_app(config | {"INSTANCE_DIR": str(tmp_path / "instance")})
    key_file = tmp_path / "instance" / "alerts.key"
    assert key_file.exists() and key_file.stat().st_mode & 0o077 == 0
    assert len(key_file.read_text().strip()) >= 64  # 32 random bytes, in hex
    box = app.extensions["outreach.address_box"]
    nonce, sealed = box.seal(NUMBER, "r", "sms")
    again = create_app(config | {"INSTANCE_DIR": str(tmp_path / "instance")})
    assert again.extensions["outreach.address_box"].open(nonce, sealed, "r", "sms") == NUMBER
