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
from collections.abc import Iterable
from itertools import accumulate

#: Record and cell keys are integers in [0, RANGE): cell key = sum of record keys mod RANGE.
RANGE = 2**32
#: The perturbation table's published parameters: noise from -3 to +3 with these weights
#: (out of 16), a discrete triangle: mean 0, variance 2.5, standard deviation 1.58. Sized
#: for the few cells (see docs/metrics.md) that can isolate the same residents: averaging
#: m of them still leaves a standard error of sqrt(2 * 2.5 / m), over 1 for m up to 5.
NOISE = {-3: 1, -2: 2, -1: 3, 0: 4, 1: 3, 2: 2, 3: 1}
MAX_NOISE = max(NOISE)
_WEIGHT = sum(NOISE.values())
#: The cell key's bounds for each noise value, in order: a fixed table, published.
_BOUNDS = [RANGE * n // _WEIGHT for n in accumulate(NOISE.values())]
_VALUES = list(NOISE)
#: Sums draw their noise from the cell key shifted by this constant, so that a count and
#: a sum of the same residents do not move together.
_SUM_LANE = 0x9E3779B9
#: Record keys kept per process before the cache is emptied (a few MB).
_CACHE_LIMIT = 1_000_000


def noise_for(cell_key: int) -> int:
    """The perturbation table: the noise of a cell with this key."""
    for bound, value in zip(_BOUNDS, _VALUES, strict=True):
        if cell_key < bound:
            return value
    return _VALUES[-1]


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
    return sum(w * v * v for v, w in NOISE.items()) / _WEIGHT
