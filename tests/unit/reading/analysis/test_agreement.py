"""Kappas and ICC against textbook examples and hand computations; Dice and HD95 on small masks."""

from __future__ import annotations

import numpy as np
import pytest

from nora.core.errors import InvalidInput
from nora.reading.analysis import agreement, masks


def test_cohen_kappa_of_the_textbook_two_by_two_with_its_standard_error() -> None:
    # 50 subjects: both yes 20, A yes/B no 5, A no/B yes 10, both no 15 -> p_o 0.7, p_e 0.5, kappa 0.4
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    k = agreement.cohen_kappa(a, b, raters=("A", "B"))
    assert (k.observed, k.expected, k.n) == (pytest.approx(0.7), pytest.approx(0.5), 50)
    assert k.value == pytest.approx(0.4)
    # Fleiss, Cohen & Everitt (1969), by hand: p = [[.4, .1], [.2, .3]], rows (.5, .5), columns (.6, .4):
    # .4(1-1.1*.6)^2 + .3(1-.9*.6)^2 + .1*1.1^2*.36 + .2*.9^2*.36 = .2116; minus (.4-.5*.6)^2 = .01;
    # over 50 * .5^2 -> variance .016128
    assert k.se == pytest.approx(np.sqrt(0.016128))
    # the null variance, by hand: sum p_i. p_.j (w_ij - w_i. - w_.j)^2 = .003 + .242 + .243 + .002 = .49,
    # minus p_e^2 = .25, over 12.5 -> .0192; z = .4 / sqrt(.0192) = 2.8868, two-sided p = 0.00389
    assert round(k.p or 0, 5) == 0.00389
    assert k.ci_low == pytest.approx(0.4 - 1.959964 * k.se) and k.ci_high == pytest.approx(0.4 + 1.959964 * k.se)


def test_weighted_kappa_by_hand_and_the_quadratic_identity() -> None:
    # a = 1 2 3, b = 1 3 3 with linear weights 1, .5, 0: p_o = 2.5/3, p_e = .5 -> kappa_w = 2/3
    k = agreement.cohen_kappa([1, 2, 3], [1, 3, 3], categories=[1, 2, 3], weights="linear")
    assert k.value == pytest.approx(2 / 3) and k.measure == "weighted kappa (linear)"
    # quadratic weighted kappa equals 2 cov(x, y) / (var x + var y + (mean x - mean y)^2) (Fleiss & Cohen 1973)
    rng = np.random.default_rng(1)
    x = rng.integers(0, 5, 60)
    y = np.clip(x + rng.integers(-1, 2, 60), 0, 4)
    q = agreement.cohen_kappa(list(x), list(y), categories=list(range(5)), weights="quadratic")
    expected = 2 * np.cov(x, y, ddof=0)[0, 1] / (x.var() + y.var() + (x.mean() - y.mean()) ** 2)
    assert q.value == pytest.approx(expected)
    # identity weights are the unweighted kappa; perfect agreement on one category is undefined, not 1
    assert agreement.cohen_kappa(list(x), list(y), weights="none").value == pytest.approx(
        agreement.cohen_kappa([str(v) for v in x], [str(v) for v in y]).value
    )
    assert agreement.cohen_kappa(["a", "a"], ["a", "a"]).value is None
    with pytest.raises(InvalidInput, match="pairs"):
        agreement.cohen_kappa([1, 2], [1])
    with pytest.raises(InvalidInput, match="not among the categories"):
        agreement.cohen_kappa([1, 9], [1, 2], categories=[1, 2, 3], weights="linear")


