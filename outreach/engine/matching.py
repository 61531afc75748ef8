"""Understanding replies as residents really type them on basic phones.

``1``, ``1.``, ``1)``, `` 1 ``, ``uno`` and ``one`` all choose option 1; ``MENU`` equals
``menú``; composed and decomposed accents are equal; a word of five or more letters may
carry one typo (a letter missing, extra, wrong or two swapped). Answers from a list
(the 22 departments) forgive more: spaces and hyphens do not count ("sanmarcos") and
long names may carry two typos, but only when a single entry is that close. Everything
is computed once per menu or list when the matcher is built, so matching a message is a
few set look-ups (and, for a list answer that matches nothing exactly, a few short
distance computations).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)

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
_STOPWORDS = frozenset(
    [
        "a",
        "al",
        "de",
        "del",
        "el",
        "la",
        "las",
        "los",
        "lo",
        "en",
        "y",
        "o",
        "u",
        "para",
        "por",
        "con",
        "sin",
        "que",
        "mi",
        "mis",
        "un",
        "una",
        "unos",
        "unas",
        "su",
        "sus",
        "es",
        "quiero",
        "saber",
        "sobre",
        "me",
        "the",
        "of",
        "and",
        "or",
        "to",
        "in",
        "for",
        "my",
        "a",
        "an",
        "on",
        "about",
        "i",
        "want",
        "know",
    ]
)

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


def typo_distance(a: str, b: str, limit: int) -> int:
    """The optimal string alignment distance between ``a`` and ``b`` (the restricted
    Damerau-Levenshtein distance: letters missing, extra, wrong or two neighbours
    swapped, none edited twice), or ``limit + 1`` when it is larger than ``limit``."""
    la, lb = len(a), len(b)
    if abs(la - lb) > limit:
        return limit + 1
    # What both share at the start and at the end costs nothing.
    start = 0
    shortest = min(la, lb)
    while start < shortest and a[start] == b[start]:
        start += 1
    while la > start and lb > start and a[la - 1] == b[lb - 1]:
        la -= 1
        lb -= 1
    a, b = a[start:la], b[start:lb]
    if not a or not b:
        return len(a) + len(b)  # at most ``limit``: the lengths differ by that much
    if limit == 1:
        return 1 if within_one_edit(a, b) else 2
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, letter in enumerate(a, start=1):
        row = [i]
        for j, other in enumerate(b, start=1):
            distance = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (letter != other))
            if i > 1 and j > 1 and letter == b[j - 2] and a[i - 2] == other:
                distance = min(distance, before[j - 2] + 1)
            row.append(distance)
        if min(row) > limit:
            # No later row can come back under the limit (a swap costs at least as
            # much as the cell beside it in this row).
            return limit + 1
        before, previous = previous, row
    return min(previous[-1], limit + 1)


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
                    if word not in _STOPWORDS and not word.isdigit():
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
            return _only(exact)
        if normalized in self._reserved:
            return None
        words = [w for w in normalized.split() if w not in _STOPWORDS]
        if not words:
            return None
        found: set[Key] = set()
        for word in words:
            found |= self._by_word.get(word, set())
        if found:
            return _only(found)
        for word in words:
            for target in self._long_words:
                if is_typo_of(word, target):
                    found |= self._by_word[target]
        return _only(found)


def _only(keys: set[Key]) -> Key | None:
    return next(iter(keys)) if len(keys) == 1 else None


#: Typos forgiven in a list answer, by the length of the name (spaces left out) it is
#: compared with: two in names of nine letters or more, one from five, none below.
LIST_TYPOS = ((9, 2), (TYPO_MIN_LENGTH, 1))
_MAX_LIST_TYPOS = max(edits for _, edits in LIST_TYPOS)


#: Words that begin many place names ("San Pedro", "Santa Lucía", "Santo Tomás"): alone,
#: or as a typo, they name no list entry ("santo" is not "Santa Rosa").
_PLACE_WORDS = frozenset(["san", "santa", "santo"])


def list_typos(name: str) -> int:
    """How many typos a list answer may carry and still mean ``name``."""
    return next((edits for length, edits in LIST_TYPOS if len(name) >= length), 0)


def _letters(word: str) -> int:
    """The letters of ``word`` as bits (of 64: letters sharing a bit only weaken the test),
    so that counting the letters one word lacks is a bit count, not a set."""
    bits = 0
    for letter in word:
        bits |= 1 << (ord(letter) & 63)
    return bits


class ListMatcher(Generic[Key]):
    """Finds which entry of an answer list (departments) a reply names, or None.

    Case, accents, punctuation, hyphens and spaces never matter ("sanmarcos",
    "San-Marcos", "QUICHE"). A reply may also name an entry by one of its words ("marcos",
    "vivo en xela"), except words that begin many place names (:data:`_PLACE_WORDS`), or
    carry typos (:data:`LIST_TYPOS`): accepted only when exactly one entry is
    that close, never a guess between two. A bare number names nothing here: a number
    means an item only once the resident has seen the numbered list (the engine's
    business), and before that "1" is more likely a late menu choice.
    """

    def __init__(
        self, entries: Iterable[tuple[Key, Sequence[str]]], *, by_word: bool = True
    ) -> None:
        """``by_word=False``: only a whole name (or one typo in it) names an entry, for
        names of places where one word names too much ("santo tomas" is in two
        departments but only one municipality's name)."""
        #: Each name (value or alias) without spaces.
        self._by_name: dict[str, set[Key]] = {}
        #: Each word of a name, and each name of several words without spaces.
        self._by_word: dict[str, set[Key]] = {}
        fuzzy: dict[str, set[Key]] = {}
        for key, names in entries:
            for name in names:
                words = normalize(name).split()
                if not words:
                    continue
                compact = "".join(words)
                self._by_name.setdefault(compact, set()).add(key)
                fuzzy.setdefault(compact, set()).add(key)
                if not by_word:
                    continue
                if len(words) > 1:
                    self._by_word.setdefault(compact, set()).add(key)
                for word in words:
                    if word not in _STOPWORDS and word not in _PLACE_WORDS and not word.isdigit():
                        self._by_word.setdefault(word, set()).add(key)
                        fuzzy.setdefault(word, set()).add(key)
        #: Names and words that forgive typos, by length, with the typos they forgive and
        #: their letters (see :func:`_letters`).
        self._fuzzy: dict[int, list[tuple[str, int, int, frozenset[Key]]]] = {}
        for target, keys in fuzzy.items():
            edits = list_typos(target)
            if edits:
                entry = (target, edits, _letters(target), frozenset(keys))
                self._fuzzy.setdefault(len(target), []).append(entry)

    def exact(self, normalized: str) -> bool:
        """True if the reply is an entry's name (value or alias), as a whole."""
        return bool(normalized) and normalized.replace(" ", "") in self._by_name

    def named(self, normalized: str) -> frozenset[Key]:
        """Every entry whose name (value or alias) the reply is, as a whole: more than one
        for a name several entries share, which :meth:`match` never guesses between."""
        return frozenset(self._by_name.get(normalized.replace(" ", ""), ()))

    def match(self, normalized: str) -> Key | None:
        """The entry named by an already :func:`normalize`-d reply."""
        if not normalized or parse_number(normalized) is not None:
            return None
        compact = normalized.replace(" ", "")
        exact = self._by_name.get(compact)
        if exact is not None:
            return _only(exact)
        words = [w for w in normalized.split() if w not in _STOPWORDS and w not in _PLACE_WORDS]
        found: set[Key] = set()
        for word in words:
            found |= self._by_word.get(word, set())
        if found:
            return _only(found)
        for candidate in {compact, *words}:
            size = len(candidate)
            letters = _letters(candidate)
            for length in range(size - _MAX_LIST_TYPOS, size + _MAX_LIST_TYPOS + 1):
                for target, edits, target_letters, keys in self._fuzzy.get(length, ()):
                    if (
                        # Each letter one word has and the other lacks takes an edit.
                        (letters & ~target_letters).bit_count() <= edits
                        and (target_letters & ~letters).bit_count() <= edits
                        and not keys <= found
                        and typo_distance(candidate, target, edits) <= edits
                    ):
                        found |= keys
            if len(found) > 1:
                return None  # two entries are that close: not a guess
        return _only(found)


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
        return _only(found)


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

    def __init__(self, phrases: Iterable[tuple[str, Key]]) -> None:
        #: Phrases (as word tuples) by their first word, each with its keys.
        self._by_first: dict[str, dict[tuple[str, ...], set[Key]]] = {}
        vocabulary: set[str] = set()
        for phrase, key in phrases:
            words = tuple(normalize(phrase).split())
            if not words:
                continue
            self._by_first.setdefault(words[0], {}).setdefault(words, set()).add(key)
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

    def spot(self, normalized: str) -> set[Key]:
        """The keys of every phrase found in an already :func:`normalize`-d message."""
        words = normalized.split()
        readings = [self._readings(word) for word in words]
        found: set[Key] = set()
        for start, first in enumerate(readings):
            for reading in first:
                for phrase, keys in self._by_first.get(reading, {}).items():
                    end = start + len(phrase)
                    if end <= len(words) and all(
                        phrase[n] in readings[start + n] for n in range(1, len(phrase))
                    ):
                        found |= keys
        return found
