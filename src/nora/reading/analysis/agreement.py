"""Agreement between raters: Cohen's (weighted) kappa, Fleiss' kappa and ICC(2,1), each with a 95% CI.

* Cohen's kappa (1960) and weighted kappa (Cohen 1968) with linear or quadratic agreement weights; the large-
  sample standard error of Fleiss, Cohen & Everitt (1969), the same formula for both (identity weights give
  the unweighted one), and their variance under kappa = 0 for the p value.
* Fleiss' kappa (1971) for any number of raters; the CI from the jackknife over subjects, the test of
  kappa = 0 from the null variance of Fleiss, Nee & Landis (1979).
* ICC(2,1): two-way random effects, absolute agreement, single rater (Shrout & Fleiss 1979, McGraw & Wong
  1996 "ICC(A,1)"), with McGraw & Wong's F-based 95% CI.

Inputs are plain sequences; categories are any hashable values (for weighted kappa their order is that of
``categories``). The functions only compute; :mod:`nora.reading.analysis.study` decides which applies.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

from nora.core.errors import InvalidInput
from nora.reading.analysis.schemas import AgreementOut, finite

Weights = Literal["none", "linear", "quadratic"]
Z975 = float(stats.norm.ppf(0.975))


def _levels(values: Sequence[Hashable], categories: Sequence[Hashable] | None) -> list[Hashable]:
    if categories is not None:
        unknown = sorted({str(v) for v in values} - {str(c) for c in categories})
        if unknown:
            raise InvalidInput(f"values {', '.join(unknown)} are not among the categories")
        return list(categories)
    return sorted(set(values), key=str)


def weight_matrix(k: int, weights: Weights) -> npt.NDArray[np.float64]:
    """Agreement weights of ``k`` ordered categories: 1 on the diagonal, 0 at the farthest pair."""
    i, j = np.indices((k, k))
    if weights == "none" or k < 2:
        return np.asarray(i == j, dtype=np.float64)
    distance = np.abs(i - j) / (k - 1)
    return np.asarray(1 - distance if weights == "linear" else 1 - distance**2, dtype=np.float64)


def cohen_kappa(
    a: Sequence[Hashable],
    b: Sequence[Hashable],
    *,
    categories: Sequence[Hashable] | None = None,
    weights: Weights = "none",
    raters: tuple[str, str] = ("a", "b"),
) -> AgreementOut:
    """Cohen's kappa (``weights="none"``) or weighted kappa of two raters' paired ratings."""
    if len(a) != len(b):
        raise InvalidInput(f"the two raters have {len(a)} and {len(b)} ratings: kappa needs pairs")
    n = len(a)
    measure = "cohen kappa" if weights == "none" else f"weighted kappa ({weights})"
    if n == 0:
        return AgreementOut.empty(measure, list(raters))
    levels = _levels([*a, *b], categories)
    index = {str(c): i for i, c in enumerate(levels)}
    k = len(levels)
    table = np.zeros((k, k))
    np.add.at(table, ([index[str(v)] for v in a], [index[str(v)] for v in b]), 1)
    p = table / n
    w = weight_matrix(k, weights)
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    po, pe = float((w * p).sum()), float((w * np.outer(rows, cols)).sum())
    if pe >= 1:  # both raters used one and the same category: agreement is perfect but kappa undefined
        return AgreementOut(measure=measure, raters=list(raters), n=n, value=None, observed=po, expected=pe)
    kappa = (po - pe) / (1 - pe)
    wi, wj = w @ cols, rows @ w  # weighted marginal means per row and per column
    spread = (p * (w - (wi[:, None] + wj[None, :]) * (1 - kappa)) ** 2).sum()
    var = (spread - (kappa - pe * (1 - kappa)) ** 2) / (n * (1 - pe) ** 2)
    se = float(np.sqrt(max(var, 0.0)))
    # the variance under kappa = 0 (Fleiss, Cohen & Everitt 1969) for the test of no agreement beyond chance
    marg = np.outer(rows, cols)
    var0 = ((marg * (w - (wi[:, None] + wj[None, :])) ** 2).sum() - pe**2) / (n * (1 - pe) ** 2)
    p_value = float(2 * stats.norm.sf(abs(kappa) / np.sqrt(var0))) if var0 > 0 else None
    return AgreementOut(
        measure=measure,
        raters=list(raters),
        n=n,
        value=kappa,
        se=se,
        ci_low=kappa - Z975 * se,
        ci_high=kappa + Z975 * se,
        p=p_value,
        observed=po,
        expected=pe,
    )


def _fleiss(counts: npt.NDArray[np.float64]) -> tuple[float, float, float]:
    """(kappa, mean observed agreement, chance agreement) from subject x category counts."""
    m = counts.sum(axis=1)[0]
    pj = counts.sum(axis=0) / counts.sum()
    pi = ((counts * (counts - 1)).sum(axis=1)) / (m * (m - 1))
    p_bar, pe = float(pi.mean()), float((pj**2).sum())
    return ((p_bar - pe) / (1 - pe) if pe < 1 else float("nan")), p_bar, pe


def fleiss_kappa(ratings: Sequence[Sequence[Hashable]], *, raters: Sequence[str] = ()) -> AgreementOut:
    """Fleiss' kappa of ``ratings[subject][rater]`` (every subject rated by the same number of raters)."""
    sizes = {len(r) for r in ratings}
    if len(sizes) > 1:
        raise InvalidInput("Fleiss' kappa needs the same number of ratings for every subject")
    n = len(ratings)
    if n == 0 or sizes == {0} or sizes == {1}:
        return AgreementOut.empty("fleiss kappa", list(raters))
    levels = _levels([v for r in ratings for v in r], None)
    index = {str(c): i for i, c in enumerate(levels)}
    counts = np.zeros((n, len(levels)))
    for s, row in enumerate(ratings):
        for v in row:
            counts[s, index[str(v)]] += 1
    return fleiss_from_counts(counts, raters=raters)


