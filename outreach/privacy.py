"""Who a resident is, without knowing who they are.

A phone number never reaches storage or logs. The resident's id is an HMAC-SHA256 of the
E.164 number under a secret key kept outside the database: a plain hash would be no
protection, since all 10^8 Guatemalan mobile numbers hash in under a minute. The ids
Twilio gives messages are keyed the same way, since Twilio's logs link them to numbers.
What arrives with an address, the text, is cleaned here too, once for every channel.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from pathlib import Path

MIN_KEY_BYTES = 32
KEY_FILE = "pseudonym.key"

_NOT_DIGITS = re.compile(r"[\s().\-]")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
#: Meta's business-scoped user id of a WhatsApp user who shows no phone number: a
#: two-letter country code, a dot, letters and digits (e.g. GT.1502576394655843).
_BSUID = re.compile(r"^[A-Za-z]{2}\.[A-Za-z0-9]{1,128}$")
_WHATSAPP = "whatsapp:"


class PseudonymKeyError(ValueError):
    """The pseudonym key is missing or too short."""


def channel_of(address: str) -> str:
    """The channel a Twilio address came over: ``whatsapp`` for ``whatsapp:...``, else
    ``sms``. The one parser of the prefix (the webhook and the number reader share it)."""
    return "whatsapp" if address.strip()[: len(_WHATSAPP)].lower() == _WHATSAPP else "sms"


def clean_text(text: str) -> str:
    """What a resident sent, as every channel hands it to the service: without NUL and
    other control characters; odd spaces become plain ones. Joiners and every letter,
    mark and emoji stay as written."""
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cc" and ch != "\n":
            continue
        kept.append(" " if category == "Zs" else ch)
    return "".join(kept)


def e164(address: str) -> str | None:
    """The E.164 number of a Twilio address (``+502...`` or ``whatsapp:+502...``), written
    in any of the usual ways, or None if it is not a phone number."""
    number = address.strip()
    if channel_of(number) == "whatsapp":
        number = number[len(_WHATSAPP) :]
    number = _NOT_DIGITS.sub("", number)
    if number.startswith("00"):
        number = "+" + number[2:]
    return number if _E164.match(number) else None


def resident_address(address: str) -> str | None:
    """The stable identifier of a Twilio sender, to be pseudonymised: its E.164 number,
    or, for WhatsApp, the BSUID of a user who shows no number; None if neither.

    A BSUID is kept exactly as sent (Meta: store it as received), and cannot be taken for
    a number: numbers start with +. It only comes over WhatsApp."""
    number = e164(address)
    if number is not None:
        return number
    stripped = address.strip()
    if channel_of(stripped) == "whatsapp":
        user_id = stripped[len(_WHATSAPP) :]
        if _BSUID.match(user_id):
            return user_id
    return None


def keyed_id(key: bytes, value: str, purpose: str) -> str:
    """A stable id for ``value`` that cannot be reversed without the key."""
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def pseudonymise(key: bytes, number: str) -> str:
    """The resident id of an E.164 number (or of a WhatsApp BSUID, see resident_address)."""
    return keyed_id(key, number, "resident")


def check_key(key: bytes) -> bytes:
    if len(key) < MIN_KEY_BYTES:
        raise PseudonymKeyError(f"the pseudonym key must be at least {MIN_KEY_BYTES} bytes")
    return key


def development_key(instance: Path, name: str = KEY_FILE) -> bytes:
    """A development secret, generated once into the instance folder, readable by its
    owner only. Several server processes may start at once: the key is written to a
    temporary file and linked into place, so each reads the same complete key."""
    path = instance / name
    if not path.exists():
        instance.mkdir(mode=0o700, parents=True, exist_ok=True)
        draft = instance / f"{name}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_hex(MIN_KEY_BYTES))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process was first: use its key
        finally:
            draft.unlink()
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # readable by others: tighten it
    return check_key(path.read_text(encoding="ascii").strip().encode())
