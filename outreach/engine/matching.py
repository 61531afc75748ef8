"""Understanding replies as residents really type them on basic phones.

``1``, ``1.``, ``1)``, `` 1 ``, ``uno`` and ``one`` all choose option 1; ``MENU`` equals
``menú``; composed and decomposed accents are equal; a word of five or more letters may
carry one typo (a letter missing, extra, wrong or two swapped). Answers from a list
(the 22 departments) forgive more: see lists.py. Everything is computed once per menu
or list when the matcher is built, so matching a message is a few set look-ups.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)
#: What a phrase table maps a phrase to (its keys, or nothing for not-meant phrases).
_K = TypeVar("_K")

#: Apostrophes of every kind are dropped, so ``Q'eqchi'`` and ``Qʼeqchiʼ`` are one word.
_APOSTROPHES = str.maketrans("", "", "'’‘‛ʼʻ`´")
_WORD = re.compile(r"[^\W_]+")

_NUMBER_WORDS = {
    # Spanish and English only: number words in Mayan languages come from translators.
    "cero": 0, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5,
    "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10,
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip

#: Words too common to tell options apart ("informacion de trabajo" vs "de salud").
STOPWORDS = frozenset([
    "a", "al", "de", "del", "el", "la", "las", "los", "lo", "en", "y", "o", "u", "para", "por",
    "con", "sin", "que", "mi", "mis", "un", "una", "unos", "unas", "su", "sus", "es", "quiero",
    "saber", "sobre", "me",
    "the", "of", "and", "or", "to", "in", "for", "my", "an", "on", "about", "i", "want", "know",
])  # fmt: skip

#: Typos are forgiven only in words at least this long: short words are too alike.
TYPO_MIN_LENGTH = 5


def normalize(text: str) -> str:
    """Lower case, no accents, no punctuation, single spaces: the form we compare."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_WORD.findall(bare.casefold()))


#: Words people put before a number: "opción 2", "la 2", "number 2".
_NUMBER_FILLERS = frozenset(["opcion", "option", "numero", "number", "num", "la", "el"])
#: Longer digit strings are not choices (and int() of thousands of digits is slow).
_MAX_DIGITS = 6


def parse_number(normalized: str) -> int | None:
    """The number a whole reply stands for (``"1"``, ``"uno"``, ``"opción 1"``), if any."""
    words = normalized.split()
    while len(words) > 1 and words[0] in _NUMBER_FILLERS:
        words.pop(0)
    if len(words) != 1:
        return None
    word = words[0]
    if word.isdigit():
        return int(word) if len(word) <= _MAX_DIGITS else None
    return _NUMBER_WORDS.get(word)


def find_integer(normalized: str) -> int | None:
    """The single number in a reply such as ``"tengo 25"``; None if there are none or several."""
    found = [parse_number(word) for word in normalized.split() if word not in _NUMBER_FILLERS]
    numbers = [n for n in found if n is not None]
    return numbers[0] if len(numbers) == 1 else None


