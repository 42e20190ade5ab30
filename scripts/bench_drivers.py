"""How stable is the driver ranking? Random halves of one simulated survey.

Simulates a survey of ``--respondents`` people (default 120) on the instrument's
dimensions, where every dimension shares a common "climate" and the outcome
statement depends on two planted dimensions only. Computes the general dominance
ranking on the whole survey, then on ``--halves`` random halves, and prints
exactly one line::

    bench-drivers: top two agree in <P>% of <N> half-samples (planted found first in <Q>%)

"agree": the half's two most important dimensions are the whole survey's two;
"planted found first": they are the two planted ones.

Usage: ``python scripts/bench_drivers.py [--respondents 120] [--halves 300] [--seed 7]``
(``make bench-drivers``).
"""

from __future__ import annotations

import argparse

import numpy as np

from alignkit.analysis.drivers import general_dominance
from alignkit.catalog.instrument import load_instrument

PLANTED = ("goals", "sla")


def simulate(respondents: int, dimensions: list[str], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Dimension means (people × dimensions, 1-5) and the outcome (1-5 whole numbers)."""
    rng = np.random.default_rng(seed)
    climate = rng.normal(size=(respondents, 1))
    scores = np.clip(3 + 0.4 * climate + 0.7 * rng.normal(size=(respondents, len(dimensions))),
                     1, 5)
    a, b = (dimensions.index(d) for d in PLANTED)
    noise = 0.6 * rng.normal(size=respondents)
    raw = 0.5 * (scores[:, a] - 3) + 0.35 * (scores[:, b] - 3) + noise
    return scores, np.clip(np.rint(3 + raw), 1, 5)


def top_two(x: np.ndarray, y: np.ndarray) -> frozenset[int]:
    weights, _ = general_dominance(x, y)
    return frozenset(np.argsort(-weights)[:2].tolist())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=120)
    parser.add_argument("--halves", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    dimensions = list(load_instrument().dimension_names())
    x, y = simulate(args.respondents, dimensions, args.seed)
    whole = top_two(x, y)
    planted = frozenset(dimensions.index(d) for d in PLANTED)
    rng = np.random.default_rng(args.seed + 1)
    agree = found = 0
    for _ in range(args.halves):
        half = rng.permutation(len(y))[: len(y) // 2]
        top = top_two(x[half], y[half])
        agree += top == whole
        found += top == planted
    print(f"bench-drivers: top two agree in {100 * agree / args.halves:.0f}% of {args.halves} "
          f"half-samples (planted found first in {100 * found / args.halves:.0f}%)")


if __name__ == "__main__":
    main()
