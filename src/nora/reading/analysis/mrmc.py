"""Obuchowski-Rockette MRMC analysis of reader AUCs with Hillis' denominator degrees of freedom.

Input: ``ratings`` of shape (arms, readers, cases) for a factorial design (every reader reads every case
in every arm) and one 0/1 truth per case. Output: an :class:`MrmcResult` with the AUC of every reader and
arm, the OR covariance estimates (jackknife or DeLong), and three analyses:

* random readers and random cases (Obuchowski & Rockette 1995 with Hillis 2007's ``ddf_H``);
* fixed readers, random cases (chi-square and z tests; per-reader differences);
* random readers, fixed cases (the conventional arm x reader ANOVA of the AUCs).

The formulas are those of Hillis, Obuchowski, Schartz & Berbaum (2005), Hillis (2007) and Hillis, Berbaum
& Metz (2008), as printed by the OR-DBM MRMC software; docs/reading-analysis.md lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

from nora.core.errors import InvalidInput
from nora.reading.analysis import roc

Floats = npt.NDArray[np.float64]
CovarianceMethod = Literal["jackknife", "delong"]
COVARIANCE_METHODS: tuple[CovarianceMethod, ...] = ("jackknife", "delong")


@dataclass(frozen=True)
class Covariances:
    """OR error variance and covariances, averaged over the pairs of readings of each kind."""

    var: float  # same reader, same arm
    cov1: float  # same reader, different arms
    cov2: float  # different readers, same arm
    cov3: float  # different readers, different arms
    var_by_arm: tuple[float, ...]
    cov2_by_arm: tuple[float, ...]
    matrix: Floats  # (arms * readers) square, arm-major


@dataclass(frozen=True)
class Estimate:
    """One estimate (a difference or an AUC) with its standard error, degrees of freedom and 95% CI."""

    label: str
    estimate: float
    se: float
    df: float | None  # None: normal (z) reference distribution
    ci_low: float
    ci_high: float
    statistic: float  # t or z
    p: float


@dataclass(frozen=True)
class GlobalTest:
    """The test of equal arm AUCs: F (or chi-square when ``df2`` is None)."""

    statistic: float
    df1: float
    df2: float | None
    p: float


@dataclass(frozen=True)
class Analysis:
    """One of the three OR analyses."""

    name: Literal["random readers, random cases", "fixed readers, random cases", "random readers, fixed cases"]
    test: GlobalTest | None
    differences: tuple[Estimate, ...]
    arms: tuple[Estimate, ...]
    reader_differences: tuple[Estimate, ...] = ()


@dataclass(frozen=True)
class MrmcResult:
    arms: tuple[str, ...]
    readers: tuple[str, ...]
    n_normal: int
    n_diseased: int
    covariance: CovarianceMethod
    auc: Floats  # (arms, readers)
    ms_t: float | None
    ms_r: float | None
    ms_tr: float | None
    ms_r_by_arm: tuple[float, ...]
    covariances: Covariances
    var_r: float | None
    var_tr: float | None
    analyses: tuple[Analysis, ...]

    @property
    def arm_means(self) -> Floats:
        return np.asarray(self.auc.mean(axis=1), dtype=np.float64)


def _pair_means(m: Floats, t: int, r: int) -> tuple[float, float, float, float]:
    """Mean variance and Cov1/Cov2/Cov3 of an arm-major (t*r) covariance matrix."""
    c = m.reshape(t, r, t, r)
    same_reader = np.eye(r, dtype=bool)[None, :, None, :]
    same_arm = np.eye(t, dtype=bool)[:, None, :, None]
    kinds = np.broadcast_to(same_reader, c.shape), np.broadcast_to(same_arm, c.shape)

    def mean(mask: npt.NDArray[np.bool_]) -> float:
        return float(c[mask].mean()) if mask.any() else float("nan")

    sr, sa = kinds
    return mean(sr & sa), mean(sr & ~sa), mean(~sr & sa), mean(~sr & ~sa)


def covariances(ratings: Floats, truth: npt.ArrayLike, method: CovarianceMethod) -> Covariances:
    """The OR error covariance estimates of the reader AUCs by jackknife or by DeLong."""
    t, r, _ = ratings.shape
    p = roc.placements(ratings, truth)
    matrix = roc.jackknife_covariance(p) if method == "jackknife" else roc.delong_covariance(p)
    var, cov1, cov2, cov3 = _pair_means(matrix, t, r)
    by_arm = [_pair_means(matrix.reshape(t, r, t, r)[i, :, i, :], 1, r) for i in range(t)]
    return Covariances(
        var=var,
        cov1=cov1,
        cov2=cov2,
        cov3=cov3,
        var_by_arm=tuple(b[0] for b in by_arm),
        cov2_by_arm=tuple(b[2] for b in by_arm),
        matrix=matrix,
    )


#: single-arm AUCs are tested against chance (AUC 0.5), differences against 0
CHANCE = 0.5


def _t_estimate(label: str, value: float, se: float, df: float, null: float = 0.0) -> Estimate:
    half = float(stats.t.ppf(0.975, df)) * se
    stat = (value - null) / se if se > 0 else float("nan")
    p = float(2 * stats.t.sf(abs(stat), df)) if se > 0 else float("nan")
    return Estimate(label, value, se, df, value - half, value + half, stat, p)


def _z_estimate(label: str, value: float, se: float, null: float = 0.0) -> Estimate:
    half = float(stats.norm.ppf(0.975)) * se
    stat = (value - null) / se if se > 0 else float("nan")
    p = float(2 * stats.norm.sf(abs(stat))) if se > 0 else float("nan")
    return Estimate(label, value, se, None, value - half, value + half, stat, p)


def _ratio(num: float, den: float) -> float:
    """``num / den``, infinite (or NaN for 0/0) where the denominator vanishes (arms that agree exactly)."""
    if den > 0:
        return num / den
    return float("inf") if num > 0 else float("nan")


def _pairs(arms: tuple[str, ...]) -> list[tuple[int, int]]:
    return list(combinations(range(len(arms)), 2))


def analyse(
    ratings: npt.ArrayLike,
    truth: npt.ArrayLike,
    *,
    arms: tuple[str, ...] | None = None,
    readers: tuple[str, ...] | None = None,
    covariance: CovarianceMethod = "jackknife",
) -> MrmcResult:
    """The OR/Hillis analysis of ``ratings`` (arms x readers x cases) against ``truth`` (one 0/1 per case)."""
    x = np.asarray(ratings, dtype=np.float64)
    if x.ndim != 3:
        raise InvalidInput(f"MRMC ratings must be arms x readers x cases, got shape {list(x.shape)}")
    if covariance not in COVARIANCE_METHODS:
        raise InvalidInput(f"unknown covariance method {covariance!r}: use jackknife or delong")
    t, r, _ = x.shape
    arm_names = arms or tuple(str(i) for i in range(t))
    reader_names = readers or tuple(str(j) for j in range(r))
    if len(arm_names) != t or len(reader_names) != r:
        raise InvalidInput("the arm and reader names do not match the shape of the ratings")
    truth_arr = np.asarray(truth)
    aucs = roc.auc(x, truth_arr)
    cov = covariances(x, truth_arr, covariance)
    arm_means, reader_means, grand = aucs.mean(axis=1), aucs.mean(axis=0), float(aucs.mean())
    ms_t = r * float(((arm_means - grand) ** 2).sum()) / (t - 1) if t > 1 else None
    ms_r = t * float(((reader_means - grand) ** 2).sum()) / (r - 1) if r > 1 else None
    resid = aucs - arm_means[:, None] - reader_means[None, :] + grand
    ms_tr = float((resid**2).sum()) / ((t - 1) * (r - 1)) if t > 1 and r > 1 else None
    ms_r_by_arm = tuple(float(aucs[i].var(ddof=1)) if r > 1 else float("nan") for i in range(t))
    var_tr = var_r = None
    if ms_tr is not None and ms_r is not None:
        var_tr = ms_tr - cov.var + cov.cov1 + cov.cov2 - cov.cov3
        var_r = (ms_r - var_tr - cov.var - (t - 1) * cov.cov1 + cov.cov2 + (t - 1) * cov.cov3) / t
    analyses = (
        _random_random(aucs, arm_names, cov, ms_t, ms_tr, ms_r_by_arm),
        _fixed_readers(aucs, arm_names, reader_names, cov, ms_t),
        _fixed_cases(aucs, arm_names, ms_t, ms_tr, ms_r_by_arm),
    )
    return MrmcResult(
        arms=arm_names,
        readers=reader_names,
        n_normal=int((truth_arr == 0).sum()),
        n_diseased=int((truth_arr == 1).sum()),
        covariance=covariance,
        auc=aucs,
        ms_t=ms_t,
        ms_r=ms_r,
        ms_tr=ms_tr,
        ms_r_by_arm=ms_r_by_arm,
        covariances=cov,
        var_r=var_r,
        var_tr=var_tr,
        analyses=analyses,
    )


def _random_random(
    aucs: Floats,
    arms: tuple[str, ...],
    cov: Covariances,
    ms_t: float | None,
    ms_tr: float | None,
    ms_r_by_arm: tuple[float, ...],
) -> Analysis:
    t, r = aucs.shape
    name: Literal["random readers, random cases"] = "random readers, random cases"
    singles: list[Estimate] = []
    if r > 1:
        for i in range(t):
            denom = ms_r_by_arm[i] + r * max(cov.cov2_by_arm[i], 0.0)
            df = denom**2 / (ms_r_by_arm[i] ** 2 / (r - 1)) if ms_r_by_arm[i] > 0 else float("inf")
            singles.append(_t_estimate(arms[i], float(aucs[i].mean()), float(np.sqrt(denom / r)), df, CHANCE))
    if ms_t is None or ms_tr is None:
        return Analysis(name, None, (), tuple(singles))
    denom = ms_tr + r * max(cov.cov2 - cov.cov3, 0.0)
    ddf = denom**2 / (ms_tr**2 / ((t - 1) * (r - 1))) if ms_tr > 0 else float("inf")
    f = _ratio(ms_t, denom)
    test = GlobalTest(f, t - 1, ddf, float(stats.f.sf(f, t - 1, ddf)))
    se = float(np.sqrt(max(2 / r * denom, 0.0)))
    diffs = tuple(
        _t_estimate(f"{arms[a]} - {arms[b]}", float(aucs[a].mean() - aucs[b].mean()), se, ddf) for a, b in _pairs(arms)
    )
    return Analysis(name, test, diffs, tuple(singles))


def _fixed_readers(
    aucs: Floats, arms: tuple[str, ...], readers: tuple[str, ...], cov: Covariances, ms_t: float | None
) -> Analysis:
    t, r = aucs.shape
    singles = tuple(
        _z_estimate(
            arms[i],
            float(aucs[i].mean()),
            float(np.sqrt((cov.var_by_arm[i] + (r - 1) * max(cov.cov2_by_arm[i], 0.0)) / r))
            if r > 1
            else float(np.sqrt(cov.var_by_arm[i])),
        )
        for i in range(t)
    )
    if ms_t is None:
        return Analysis("fixed readers, random cases", None, (), singles)
    denom = cov.var - cov.cov1 + (r - 1) * max(cov.cov2 - cov.cov3, 0.0) if r > 1 else cov.var - cov.cov1
    x2 = _ratio((t - 1) * ms_t, denom)
    test = GlobalTest(x2, t - 1, None, float(stats.chi2.sf(x2, t - 1)))
    se = float(np.sqrt(max(2 / r * denom, 0.0)))
    diffs = tuple(
        _z_estimate(f"{arms[a]} - {arms[b]}", float(aucs[a].mean() - aucs[b].mean()), se) for a, b in _pairs(arms)
    )
    m = cov.matrix.reshape(t, r, t, r)
    per_reader = tuple(
        _z_estimate(
            f"{readers[j]}: {arms[a]} - {arms[b]}",
            float(aucs[a, j] - aucs[b, j]),
            float(np.sqrt(max(m[a, j, a, j] + m[b, j, b, j] - 2 * m[a, j, b, j], 0.0))),
        )
        for j in range(r)
        for a, b in _pairs(arms)
    )
    return Analysis("fixed readers, random cases", test, diffs, singles, per_reader)


def _fixed_cases(
    aucs: Floats, arms: tuple[str, ...], ms_t: float | None, ms_tr: float | None, ms_r_by_arm: tuple[float, ...]
) -> Analysis:
    t, r = aucs.shape
    name: Literal["random readers, fixed cases"] = "random readers, fixed cases"
    if r < 2:
        return Analysis(name, None, (), ())
    singles = tuple(
        _t_estimate(arms[i], float(aucs[i].mean()), float(np.sqrt(ms_r_by_arm[i] / r)), r - 1, CHANCE) for i in range(t)
    )
    if ms_t is None or ms_tr is None:
        return Analysis(name, None, (), singles)
    df = (t - 1) * (r - 1)
    f = _ratio(ms_t, ms_tr)
    test = GlobalTest(f, t - 1, df, float(stats.f.sf(f, t - 1, df)))
    se = float(np.sqrt(2 / r * ms_tr))
    diffs = tuple(
        _t_estimate(f"{arms[a]} - {arms[b]}", float(aucs[a].mean() - aucs[b].mean()), se, df) for a, b in _pairs(arms)
    )
    return Analysis(name, test, diffs, singles)
