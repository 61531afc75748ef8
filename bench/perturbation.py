"""How sure the best attacker gets, against the cell-key perturbation of our figures.

The attacker knows the published perturbation table and differences the same hidden
group H (1 to 9 residents) out of several pairs of published cells (a cell with them
and one without), then computes the exact posterior of |H| (outreach.metrics.disclosure).
For each number of pairs, over 3,000 random deployments (each its own secret key), it
prints how often the attacker's best guess is right, how often they are 90% sure, and
how often certain, for our table and, as the baseline in the same run, for the bounded
-3..+3 triangle the service used before. A blind guess of 1 to 9 is right 1 time in 9.

Pairs: 6 is what whole-month ranges within the kept details give one month; 12 adds
filters that leave H alone in a cell; 32 is the worst case we could build (a lone
WhatsApp resident of a department, every filter and range).

    .venv/bin/python bench/perturbation.py
"""

from __future__ import annotations

import random

from outreach.metrics.cellkey import CellKeys
from outreach.metrics.disclosure import noise_law, old_triangle, posterior

TRIALS = 3000


def main() -> None:
    ours, old = noise_law(cells=2), noise_law(cells=2, probability=old_triangle, largest=3)
    print(f"{'pairs':>5}  {'table':<9} {'right':>6} {'90% sure':>9} {'certain':>8}")
    for pairs in (1, 6, 12, 20, 32):
        rng = random.Random(pairs)
        tally = {"ours": [0, 0, 0], "old -3..3": [0, 0, 0]}
        for trial in range(TRIALS):
            keys = CellKeys(f"bench deployment {trial}".encode() * 2)
            hidden = [f"h{trial}-{n}" for n in range(rng.randrange(1, 10))]
            true = len(hidden)
            ours_read, old_read = [], []
            for p in range(pairs):
                base = [f"b{trial}-{p}-{n}" for n in range(rng.randrange(15, 60))]
                ours_read.append(
                    keys.count(len(base) + true, keys.cell_key(base + hidden))
                    - keys.count(len(base), keys.cell_key(base))
                )
                draw = rng.choices(range(-3, 4), [1, 2, 3, 4, 3, 2, 1], k=2)
                old_read.append(true + draw[0] - draw[1])
            for name, read, law in (("ours", ours_read, ours), ("old -3..3", old_read, old)):
                believed = posterior(read, law)
                guess = max(believed, key=believed.__getitem__)
                counts = tally[name]
                counts[0] += guess == true
                counts[1] += believed[guess] >= 0.9
                counts[2] += believed[guess] > 1 - 1e-9
        for name, (right, sure, certain) in tally.items():
            print(
                f"{pairs:>5}  {name:<9} {right / TRIALS:>6.1%} {sure / TRIALS:>9.2%}"
                f" {certain / TRIALS:>8.2%}"
            )


if __name__ == "__main__":
    main()
