"""Consistent perturbation of published figures: the cell-key method of statistical
offices' self-service tables (ABS TableBuilder, ONS flexible tables; DOMAIN.md section 9).

Suppression query by query cannot stop a viewer who combines queries: a total minus the
shown cells, a range minus an overlapping range. So every published figure carries a
small noise that depends only on *which residents* are behind it:

- each resident has a secret, stable **record key**, a number in ``[0, RANGE)`` taken
  from an HMAC of their keyed pseudonym under a secret derived from the pseudonym key
  (it lives outside the database, as that key does: the database alone does not give the
  record keys away);
- a cell's **cell key** is the sum of its residents' record keys modulo ``RANGE``;
- a fixed, published **perturbation table** (:data:`NOISE`) maps the cell key to a noise
  value; the published count is the true count plus that noise.

The same residents always give the same cell key, whatever query, filter or page
produced the cell, so asking again and averaging learns nothing, and a difference of two
cells is off by two independent noises. Totals and margins are cells of their own.
Zero stays zero (no one to hide); a positive count never becomes zero or less. The k
threshold is applied to the perturbed figures, by :mod:`.suppression`.

Sums that are not resident counts (messages, segments, events) get noise from the same
cell key, scaled by the largest amount a single row of the cell contributes (a
resident's day), so that one resident more or less is hidden in the noise too.
"""

from __future__ import annotations

import hmac
from bisect import bisect_right
from collections.abc import Iterable
from itertools import accumulate

#: Record and cell keys are integers in [0, RANGE): cell key = sum of record keys mod RANGE.
RANGE = 2**32
#: The perturbation table: a two-sided geometric ("discrete Laplace") law, P(e) =
#: (1/4) * (3/5)**|e|, as exact integer weights out of RANGE. Why this law and not a
#: short triangle: with a bounded table (say -3..+3) an attacker who differences the
#: same hidden residents out of several pairs of cells intersects the intervals "true =
#: difference +- 6" and, in a few cases in a thousand, is left with one value: certain
#: (tests/metrics/test_cellkey.py measures it). A geometric law has no edge to run into before
#: the key's resolution (|e| = 40, weight 1 in 2**32 each), and every step away from the
#: middle is 3/5 as likely as the one before, so one published figure changes the odds
#: between "n" and "n + 1" residents by at most 5/3, however it falls. Its size (standard
#: deviation 2.7, 9 figures in 10 within 4) is set for the number of cells that can hold
#: the same residents (docs/metrics.md, "How much noise").
_RATIO = (3, 5)
NOISE: dict[int, int] = {}
for _e in range(-64, 65):
    _weight = RANGE * _RATIO[0] ** abs(_e) // (4 * _RATIO[1] ** abs(_e))
    if _weight:
        NOISE[_e] = _weight
# What the integer rounding left goes to the middle, so the weights add up to RANGE.
NOISE[0] += RANGE - sum(NOISE.values())
#: The largest noise the table can give (at 1 chance in 2**32): the bound of tests.
LARGEST_NOISE = max(NOISE)
#: Nine figures in ten are perturbed by at most this much either way (90.3%): what
#: every page and export says.
USUAL_NOISE = 4
#: The cell key's upper bound for each noise value, in order: a fixed table, published.
_BOUNDS = list(accumulate(NOISE.values()))
_VALUES = list(NOISE)
#: Sums draw their noise from the cell key shifted by this constant, so that a count and
#: a sum of the same residents do not move together.
_SUM_LANE = 0x9E3779B9
#: Record keys kept per process before the cache is emptied (a few MB).
_CACHE_LIMIT = 1_000_000


def noise_for(cell_key: int) -> int:
    """The perturbation table: the noise of a cell with this key."""
    return _VALUES[bisect_right(_BOUNDS, _scatter(cell_key))]


def _scatter(cell_key: int) -> int:
    """The cell key, scattered over [0, RANGE) by a fixed bijection (MurmurHash3's
    32-bit finalizer) before the table is read.

    Why: the table gives its values in order along the keys, and the residents H that a
    pair of cells differs by shift the key by the same K(H) in every pair. Read in order,
    a small shift would land each pair's two keys in the same or the next band: every
    pair would then differ by |H| plus the same small amount, and an attacker who saw
    many pairs agree would read |H| off them. Scattered, the two keys of a pair fall in
    unrelated bands, whatever the shift. The bijection is public; the record keys it is
    fed are the secret."""
    h = cell_key ^ (cell_key >> 16)
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    return h ^ (h >> 16)


def noise_probability(value: int) -> float:
    """How likely the table makes this noise value."""
    return NOISE.get(value, 0) / RANGE


class CellKeys:
    """The deployment's record keys and the perturbation they give."""

    def __init__(self, pseudonym_key: bytes) -> None:
        # A secret of its own, derived from the pseudonym key: never stored, never shown.
        self._secret = hmac.digest(pseudonym_key, b"outreach metrics record keys", "sha256")
        self._keys: dict[str, int] = {}

    def record_key(self, resident: str) -> int:
        key = self._keys.get(resident)
        if key is None:
            digest = hmac.digest(self._secret, resident.encode(), "sha256")
            key = int.from_bytes(digest[:4], "big")
            if len(self._keys) >= _CACHE_LIMIT:
                self._keys.clear()
            self._keys[resident] = key
        return key

    def cell_key(self, residents: Iterable[str]) -> int:
        record_key = self.record_key
        return sum(record_key(r) for r in residents) % RANGE

    def count(self, true: int, cell_key: int) -> int:
        """The published count of a cell of ``true`` residents with this key."""
        if true <= 0:
            return 0
        return max(1, true + noise_for(cell_key))

    def amount(self, true: int, cell_key: int, largest: int) -> int:
        """The published sum of a cell: noise in steps of its largest row's amount."""
        if true <= 0:
            return 0
        noise = noise_for((cell_key + _SUM_LANE) % RANGE) * max(1, largest)
        return max(1, true + noise)

    def anonymous_count(self, buckets: Iterable[tuple[str, int]]) -> int:
        """A count kept without residents (erasures): each counted one gets a record key
        from its bucket's name and its place in it, so the same buckets always give the
        same noise."""
        true = 0
        key = 0
        for name, n in buckets:
            for i in range(n):
                key += self.record_key(f"\x00anonymous:{name}:{i}")
            true += n
        return self.count(true, key % RANGE)


def noise_variance() -> float:
    return sum(w * v * v for v, w in NOISE.items()) / RANGE