def fleiss_from_counts(counts: npt.ArrayLike, *, raters: Sequence[str] = ()) -> AgreementOut:
    """Fleiss' kappa from a subject x category table of how many raters chose each category."""
    c = np.asarray(counts, dtype=np.float64)
    n, m = c.shape[0], float(c.sum(axis=1)[0])
    if not np.allclose(c.sum(axis=1), m) or m < 2:
        raise InvalidInput("Fleiss' kappa needs the same number (at least two) of ratings for every subject")
    kappa, p_bar, pe = _fleiss(c)
    out = AgreementOut(
        measure="fleiss kappa", raters=list(raters), n=n, value=finite(kappa), observed=p_bar, expected=pe
    )
    if not np.isfinite(kappa) or n < 2:
        return out
    # the jackknife over subjects: leave each subject out once (vectorised over the subjects)
    totals, pair_sum = c.sum(axis=0), ((c * (c - 1)).sum(axis=1)) / (m * (m - 1))
    pj = (totals[None, :] - c) / ((n - 1) * m)
    pe_k = (pj**2).sum(axis=1)
    p_k = (pair_sum.sum() - pair_sum) / (n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        left_out = (p_k - pe_k) / (1 - pe_k)
    se = (
        float(np.sqrt((n - 1) / n * ((left_out - left_out.mean()) ** 2).sum()))
        if np.all(np.isfinite(left_out))
        else None
    )
    # Fleiss, Nee & Landis (1979): the variance of kappa when the true kappa is 0
    pq = totals / totals.sum() * (1 - totals / totals.sum())
    spq = float(pq.sum())
    var0 = 2 / (n * m * (m - 1)) * (spq**2 - float((pq * (1 - 2 * totals / totals.sum())).sum())) / spq**2
    z = kappa / np.sqrt(var0) if var0 > 0 else float("nan")
    return out.model_copy(
        update={
            "se": se,
            "ci_low": None if se is None else kappa - Z975 * se,
            "ci_high": None if se is None else kappa + Z975 * se,
            "p": finite(float(2 * stats.norm.sf(abs(z)))),
        }
    )


def icc_a1(values: npt.ArrayLike, *, raters: Sequence[str] = ()) -> AgreementOut:
    """ICC(2,1) of ``values[subject, rater]`` (complete): two-way random, absolute agreement, one rater."""
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 2 or not np.all(np.isfinite(x)):
        raise InvalidInput("the ICC needs a complete subjects x raters table of numbers")
    n, k = x.shape
    if n < 2 or k < 2:
        return AgreementOut.empty("icc(2,1)", list(raters))
    grand = x.mean()
    ms_rows = k * ((x.mean(axis=1) - grand) ** 2).sum() / (n - 1)
    ms_cols = n * ((x.mean(axis=0) - grand) ** 2).sum() / (k - 1)
    resid = x - x.mean(axis=1, keepdims=True) - x.mean(axis=0, keepdims=True) + grand
    ms_err = (resid**2).sum() / ((n - 1) * (k - 1))
    denom = ms_rows + (k - 1) * ms_err + k * (ms_cols - ms_err) / n
    if denom <= 0:
        return AgreementOut.empty("icc(2,1)", list(raters), n=n)
    icc = float((ms_rows - ms_err) / denom)
    low = high = None
    if ms_err > 0 and icc < 1:  # McGraw & Wong (1996), case 2A
        a = k * icc / (n * (1 - icc))
        b = 1 + k * icc * (n - 1) / (n * (1 - icc))
        v = (a * ms_cols + b * ms_err) ** 2 / ((a * ms_cols) ** 2 / (k - 1) + (b * ms_err) ** 2 / ((n - 1) * (k - 1)))
        f_hi, f_lo = float(stats.f.ppf(0.975, n - 1, v)), float(stats.f.ppf(0.975, v, n - 1))
        spread = k * ms_cols + (k * n - k - n) * ms_err
        low = float(n * (ms_rows - f_hi * ms_err) / (f_hi * spread + n * ms_rows))
        high = float(n * (f_lo * ms_rows - ms_err) / (spread + n * f_lo * ms_rows))
    f_stat = ms_rows / ms_err if ms_err > 0 else float("inf")
    p = float(stats.f.sf(f_stat, n - 1, (n - 1) * (k - 1))) if ms_err > 0 else 0.0
    return AgreementOut(
        measure="icc(2,1)",
        raters=list(raters),
        n=n,
        value=icc,
        ci_low=finite(low),
        ci_high=finite(high),
        p=p,
        mean_squares={"rows": float(ms_rows), "columns": float(ms_cols), "error": float(ms_err)},
    )
