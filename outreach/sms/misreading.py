"""Words that shaping for SMS turns into other words: "regresó" sent as "regreso" tells a
resident "I come back" instead of "he came back". The pairs are listed per language in
``accent_pairs/<language>.txt``, each with why it misleads; `outreach check` warns where a
message sent by SMS holds one."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

from outreach.engine.model import SmsSettings

from .shaping import shape

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Misreading:
    #: As written in the content.
    written: str
    #: As the resident gets it by SMS.
    sent: str
    #: What the change does to its meaning (the list file's comment).
    why: str


class PairListError(ValueError):
    """A line of a pair list that does not hold what shaping really does."""


def parse_pairs(text: str, language: str, settings: SmsSettings) -> dict[str, tuple[str, str]]:
    """``{written word (lower case): (sent word, why)}`` from a pair list's text.

    Each pair is checked against the real shaping: a pair shaping does not produce would
    never warn, and would make the list claim a protection it does not give."""
    pairs: dict[str, tuple[str, str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        words, _, why = line.partition("#")
        fields = words.split()
        if not fields:
            continue
        if len(fields) != 2 or not why.strip():
            raise PairListError(f"line {number}: expected 'written sent  # why'")
        written, sent = fields
        shaped = shape(written, language, "sms", settings)
        if shaped != sent:
            raise PairListError(f"line {number}: {written!r} is sent as {shaped!r}, not {sent!r}")
        pairs[written.lower()] = (sent, why.strip())
    return pairs


@functools.lru_cache(maxsize=16)
def _pair_list(language: str) -> str:
    resource = resources.files(__package__ or "outreach.sms") / "accent_pairs" / f"{language}.txt"
    return resource.read_text(encoding="utf-8") if resource.is_file() else ""


def shipped_pairs(language: str) -> dict[str, tuple[str, str]]:
    """The pairs shipped for ``language`` (none for a language without a list), checked
    with every accent shaped as the SMS shaping for that language does."""
    everything = SmsSettings(plain_vowels=frozenset({language}))
    return parse_pairs(_pair_list(language), language, everything)


def misreadings(text: str, language: str, settings: SmsSettings) -> list[Misreading]:
    """The words of ``text`` that the SMS to a resident of ``language`` would change into
    another word, in order (each word once)."""
    if shape(text, language, "sms", settings) == text:
        return []  # nothing shaped: the common, cheap case
    pairs = shipped_pairs(language)
    found: dict[str, Misreading] = {}
    for match in _WORD.finditer(text):
        word = match.group()
        pair = pairs.get(word.lower()) if word not in found else None
        sent = shape(word, language, "sms", settings)
        if pair is not None and sent != word:
            found[word] = Misreading(word, sent, pair[1])
    return list(found.values())
