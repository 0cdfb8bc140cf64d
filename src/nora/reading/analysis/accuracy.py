"""Accuracy against a reference: sensitivity and specificity (Wilson 95% CIs) and the AUC of one reading.

A reading's calls are positive/negative per case; its ratings are numbers (higher: more likely
positive). The AUC's CI uses DeLong's variance; the Wilson score interval (Wilson 1927) keeps a
proportion's CI inside [0, 1] also at 0 or 100 %.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import stats

from nora.reading.analysis import roc
from nora.reading.analysis.schemas import EstimateOut, Proportion

Z975 = float(stats.norm.ppf(0.975))


def proportion(successes: int, total: int) -> Proportion | None:
    """``successes / total`` with its Wilson score 95% interval; None when ``total`` is 0."""
    if total == 0:
        return None
    p = successes / total
    centre = (p + Z975**2 / (2 * total)) / (1 + Z975**2 / total)
    half = Z975 * math.sqrt(p * (1 - p) / total + Z975**2 / (4 * total**2)) / (1 + Z975**2 / total)
    return Proportion(
        count=successes, total=total, value=p, ci_low=max(0.0, centre - half), ci_high=min(1.0, centre + half)
    )


def sensitivity_specificity(calls: npt.ArrayLike, truth: npt.ArrayLike) -> tuple[Proportion | None, Proportion | None]:
    """Sensitivity (positive calls among truth 1) and specificity (negative calls among truth 0)."""
    c, t = np.asarray(calls, dtype=bool), np.asarray(truth, dtype=bool)
    return proportion(int((c & t).sum()), int(t.sum())), proportion(int((~c & ~t).sum()), int((~t).sum()))


def auc_estimate(label: str, ratings: npt.ArrayLike, truth: npt.ArrayLike) -> EstimateOut | None:
    """The empirical AUC of one reading with DeLong's SE and a normal 95% CI (clipped to [0, 1]); None
    without both classes."""
    t = np.asarray(truth)
    if t.size == 0 or t.all() or not t.any():
        return None
    p = roc.placements(np.asarray(ratings, dtype=np.float64)[None, :], t)
    value = float(p.auc[0])
    se = float(np.sqrt(roc.delong_covariance(p)[0, 0])) if min(p.v10.shape[-1], p.v01.shape[-1]) > 1 else None
    if se is None or se == 0:
        return EstimateOut(
            label=label, estimate=value, se=se, df=None, ci_low=None, ci_high=None, statistic=None, p=None
        )
    z = (value - 0.5) / se
    return EstimateOut(
        label=label,
        estimate=value,
        se=se,
        df=None,
        ci_low=max(0.0, value - Z975 * se),
        ci_high=min(1.0, value + Z975 * se),
        statistic=z,
        p=float(2 * stats.norm.sf(abs(z))),
    )