def within_one_edit(a: str, b: str) -> bool:
    """True if ``a`` and ``b`` differ by at most one insertion, deletion, substitution
    or swap of two neighbouring letters (optimal string alignment distance <= 1)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diffs = [i for i in range(la) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    if la > lb:
        a, b = b, a
    # b is one letter longer: skip one letter of b at the first difference.
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


def is_typo_of(word: str, target: str) -> bool:
    return (
        len(target) >= TYPO_MIN_LENGTH
        and len(word) >= TYPO_MIN_LENGTH - 1
        and within_one_edit(word, target)
    )


@dataclass(frozen=True)
class Choice(Generic[Key]):
    """Something a resident can pick: by number, by one of its phrases, or by a word."""

    key: Key
    number: int | None
    phrases: tuple[str, ...]


class ChoiceMatcher(Generic[Key]):
    """Finds which of several choices a reply means, or None if it is not clear."""

    def __init__(self, choices: Iterable[Choice[Key]], reserved: Iterable[str] = ()) -> None:
        #: Replies that are global words ("mas" asks for more): alone they choose a
        #: choice only by a whole phrase, never as one word of a label ("Más o menos").
        self._reserved = frozenset(normalize(word) for word in reserved)
        self._by_number: dict[int, Key] = {}
        self._by_phrase: dict[str, set[Key]] = {}
        self._by_word: dict[str, set[Key]] = {}
        for choice in choices:
            if choice.number is not None:
                self._by_number.setdefault(choice.number, choice.key)
            for phrase in choice.phrases:
                normalized = normalize(phrase)
                if not normalized:
                    continue
                self._by_phrase.setdefault(normalized, set()).add(choice.key)
                for word in normalized.split():
                    if word not in STOPWORDS and not word.isdigit():
                        self._by_word.setdefault(word, set()).add(choice.key)
        self._long_words = [w for w in self._by_word if len(w) >= TYPO_MIN_LENGTH]

    def exact(self, normalized: str) -> bool:
        """True if the reply is a choice's number or one of its phrases, as a whole."""
        number = parse_number(normalized)
        if number is not None:
            return number in self._by_number
        return normalized in self._by_phrase

    def match(self, normalized: str) -> Key | None:
        """The choice meant by an already :func:`normalize`-d reply."""
        number = parse_number(normalized)
        if number is not None:
            return self._by_number.get(number)
        exact = self._by_phrase.get(normalized)
        if exact is not None:
            return only_one(exact)
        if normalized in self._reserved:
            return None
        words = [w for w in normalized.split() if w not in STOPWORDS]
        if not words:
            return None
        found: set[Key] = set()
        for word in words:
            found |= self._by_word.get(word, set())
        if found:
            return only_one(found)
        for word in words:
            for target in self._long_words:
                if is_typo_of(word, target):
                    found |= self._by_word[target]
        return only_one(found)


def only_one(keys: set[Key]) -> Key | None:
    """The one key of ``keys``; None when there are none or several (never a guess)."""
    return next(iter(keys)) if len(keys) == 1 else None


class KeywordMatcher(Generic[Key]):
    """Matches a whole reply against keywords (global commands, flow entry words).

    ``forgiving`` keys also accept one typo in keywords of five or more letters; the
    destructive commands (stop, delete) are never forgiving, so that "pagar" never
    reads as "parar".
    """

    def __init__(self, keywords: Sequence[tuple[str, Key, bool]]) -> None:
        self._exact: dict[str, Key] = {}
        # By length: a typo changes the length by one at most, so only three buckets
        # need looking at for each reply.
        self._forgiving: dict[int, list[tuple[str, Key]]] = {}
        for keyword, key, forgiving in keywords:
            normalized = normalize(keyword)
            self._exact.setdefault(normalized, key)
            if forgiving and len(normalized) >= TYPO_MIN_LENGTH and " " not in normalized:
                self._forgiving.setdefault(len(normalized), []).append((normalized, key))

    def exact(self, normalized: str) -> bool:
        """True if the reply is one of the keywords, as a whole, without a typo."""
        return normalized in self._exact

    def match(self, normalized: str) -> Key | None:
        key = self._exact.get(normalized)
        if key is not None or not normalized or " " in normalized:
            return key
        size = len(normalized)
        found = {
            k
            for length in (size - 1, size, size + 1)
            for word, k in self._forgiving.get(length, ())
            if is_typo_of(normalized, word)
        }
        return only_one(found)


#: In free text every word of a message is compared with every word spotted for, not one
#: whole reply with a few keywords, so a typo is forgiven only in longer words: "trato",
#: "rata" and "matas" are everyday words, not "trata" and "matar".
SPOT_TYPO_MIN_LENGTH = TYPO_MIN_LENGTH + 1


