"""Turning one turn's engine messages into what a channel really sends.

SMS: text is shaped for GSM-7 (deployment.yaml ``sms:``), and short messages of a turn
are packed into one SMS while the pack still fits in one segment. A message that needs
more segments goes alone: carriers may not join long messages, so every SMS must stand
on its own. WhatsApp keeps the text as written and packs a turn into as few messages as
possible. Nothing exceeds Twilio's 1,600 characters: longer text is split at a paragraph,
a line, a sentence or a space.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from outreach.engine.model import SmsSettings
from outreach.sms import SegmentInfo, segment_info, shape
from outreach.sms.graphemes import clusters

MAX_BODY = 1600
_BREAKS = ("\n\n", "\n", ". ", " ")


@dataclass(frozen=True)
class Outgoing:
    body: str
    info: SegmentInfo | None  # None where segments cost nothing (WhatsApp)


@dataclass(frozen=True)
class Rendered:
    messages: list[Outgoing]
    #: Segments sent for each engine message, in order (0 when packed into an earlier one).
    segments: list[int | None]


def _units(text: str) -> int:
    """Length as Twilio counts it: UTF-16 code units (an emoji is two)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _fitting(text: str, limit: int) -> int:
    """How many code points of ``text`` fit in ``limit`` units without cutting a
    character (a grapheme: an emoji sequence, a letter with its accents) in two."""
    used = fitted = 0
    for cluster in clusters(text):
        used += _units(cluster)
        if used > limit:
            break
        fitted += len(cluster)
    return fitted or 1


def split_body(text: str, limit: int = MAX_BODY) -> list[str]:
    """Pieces of at most ``limit`` UTF-16 units, cut at the most natural boundary."""
    pieces = []
    rest = text.strip()
    while _units(rest) > limit:
        end = _fitting(rest, limit)
        window = rest[:end]
        cut = end
        for mark in _BREAKS:
            at = window.rfind(mark)
            if at > end // 2:
                cut = at + (1 if mark == ". " else 0)
                break
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def render(
    messages: Sequence[str | tuple[str, str]], rendering: str, language: str, sms: SmsSettings
) -> Rendered:
    """``rendering`` is "sms" or "whatsapp" (the web simulator shows either). A message
    may carry the language its text is in (Spanish where a translation was missing):
    shaping follows it; a bare text is taken to be in ``language``."""
    pairs = [(m, language) if isinstance(m, str) else m for m in messages]
    if rendering == "whatsapp":
        return _render_whatsapp([text for text, _ in pairs])
    return _render_sms(pairs, sms)


def _render_sms(messages: list[tuple[str, str]], sms: SmsSettings) -> Rendered:
    shaped = [shape(text, language, "sms", sms) for text, language in messages]
    bodies: list[str] = []
    segments: list[int | None] = []
    pack: list[str] = []
    # Each text is measured once: a pack's body was measured when its last message
    # joined it, a lone message before it was packed.
    measured: dict[str, SegmentInfo] = {}

    def info(text: str) -> SegmentInfo:
        found = measured.get(text)
        if found is None:
            found = measured[text] = segment_info(text)
        return found

    def flush() -> None:
        if pack:
            bodies.append("\n".join(pack))
            pack.clear()

    for text in shaped:
        if pack and info("\n".join([*pack, text])).segments == 1:
            pack.append(text)
            segments.append(0)
            continue
        flush()
        pieces = split_body(text)
        if len(pieces) == 1 and info(text).segments == 1:
            pack.append(text)
            segments.append(1)
            continue
        bodies.extend(pieces)
        segments.append(sum(info(p).segments for p in pieces))
    flush()
    return Rendered([Outgoing(b, info(b)) for b in bodies], segments)


def _render_whatsapp(messages: list[str]) -> Rendered:
    bodies: list[str] = []
    for text in messages:
        if bodies and _units(bodies[-1]) + 2 + _units(text) <= MAX_BODY:
            bodies[-1] = f"{bodies[-1]}\n\n{text}"
        else:
            bodies.extend(split_body(text))
    # No SMS segments, but 0 rather than None: the log still tells a message was sent.
    return Rendered([Outgoing(b, None) for b in bodies], [0] * len(messages))
