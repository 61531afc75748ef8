"""Answers from a list (Guatemala's 22 departments, the municipalities in them), which
forgive more than menus: spaces and hyphens do not count ("sanmarcos"), one word of a
name may stand for it ("vivo en xela"), and long names may carry two typos, but only
when a single entry is that close: never a guess between two.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Generic

from .matching import (
    STOPWORDS,
    TYPO_MIN_LENGTH,
    Key,
    normalize,
    only_one,
    parse_number,
    within_one_edit,
)


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
                    if word not in STOPWORDS and word not in _PLACE_WORDS and not word.isdigit():
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
            return only_one(exact)
        words = [w for w in normalized.split() if w not in STOPWORDS and w not in _PLACE_WORDS]
        found: set[Key] = set()
        for word in words:
            found |= self._by_word.get(word, set())
        if found:
            return only_one(found)
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
        return only_one(found)