def test_fleiss_kappa_of_the_textbook_table_and_a_published_test() -> None:
    # the 10 subjects x 14 raters x 5 categories example (Fleiss 1971 style, as in the kappa literature):
    # P-bar 0.378, P-e 0.213, kappa 0.210
    counts = [
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ]  # fmt: skip
    k = agreement.fleiss_from_counts(counts)
    assert round(k.observed or 0, 3) == 0.378 and round(k.expected or 0, 3) == 0.213 and round(k.value or 0, 3) == 0.210
    assert k.ci_low is not None and k.ci_high is not None and k.ci_low < k.value < k.ci_high  # type: ignore[operator]
    # R package irr, kappam.fleiss on 4 subjects x 3 raters (A,B,A,C / A,B,B,C / A,B,A,C) prints
    # "Kappa = 0.745, z = 3.61, p-value = 0.000308" (z from the null variance of Fleiss, Nee & Landis 1979)
    r = agreement.fleiss_kappa(list(zip("ABAC", "ABBC", "ABAC", strict=True)), raters=["1", "2", "3"])
    assert round(r.value or 0, 3) == 0.745 and round(r.p or 0, 6) == 0.000308
    # the jackknife SE by its definition (each subject left out)
    left = [agreement.fleiss_from_counts([c for j, c in enumerate(counts) if j != i]).value for i in range(10)]
    jack = np.sqrt(9 / 10 * ((np.array(left) - np.mean(left)) ** 2).sum())
    assert k.se == pytest.approx(jack)
    with pytest.raises(InvalidInput, match="same number"):
        agreement.fleiss_kappa([["a", "b"], ["a"]])


def test_icc_of_shrout_and_fleiss_1979() -> None:
    # Shrout & Fleiss (1979), Table 2: 6 targets x 4 judges; BMS 11.24, JMS 32.49, EMS 1.02; ICC(2,1) .29
    x = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    icc = agreement.icc_a1(x)
    assert icc.mean_squares is not None
    assert [round(icc.mean_squares[k], 2) for k in ("rows", "columns", "error")] == [11.24, 32.49, 1.02]
    assert round(icc.value or 0, 2) == 0.29
    # the F test of rows (BMS/EMS = 11.03 on 5 and 15 df); the CI is McGraw & Wong's (1996) for ICC(A,1),
    # its figures here from our implementation of that formula (no stored published printout to compare)
    assert icc.ci_low is not None and icc.ci_high is not None
    assert round(icc.ci_low, 3) == 0.019 and round(icc.ci_high, 2) == 0.76 and round(icc.p or 0, 5) == 0.00013
    # perfect agreement: 1 without a CI; a constant table: undefined
    assert agreement.icc_a1([[1, 1], [2, 2], [3, 3]]).value == 1.0
    assert agreement.icc_a1([[1, 1], [1, 1]]).value is None
    with pytest.raises(InvalidInput, match="complete"):
        agreement.icc_a1([[1, np.nan], [2, 2]])


def test_dice_and_hd95_in_world_millimetres() -> None:
    a = np.zeros((12, 12, 12), dtype=bool)
    a[2:7, 2:7, 2:7] = True
    b = np.zeros_like(a)
    b[2:7, 2:7, 4:9] = True  # shifted two voxels along k: overlap 3 of 5 slices
    anisotropic = np.diag([1.0, 1.0, 2.5, 1.0])
    d, h = masks.mask_agreement(a, anisotropic, b, anisotropic, raters=("r1", "r2"))
    assert d.value == pytest.approx(0.6) and d.raters == ["r1", "r2"]
    assert h.value == pytest.approx(5.0)  # 2 voxels x 2.5 mm: the farthest surface points, above the 95th percentile
    assert masks.mask_agreement(a, anisotropic, a, anisotropic)[1].value == 0.0
    empty = np.zeros_like(a)
    d, h = masks.mask_agreement(a, anisotropic, empty, anisotropic)
    assert d.value == 0.0 and h.value is None
    assert masks.mask_agreement(empty, anisotropic, empty, anisotropic)[0].value is None
    with pytest.raises(InvalidInput, match="same grid"):
        masks.mask_agreement(a, anisotropic, b, np.eye(4))
    # over the cases: one summary per reader pair (the empty case counts, its HD95 does not)
    per_case = [
        ("c1", *masks.mask_agreement(a, anisotropic, b, anisotropic, raters=("r1", "r2"))),
        ("c2", *masks.mask_agreement(a, anisotropic, a, anisotropic, raters=("r1", "r2"))),
        ("c3", *masks.mask_agreement(a, anisotropic, empty, anisotropic, raters=("r1", "r2"))),
    ]
    (summary,) = masks.summarise_pairs(per_case)
    assert summary.raters == ["r1", "r2"] and summary.n == 3 and [c.case for c in summary.cases] == ["c1", "c2", "c3"]
    assert summary.dice_mean == pytest.approx(1.6 / 3) and summary.dice_median == pytest.approx(0.6)
    assert summary.hd95_mean == pytest.approx(2.5) and summary.dice_sd == pytest.approx(np.std([0.6, 1, 0], ddof=1))
