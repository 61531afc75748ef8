"""GSM-7 or UCS-2, and how many segments, the way Twilio's reference calculator counts.

The reference is the npm package ``sms-segments-calculator`` (TwilioDevEd's
message-segment-calculator): a segment is 140 octets (1,120 bits); a message that needs
more than one gets a 6-octet header in every segment; a character (a grapheme, as the
calculator splits text) is never divided between segments; one character outside the GSM
03.38 tables turns the whole message into UCS-2, where every UTF-16 code unit takes 16 bits.
So: GSM-7 160 / 153 per segment, UCS-2 70 / 67, extension characters two septets, emoji
outside the Basic Multilingual Plane two UCS-2 units. ``tests/test_segments.py`` compares
this module with the npm package on thousands of messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import regex

Encoding = Literal["GSM-7", "UCS-2"]

#: GSM 03.38 basic character set (one septet each). ESC (0x1B) is not a character.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: GSM 03.38 extension table: an escape plus one septet, so two septets each.
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

_GSM = GSM_BASIC | GSM_EXTENSION
_EXTENSION_CHARACTER = re.compile("[" + re.escape("".join(sorted(GSM_EXTENSION))) + "]")

SEGMENT_BITS = 140 * 8
HEADER_BITS = 6 * 8

_GRAPHEME = regex.compile(r"\X")


@dataclass(frozen=True)
class SegmentInfo:
    """What one message costs."""

    encoding: Encoding
    segments: int
    #: Characters as the calculator counts them: GSM-7 septets (extension characters
    #: count two), or graphemes in UCS-2.
    characters: int
    #: The characters that force UCS-2, in order, each once.
    non_gsm: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "encoding": self.encoding,
            "segments": self.segments,
            "characters": self.characters,
            "non_gsm": list(self.non_gsm),
        }


def graphemes(text: str) -> list[str]:
    """User-perceived characters; a CR LF pair counts as two, as in the calculator."""
    found: list[str] = []
    for grapheme in _GRAPHEME.findall(text):
        if grapheme == "\r\n":
            found += ["\r", "\n"]
        else:
            found.append(grapheme)
    return found


def is_gsm(grapheme: str) -> bool:
    return len(grapheme) == 1 and (grapheme in GSM_BASIC or grapheme in GSM_EXTENSION)


def _utf16_units(grapheme: str) -> int:
    return len(grapheme.encode("utf-16-le")) // 2


def segment_info(text: str) -> SegmentInfo:
    """Encoding, segments, characters and the characters that force UCS-2."""
    if _GSM.issuperset(text):
        # All GSM-7 (most shaped text): every character is its own grapheme, so the
        # costly grapheme split is not needed.
        septets = len(text) + len(_EXTENSION_CHARACTER.findall(text))
        if septets <= SEGMENT_BITS // 7:
            return SegmentInfo("GSM-7", 1, septets, ())
        if septets == len(text):
            # No two-septet characters, so none can straddle a boundary: 153 a segment.
            per_segment = (SEGMENT_BITS - HEADER_BITS) // 7
            return SegmentInfo("GSM-7", -(-septets // per_segment), septets, ())
        sizes = [14 if ch in GSM_EXTENSION else 7 for ch in text]
        return SegmentInfo("GSM-7", count_segments(sizes), septets, ())
    chars = graphemes(text)
    non_gsm = tuple(dict.fromkeys(g for g in chars if not is_gsm(g)))
    if non_gsm:
        sizes = [16 * _utf16_units(g) for g in chars]
        encoding: Encoding = "UCS-2"
        characters = len(chars)
    else:
        sizes = [14 if g in GSM_EXTENSION else 7 for g in chars]
        encoding = "GSM-7"
        characters = sum(size // 7 for size in sizes)
    return SegmentInfo(encoding, count_segments(sizes), characters, non_gsm)


def count_segments(sizes: list[int]) -> int:
    """Segments needed for characters of these sizes in bits, none split in two."""
    if sum(sizes) <= SEGMENT_BITS:
        return 1
    # Concatenated: every segment carries a header and characters are never divided.
    room = SEGMENT_BITS - HEADER_BITS
    segments, used = 1, 0
    for size in sizes:
        if used + size > room:
            segments += 1
            used = 0
        used += size
    return segments
