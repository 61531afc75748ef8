"""What an attacker who knows everything but the secret learns from published figures.

The perturbation table is public (docs/metrics.md), so an attacker who differences the
same hidden residents H out of several pairs of published cells (a cell with them, one
without) can compute the exact posterior of |H|: the best averaging attack there is.
The attack tests (tests/metrics/test_cellkey.py, tests/metrics/test_attacks.py) and
bench/perturbation.py use this to measure how sure such an attacker gets; the service
never needs it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from .cellkey import LARGEST_NOISE, noise_probability

#: Smaller probabilities are dropped from a law: below anything a count could show.
_NEGLIGIBLE = 1e-15


def old_triangle(value: int) -> float:
    """The table the service used before (-3..+3, weights 1 2 3 4 3 2 1 of 16): the
    baseline the attack tests and bench/perturbation.py measure ours against."""
    return {-3: 1, -2: 2, -1: 3, 0: 4, 1: 3, 2: 2, 3: 1}.get(value, 0) / 16


def noise_law(
    cells: int = 1,
    probability: Callable[[int], float] = noise_probability,
    largest: int = LARGEST_NOISE,
) -> dict[int, float]:
    """The law of what a sum or difference of ``cells`` independently perturbed figures
    is off by (the table is symmetric, so sums and differences are alike)."""
    law = {0: 1.0}
    for _ in range(cells):
        step: dict[int, float] = {}
        for value, p in law.items():
            for noise in range(-largest, largest + 1):
                q = p * probability(noise)
                if q > _NEGLIGIBLE:
                    step[value + noise] = step.get(value + noise, 0.0) + q
        law = step
    return law


def posterior(estimates: Iterable[int], law: dict[int, float], top: int = 60) -> dict[int, float]:
    """The attacker's exact posterior on a hidden count in 1..top (flat prior: hidden
    means "not zero" and little else), each estimate off by an independent draw of
    ``law``. Estimates made of the very same cells must be passed once: their noise is
    one draw, however often it is read."""
    estimates = list(estimates)
    likelihood = {n: math.prod(law.get(e - n, 0.0) for e in estimates) for n in range(1, top + 1)}
    total = sum(likelihood.values())
    return {n: value / total for n, value in likelihood.items() if value}
