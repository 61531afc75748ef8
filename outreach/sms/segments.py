"""GSM-7 or UCS-2, and how many segments, the way Twilio's reference calculator counts.

The reference is the npm package ``sms-segments-calculator`` 1.3.0 (TwilioDevEd's
message-segment-calculator): a segment is 140 octets (1,120 bits); a message that needs
more than one gets a 6-octet header in every segment; a character (a grapheme, as the
calculator splits text with ``grapheme-splitter`` 1.0.4, emulated in ``.graphemes``) is never
divided between segments; one character outside the GSM 03.38 tables turns the whole message
into UCS-2, where every UTF-16 code unit takes 16 bits. So: GSM-7 160 / 153 per segment,
UCS-2 70 / 67, extension characters two septets, emoji outside the Basic Multilingual Plane
two UCS-2 units. ``tests/sms/test_segments.py`` compares this module with the npm package on
thousands of messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .graphemes import as_javascript_sees_it, clusters

Encoding = Literal["GSM-7", "UCS-2"]

#: GSM 03.38 basic character set (one septet each). ESC (0x1B) is not a character.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: GSM 03.38 extension table: an escape plus one septet, so two septets each.
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

#: A character outside both tables; a search for it is quicker than a set's issuperset.
_NOT_GSM = re.compile("[^" + re.escape("".join(sorted(GSM_BASIC | GSM_EXTENSION))) + "]")
_EXTENSION_CHARACTER = re.compile("[" + re.escape("".join(sorted(GSM_EXTENSION))) + "]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")

SEGMENT_BITS = 140 * 8
HEADER_BITS = 6 * 8


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
    """Characters as the calculator splits them (grapheme-splitter 1.0.4's rules, see
    ``.graphemes``); a CR LF pair counts as two, as in the calculator."""
    found = clusters(text)
    if "\r\n" in text:
        found = [part for g in found for part in (("\r", "\n") if g == "\r\n" else (g,))]
    return found


def is_gsm(grapheme: str) -> bool:
    return len(grapheme) == 1 and (grapheme in GSM_BASIC or grapheme in GSM_EXTENSION)


def _utf16_units(grapheme: str) -> int:
    # surrogatepass: a lone surrogate (JSON "\ud83d" is valid input) is one code unit.
    return len(grapheme.encode("utf-16-le", "surrogatepass")) // 2


def segment_info(text: str) -> SegmentInfo:
    """Encoding, segments, characters and the characters that force UCS-2."""
    if _NOT_GSM.search(text) is None:
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
    text = as_javascript_sees_it(text)
    chars = graphemes(text)
    non_gsm = tuple(dict.fromkeys(g for g in chars if not is_gsm(g)))
    if non_gsm:
        encoding: Encoding = "UCS-2"
        characters = len(chars)
        if _ASTRAL.search(text) is None:
            units = [len(g) for g in chars]
            if len(units) == len(text):
                # One code unit per character: 70, then 67 a segment.
                if characters <= SEGMENT_BITS // 16:
                    return SegmentInfo(encoding, 1, characters, non_gsm)
                per_segment = (SEGMENT_BITS - HEADER_BITS) // 16
                return SegmentInfo(encoding, -(-characters // per_segment), characters, non_gsm)
        else:
            units = [_utf16_units(g) for g in chars]
        sizes = [16 * n for n in units]
    else:
        sizes = [14 if g in GSM_EXTENSION else 7 for g in chars]
        encoding = "GSM-7"
        characters = sum(size // 7 for size in sizes)
    return SegmentInfo(encoding, count_segments(sizes), characters, non_gsm)


def count_segments(sizes: list[int]) -> int:
    """Segments the calculator needs for characters of these sizes in bits.

    A character is never divided. The calculator fills the first segment without a header;
    when a character no longer fits, it gives the first segment its 6-octet header, moves the
    characters that no longer fit into the second segment and adds the new character there
    without checking that the second segment still has room. With characters of up to 14
    bits (GSM-7) or 16 (one UCS-2 unit) it always has, but a long grapheme (a letter with
    dozens of combining marks, a long emoji sequence) can overfill the second segment:
    ``"e" + "\\u0301" * 64 + "aaaaa" + "e" + "\\u0301" * 64`` is 2 segments for the
    calculator where a strict count says 3. We count as the calculator does, since it is
    the reference for what a message costs. Later segments are filled strictly.
    """
    if sum(sizes) <= SEGMENT_BITS:
        return 1
    # The first segment as filled before any header: sizes[:full].
    used = full = 0
    while used + sizes[full] <= SEGMENT_BITS:
        used += sizes[full]
        full += 1
    # With the header, move characters from its end until it fits again.
    kept = full
    while used + HEADER_BITS > SEGMENT_BITS:
        kept -= 1
        used -= sizes[kept]
    segments = 2
    used = HEADER_BITS + sum(sizes[kept : full + 1])  # unchecked, as in the calculator
    for size in sizes[full + 1 :]:
        if used + size > SEGMENT_BITS:
            segments += 1
            used = HEADER_BITS
        used += size
    return segments
