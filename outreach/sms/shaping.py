"""Shaping text for SMS so that it stays GSM-7 (160 characters a segment, not 70).

One curly apostrophe turns a whole message into UCS-2 and more than doubles its cost.
Like Twilio's Smart Encoding, punctuation look-alikes become their GSM equivalents; as an
opt-in per language, Spanish á í ó ú become a i o u (é, ñ, ü, ¿ and ¡ are GSM-7 already).
Only SMS is shaped: WhatsApp and the web keep the text as written.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from outreach.engine.model import SmsSettings

# Apostrophes: Mayan orthographies write the glottal stop as ʼ (U+02BC), which CLDR uses,
# or ’; residents type ' and read all three the same way.
_APOSTROPHES = "ʼ’‘‛′´`ʹʻ"
_DOUBLE_QUOTES = "“”„‟«»″ʺ〝〞"
_DASHES = "‐‑‒–—―−⁃•"
_SPACES = (
    "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\t"
)
# Zero-width joiners (U+200C, U+200D) stay: they hold emoji sequences and some scripts
# together, and a message with them is UCS-2 anyway.
_INVISIBLE = "\u200b\u2060\ufeff\u00ad"

PUNCTUATION: dict[int, str] = {
    **{ord(ch): "'" for ch in _APOSTROPHES},
    **{ord(ch): '"' for ch in _DOUBLE_QUOTES},
    **{ord(ch): "-" for ch in _DASHES},
    **{ord(ch): " " for ch in _SPACES},
    **{ord(ch): "" for ch in _INVISIBLE},
    ord("…"): "...",
    ord("‚"): ",",
    ord("‼"): "!!",
    ord("¼"): "1/4",
    ord("½"): "1/2",
    ord("¾"): "3/4",
    ord("\u2028"): "\n",  # line and paragraph separators
    ord("\u2029"): "\n",
    ord("‹"): "<",
    ord("›"): ">",
    # Full-width forms (from some phone keyboards) become their ASCII letters and signs.
    **{code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)},
}

#: Spanish vowels with an acute accent, which GSM-7 lacks (it has é and É).
PLAIN_VOWELS: dict[int, str] = {ord(a): b for a, b in zip("áíóúÁÍÓÚ", "aiouAIOU", strict=True)}


@functools.lru_cache(maxsize=256)
def shaping_table(language: str, channel: str, settings: SmsSettings) -> dict[int, str]:
    if channel not in settings.channels:
        return {}
    wanted = settings.punctuation
    table = dict(PUNCTUATION) if wanted is None or language in wanted else {}
    if language in settings.plain_vowels:
        table.update(PLAIN_VOWELS)
    return table


@functools.lru_cache(maxsize=256)
def _shaper(language: str, channel: str, settings: SmsSettings) -> Callable[[str], str] | None:
    """What ``str.translate`` with the shaping table does, as a regular expression that
    stops only at the characters the table changes. ``translate`` looks every character
    of a non-ASCII text up in the table (each accented Spanish message): four times
    slower, a tenth of a webhook turn's rendering."""
    table = shaping_table(language, channel, settings)
    if not table:
        return None
    characters = re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(table)) + "]")

    def replace(match: re.Match[str]) -> str:
        return table[ord(match.group())]

    return functools.partial(characters.sub, replace)


def shape(text: str, language: str, channel: str, settings: SmsSettings) -> str:
    """The text as it will really be sent on ``channel`` to a resident of ``language``."""
    if text.isascii() and "\t" not in text and "`" not in text:
        return text  # nothing to shape, and the common case: skip the per-character pass
    shaper = _shaper(language, channel, settings)
    return shaper(text) if shaper else text
