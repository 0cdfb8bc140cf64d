"""Marker agreement: our grouped one-to-one matching against one dense Hungarian assignment of every marker.

Ours: ``nora.reading.analysis.markers.match_markers`` (markers linked within the tolerance found by a k-d
tree, each linked group assigned on its own by ``scipy.optimize.linear_sum_assignment``). Baseline, in the
same run: the textbook form, one ``linear_sum_assignment`` on the full n x m distance matrix with the
pairings beyond the tolerance priced above any within it. Both must give the same number of matches and
the same summed distance before anything is timed. Two sizes:

* a reading: ``--cases`` cases x ``--readers`` readers compared pairwise (every pair of readers on every
  case), about 10 markers per reader and case;
* one dense case: ``--markers`` reference markers scattered in a 200 mm cube, a reader's markers the
  reference's jittered by 1.5 mm (SD), 10 % missed and 10 % extra.

The data are deterministic (seeded).

    .venv/bin/python benchmarks/markers.py                         # 500 cases x 10 readers; 2,000 markers
    .venv/bin/python benchmarks/markers.py --cases 20 --markers 200  # seconds (smoke size)
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence
from itertools import combinations
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from nora.reading.analysis.markers import Marker, match_markers

TOLERANCE = 5.0
Points = npt.NDArray[np.float64]


def dense(a: Points, b: Points, tolerance: float) -> tuple[int, float]:
    """The baseline: one assignment on the whole distance matrix; (matches, summed distance)."""
    if not len(a) or not len(b):
        return 0, 0.0
    d = np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2)
    inside = d <= tolerance
    r, c = linear_sum_assignment(np.where(inside, d, tolerance * min(len(a), len(b)) + 1.0))
    keep = inside[r, c]
    return int(keep.sum()), float(d[r, c][keep].sum())


def ours(a: Sequence[Marker], b: Sequence[Marker]) -> tuple[int, float]:
    matches = match_markers(a, b, tolerance=TOLERANCE)
    return len(matches), sum(m.distance_mm for m in matches)


def as_markers(points: Points) -> list[Marker]:
    return [Marker("", float(x), float(y), float(z)) for x, y, z in points]


def reader_of(rng: np.random.Generator, truth: Points, extent: float) -> Points:
    found = truth[rng.random(len(truth)) > 0.1]
    found = found + rng.normal(scale=1.5, size=found.shape)
    extra = rng.uniform(0, extent, size=(max(1, len(truth) // 10), 3))
    return np.vstack([found, extra])


def reading(cases: int, readers: int) -> list[list[Points]]:
    rng = np.random.default_rng(11)
    out = []
    for _ in range(cases):
        truth = rng.uniform(0, 150, size=(int(rng.integers(5, 15)), 3))
        out.append([reader_of(rng, truth, 150) for _ in range(readers)])
    return out


def timed(fn: Callable[[], Any], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def check(pairs: list[tuple[Points, Points]], marked: list[tuple[list[Marker], list[Marker]]]) -> None:
    for (a, b), (ma, mb) in zip(pairs, marked, strict=True):
        k, s = ours(ma, mb)
        k0, s0 = dense(a, b, TOLERANCE)
        if k != k0 or abs(s - s0) > 1e-6 * max(1.0, s0):
            raise SystemExit(f"ours and the baseline disagree: {k} matches / {s:.6f} mm against {k0} / {s0:.6f}")


def run(name: str, pairs: list[tuple[Points, Points]], repeats: int) -> None:
    marked = [(as_markers(a), as_markers(b)) for a, b in pairs]
    check(pairs, marked)
    t_ours = timed(lambda: [ours(a, b) for a, b in marked], repeats)
    t_base = timed(lambda: [dense(a, b, TOLERANCE) for a, b in pairs], repeats)
    print(f"{name}: ours {t_ours:.3f} s, dense Hungarian {t_base:.3f} s, ours/baseline {t_ours / t_base:.2f}x")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", type=int, default=500)
    p.add_argument("--readers", type=int, default=10)
    p.add_argument("--markers", type=int, default=2000)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}; tolerance {TOLERANCE} mm")
    sets = reading(args.cases, args.readers)
    pairs = [(case[i], case[j]) for case in sets for i, j in combinations(range(args.readers), 2)]
    run(f"reading, {args.cases} cases x {len(pairs) // max(1, args.cases)} reader pairs", pairs, args.repeats)
    rng = np.random.default_rng(5)
    truth = rng.uniform(0, 200, size=(args.markers, 3))
    run(f"one case, {args.markers} reference markers", [(truth, reader_of(rng, truth, 200))], args.repeats)


if __name__ == "__main__":
    main()
