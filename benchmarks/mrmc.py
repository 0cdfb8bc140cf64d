"""The MRMC ROC analysis of 10 readers x 2 arms x 1,000 cases (aim: under 2 s), against a naive loop.

Ours: ``nora.reading.analysis.mrmc.analyse`` (placement values by sorting; the jackknife AUCs from the
placement values; DeLong from the same), the whole Obuchowski-Rockette/Hillis analysis with both
covariance methods. Baseline, in the same run: the textbook jackknife, a Python loop over the cases that
leaves each one out and recomputes every reading's AUC with the pairwise Mann-Whitney kernel (numpy
broadcasting per AUC). Both must give the same covariance matrix before anything is timed. The data are
deterministic binormal ratings (half the cases diseased, correlated readers and arms).

    .venv/bin/python benchmarks/mrmc.py                       # 10 x 2 x 1000 (about a minute, the baseline)
    .venv/bin/python benchmarks/mrmc.py --cases 200 --repeats 2   # seconds (smoke size)
"""

from __future__ import annotations

import argparse
import time
import timeit
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from nora.reading.analysis import mrmc, ratings, reports, roc


def best(fn: Callable[[], Any], repeats: int) -> float:
    return min(timeit.repeat(fn, number=1, repeat=repeats))


def data(readers: int, arms: int, cases: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    rng = np.random.default_rng(7)
    truth = (np.arange(cases) % 2).astype(np.int64)
    case_effect = rng.normal(size=cases)
    arm_reader = rng.normal(scale=0.5, size=(arms, readers, cases))
    shift = 1.2 + 0.2 * np.arange(arms)[:, None, None]
    ratings = case_effect + arm_reader + shift * truth
    return np.round(ratings, 1), truth  # rounded: ties occur, as with rating scales


def naive_jackknife(ratings: npt.NDArray[np.float64], truth: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    flat = ratings.reshape(-1, ratings.shape[-1])
    n = flat.shape[1]

    def auc(x: npt.NDArray[np.float64], t: npt.NDArray[np.int64]) -> float:
        d, h = x[t == 1][:, None], x[t == 0][None, :]
        return float(((d > h) + 0.5 * (d == h)).mean())

    pseudo = np.empty((flat.shape[0], n))
    keep = np.ones(n, dtype=bool)
    for k in range(n):
        keep[k] = False
        for row in range(flat.shape[0]):
            pseudo[row, k] = auc(flat[row, keep], truth[keep])
        keep[k] = True
    centred = pseudo - pseudo.mean(axis=1, keepdims=True)
    return np.asarray((n - 1) / n * centred @ centred.T)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--readers", type=int, default=10)
    parser.add_argument("--arms", type=int, default=2)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    ratings_arr, truth = data(args.readers, args.arms, args.cases)
    # the baseline's answer first (once: it is the slow one), then ours must agree
    start = time.perf_counter()
    expected = naive_jackknife(ratings_arr, truth)
    baseline = time.perf_counter() - start
    ours = roc.jackknife_covariance(roc.placements(ratings_arr, truth))
    if not np.allclose(ours, expected, rtol=1e-9, atol=1e-15):
        raise SystemExit("the vectorised jackknife disagrees with the naive one")
    jack = best(lambda: mrmc.analyse(ratings_arr, truth, covariance="jackknife"), args.repeats)
    delong = best(lambda: mrmc.analyse(ratings_arr, truth, covariance="delong"), args.repeats)
    table = ratings.RatingTable(
        arms=tuple(f"arm{i}" for i in range(args.arms)),
        readers=tuple(f"r{j}" for j in range(args.readers)),
        cases=tuple(str(k) for k in range(args.cases)),
        ratings=ratings_arr,
        truth=truth,
    )
    report = best(lambda: reports.mrmc_report(table), args.repeats)
    cov_only = best(lambda: roc.jackknife_covariance(roc.placements(ratings_arr, truth)), args.repeats)
    print(f"{args.readers} readers x {args.arms} arms x {args.cases} cases (best of {args.repeats})")
    print(f"{'what':<46} {'ours s':>9} {'naive s':>9} {'x':>8}")
    print(f"{'jackknife covariance of the AUCs':<46} {cov_only:>9.4f} {baseline:>9.2f} {baseline / cov_only:>7.0f}x")
    print(f"{'whole OR/Hillis analysis, jackknife':<46} {jack:>9.4f} {baseline:>9.2f} {baseline / jack:>7.0f}x")
    print(f"{'whole OR/Hillis analysis, DeLong':<46} {delong:>9.4f} {'':>9} {'':>8}")
    print(f"{'the report with 20 ROC curves (CLI, page)':<46} {report:>9.4f} {'':>9} {'':>8}")
    print(f"aim: under 2 s: {'met' if max(jack, delong, report) < 2 else 'NOT met'}")


if __name__ == "__main__":
    main()
