"""Empirical ROC: the Wilcoxon AUC, its placement values, DeLong and jackknife covariances, curve points.

Everything works on a stack of readings at once: ``ratings`` has shape ``(..., n_cases)`` (for example
arms x readers x cases) and ``truth`` one 0/1 value per case, the same for every reading. Higher ratings
mean "more likely diseased"; ties count one half (the trapezoidal area under the empirical curve equals the
Mann-Whitney U statistic divided by ``n0 * n1``).

The placement values (DeLong, DeLong & Clarke-Pearson 1988) are computed by sorting and binary search, so
one reading of ``n`` cases costs ``O(n log n)``; the jackknife AUCs (each case left out once) follow from
the same placement values without recomputing an AUC per case.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nora.core.errors import InvalidInput

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Placements:
    """The placement values of a stack of readings (Hanley & Hajian-Tilaki 1997; DeLong et al. 1988).

    ``v10[..., j]``: the fraction of normal cases rated below diseased case ``j`` (ties one half);
    ``v01[..., i]``: the fraction of diseased cases rated above normal case ``i``. Both means are the AUC.
    """

    v10: Floats
    v01: Floats

    @property
    def auc(self) -> Floats:
        return np.asarray(self.v10.mean(axis=-1), dtype=np.float64)


def _split(ratings: npt.ArrayLike, truth: npt.ArrayLike) -> tuple[Floats, Floats]:
    r = np.asarray(ratings, dtype=np.float64)
    t = np.asarray(truth)
    if t.ndim != 1 or r.shape[-1:] != t.shape:
        raise InvalidInput(f"ratings of shape {list(r.shape)} do not match {t.size} truth values")
    if not np.all(np.isin(t, (0, 1))):
        raise InvalidInput("truth must be 0 (normal) or 1 (diseased) for every case")
    if not np.all(np.isfinite(r)):
        raise InvalidInput("every rating must be a finite number")
    diseased = t.astype(bool)
    if diseased.all() or not diseased.any():
        raise InvalidInput("an ROC analysis needs normal (truth 0) and diseased (truth 1) cases")
    return r[..., ~diseased], r[..., diseased]


def _below(sorted_ref: Floats, values: Floats) -> Floats:
    """For each row: how many of ``sorted_ref`` lie below each value, ties counted one half."""
    flat_ref = sorted_ref.reshape(-1, sorted_ref.shape[-1])
    flat_val = values.reshape(-1, values.shape[-1])
    out = np.empty(flat_val.shape, dtype=np.float64)
    for row in range(flat_ref.shape[0]):  # one searchsorted per reading, vectorised over its cases
        left = np.searchsorted(flat_ref[row], flat_val[row], side="left")
        right = np.searchsorted(flat_ref[row], flat_val[row], side="right")
        out[row] = left + 0.5 * (right - left)
    return out.reshape(values.shape)


def placements(ratings: npt.ArrayLike, truth: npt.ArrayLike) -> Placements:
    """The placement values of every reading in ``ratings`` (shape ``(..., n_cases)``)."""
    normal, diseased = _split(ratings, truth)
    n0, n1 = normal.shape[-1], diseased.shape[-1]
    v10 = _below(np.sort(normal, axis=-1), diseased) / n0
    v01 = 1.0 - _below(np.sort(diseased, axis=-1), normal) / n1
    return Placements(v10=v10, v01=v01)


def auc(ratings: npt.ArrayLike, truth: npt.ArrayLike) -> Floats:
    """The empirical (trapezoidal, Wilcoxon) area under the ROC curve of every reading."""
    return placements(ratings, truth).auc


def delong_covariance(p: Placements) -> Floats:
    """DeLong's covariance matrix of the AUCs of the flattened readings: ``S10 / n1 + S01 / n0``."""
    if min(p.v01.shape[-1], p.v10.shape[-1]) < 2:
        raise InvalidInput("DeLong's covariance needs at least two normal and two diseased cases")
    v10 = p.v10.reshape(-1, p.v10.shape[-1])
    v01 = p.v01.reshape(-1, p.v01.shape[-1])
    s10 = np.atleast_2d(np.cov(v10, ddof=1))
    s01 = np.atleast_2d(np.cov(v01, ddof=1))
    return np.asarray(s10 / v10.shape[1] + s01 / v01.shape[1], dtype=np.float64)


def jackknife_aucs(p: Placements) -> Floats:
    """The AUC of every reading with each case left out once: shape ``(..., n0 + n1)``, normal cases first.

    Leaving out normal case ``i`` removes its column from the Wilcoxon kernel, whose sum is ``n1 * n0 * v01_i``
    over the diseased cases; leaving out diseased case ``j`` removes ``n0 * v10_j``.
    """
    n0, n1 = p.v01.shape[-1], p.v10.shape[-1]
    total = p.auc[..., None] * (n0 * n1)
    without_normal = (total - n1 * p.v01) / (n1 * (n0 - 1)) if n0 > 1 else np.full(p.v01.shape, np.nan)
    without_diseased = (total - n0 * p.v10) / ((n1 - 1) * n0) if n1 > 1 else np.full(p.v10.shape, np.nan)
    return np.concatenate([without_normal, without_diseased], axis=-1)


def jackknife_covariance(p: Placements) -> Floats:
    """The jackknife covariance matrix of the AUCs of the flattened readings: ``(n-1)/n * sum (a_k - a.)(b_k - b.)``."""
    if min(p.v01.shape[-1], p.v10.shape[-1]) < 2:
        raise InvalidInput("the jackknife needs at least two normal and two diseased cases")
    pseudo = jackknife_aucs(p).reshape(-1, p.v01.shape[-1] + p.v10.shape[-1])
    n = pseudo.shape[1]
    centred = pseudo - pseudo.mean(axis=1, keepdims=True)
    return np.asarray((n - 1) / n * (centred @ centred.T), dtype=np.float64)


def roc_points(ratings: npt.ArrayLike, truth: npt.ArrayLike) -> tuple[Floats, Floats, Floats]:
    """The empirical ROC curve of one reading: (false-positive rates, true-positive rates, thresholds).

    One point per distinct rating, from the strictest threshold (0, 0) to (1, 1); a case is called positive
    when its rating is at least the threshold.
    """
    normal, diseased = _split(ratings, truth)
    if normal.ndim != 1:
        raise InvalidInput("roc_points takes the ratings of one reading")
    thresholds = np.unique(np.concatenate([normal, diseased]))[::-1]
    fpr = 1.0 - np.searchsorted(np.sort(normal), thresholds, side="left") / normal.size
    tpr = 1.0 - np.searchsorted(np.sort(diseased), thresholds, side="left") / diseased.size
    return (
        np.concatenate([[0.0], fpr]),
        np.concatenate([[0.0], tpr]),
        np.concatenate([[np.inf], thresholds]),
    )