def _spot_typo(word: str, target: str) -> bool:
    return (
        len(target) >= SPOT_TYPO_MIN_LENGTH
        and len(word) >= SPOT_TYPO_MIN_LENGTH - 1
        and within_one_edit(word, target)
    )


class PhraseSpotter(Generic[Key]):
    """Finds words and phrases anywhere in a message ("ayuda por favor mi hijo no
    aparece" holds "no aparece"), not only as the whole reply.

    Case, accents and punctuation never matter; each word of a phrase may carry one typo
    when it has :data:`SPOT_TYPO_MIN_LENGTH` letters or more. The words of a phrase must
    follow each other in the message. Prepared once; a message costs a dictionary look-up
    per word and, for words that are not exact, a comparison with the spotted words of
    about the same length.
    """

    def __init__(self, phrases: Iterable[tuple[str, Key]], not_meant: Iterable[str] = ()) -> None:
        #: Phrases (as word tuples) by their first word, each with its keys.
        self._by_first: dict[str, dict[tuple[str, ...], set[Key]]] = {}
        #: Everyday phrases that hold a spotted word without meaning it ("se trata de"),
        #: by their first word.
        self._not_meant: dict[str, dict[tuple[str, ...], None]] = {}
        vocabulary: set[str] = set()
        for phrase, key in phrases:
            words = tuple(normalize(phrase).split())
            if not words:
                continue
            self._by_first.setdefault(words[0], {}).setdefault(words, set()).add(key)
            vocabulary.update(words)
        for phrase in not_meant:
            words = tuple(normalize(phrase).split())
            if words:
                self._not_meant.setdefault(words[0], {})[words] = None
                vocabulary.update(words)
        self._vocabulary = frozenset(vocabulary)
        self._long: dict[int, list[str]] = {}
        for word in vocabulary:
            if len(word) >= SPOT_TYPO_MIN_LENGTH:
                self._long.setdefault(len(word), []).append(word)

    def _readings(self, word: str) -> set[str]:
        """The spotted words a message word may be: itself, or one typo away."""
        found = {word} if word in self._vocabulary else set()
        size = len(word)
        for length in (size - 1, size, size + 1):
            found.update(t for t in self._long.get(length, ()) if _spot_typo(word, t))
        return found

    def _matches(
        self, readings: list[set[str]], phrases: dict[str, dict[tuple[str, ...], _K]]
    ) -> Iterator[tuple[int, int, _K]]:
        """Each phrase of ``phrases`` (by first word) found in the words read, with where
        it starts and ends and what it stands for."""
        for start, first in enumerate(readings):
            for reading in first:
                for phrase, value in phrases.get(reading, {}).items():
                    end = start + len(phrase)
                    if end <= len(readings) and all(
                        phrase[n] in readings[start + n] for n in range(1, len(phrase))
                    ):
                        yield start, end, value

    def whole(self, normalized: str) -> set[Key]:
        """The keys of the phrases that are the whole of an already normalized text, with
        the typos :meth:`spot` forgives ("secuestros" is "secuestro")."""
        readings = [self._readings(word) for word in normalized.split()]
        return {
            key
            for start, end, keys in self._matches(readings, self._by_first)
            if start == 0 and end == len(readings)
            for key in keys
        }

    def spot(self, normalized: str) -> set[Key]:
        """The keys of every phrase found in an already :func:`normalize`-d message, but
        for phrases that lie wholly inside a not-meant phrase found there ("trata" in "se
        trata de"; "trata de personas" reaches beyond "trata de" and counts)."""
        readings = [self._readings(word) for word in normalized.split()]
        found = list(self._matches(readings, self._by_first))
        if not found:
            return set()  # nearly every message: the not-meant phrases need no look
        not_meant = [(a, b) for a, b, _ in self._matches(readings, self._not_meant)]
        return {
            key
            for start, end, keys in found
            if not any(a <= start and end <= b for a, b in not_meant)
            for key in keys
        }
