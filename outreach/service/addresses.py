"""The addresses of alert subscribers, sealed: AES-GCM (the ``cryptography`` package)
under a key of the alerts' own, kept outside the database (OUTREACH_ALERTS_KEY; in
development a key generated once into the instance folder).

Only a resident who subscribed has an address stored, and only as sealed here. The
resident's keyed id and the channel are bound into each seal (AES-GCM's associated
data), so a sealed address copied onto another resident's row does not open.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

#: AES-GCM's standard nonce: 96 random bits, new for every seal.
NONCE_BYTES = 12
MIN_SECRET_BYTES = 32


class AddressKeyError(ValueError):
    """The alerts key is missing, too short, or not the one the addresses were sealed
    with."""


class AddressBox:
    """Seals and opens subscribers' addresses under one secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise AddressKeyError(f"the alerts key must be at least {MIN_SECRET_BYTES} bytes")
        # A 256-bit AES key of its own, derived from the secret (which may be any text of
        # 32+ bytes, as the other keys are): the secret itself is never used as a key.
        self._aead = AESGCM(hmac.digest(secret, b"outreach alert addresses", hashlib.sha256))

    def seal(self, address: str, resident: str, channel: str) -> tuple[bytes, bytes]:
        """(nonce, ciphertext) of ``address`` for ``resident`` over ``channel``."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce, self._aead.encrypt(nonce, address.encode(), _bound(resident, channel))

    def open(self, nonce: bytes, sealed: bytes, resident: str, channel: str) -> str:
        """The address sealed for ``resident`` over ``channel``; :class:`AddressKeyError`
        if this key did not seal it (OUTREACH_ALERTS_KEY changed, or the row was moved)."""
        try:
            return self._aead.decrypt(nonce, sealed, _bound(resident, channel)).decode()
        except InvalidTag:
            raise AddressKeyError(
                "a subscriber's address does not open with this alerts key: "
                "OUTREACH_ALERTS_KEY is not the key the addresses were sealed with"
            ) from None


def _bound(resident: str, channel: str) -> bytes:
    return f"{resident}\n{channel}".encode()
