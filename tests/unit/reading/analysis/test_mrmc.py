"""The OR/Hillis MRMC analysis against published analyses of the Van Dyke data, and its parts.

Published numbers (quoted to the precision they are printed with):

* OR-DBM MRMC 2.5 (Schartz, Hillis, Pesce & Berbaum; University of Iowa), trapezoidal AUC, jackknife
  covariance, "VanDyke trap area jackknife anova": the output file kept in the RJafroc R package as
  ``inst/obumrm2/VanDyke-traparea-jackknife-obuch-anova.txt`` (github.com/dpc10ster/RJafroc).
* MRMCaov (Smith & Hillis), ``mrmc(empirical_auc(truth, rating), treatment, reader, case, data = VanDyke,
  cov = DeLong)``: the printed ``summary(est)`` in the package's paper source ``docs/jss/MRMCaov.tex``
  (github.com/brian-j-smith/MRMCaov).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from nora.core.errors import InvalidInput
from nora.reading.analysis import mrmc, roc
from nora.reading.analysis.ratings import RatingTable
from nora.reading.analysis.schemas import MrmcReport


def close(value: float | None, printed: float, decimals: int) -> bool:
    """``value`` rounds to the printed number (half a unit of the last printed digit, and a hair)."""
    return value is not None and abs(value - printed) <= 0.5 * 10.0**-decimals + 1e-12


def test_jackknife_analysis_matches_or_dbm(vandyke: RatingTable) -> None:
    result = mrmc.analyse(vandyke.ratings, vandyke.truth, covariance="jackknife")
    # OR-DBM "TREATMENT x READER AUC ESTIMATES" (treatment 1 = our modality 0)
    published = [
        [0.91964573, 0.85877617, 0.90386473, 0.97310789, 0.82979066],
        [0.94782609, 0.90531401, 0.92173913, 0.99935588, 0.92995169],
    ]
    assert np.allclose(result.auc, published, atol=0.5e-8)
    assert close(result.arm_means[0], 0.89703704, 8) and close(result.arm_means[1], 0.94083736, 8)
    # "TREATMENT X READER ANOVA of AUCs" and the reader ANOVAs per treatment
    assert close(result.ms_t, 0.00479617, 8) and close(result.ms_tr, 0.00055103, 8)
    assert close(result.ms_r, 0.00383620, 8)
    assert close(result.ms_r_by_arm[0], 0.00308263, 8) and close(result.ms_r_by_arm[1], 0.00130460, 8)
    # "Obuchowski-Rockette variance component and covariance estimates"
    c = result.covariances
    assert close(result.var_r, 0.00153500, 8) and close(result.var_tr, 0.00020040, 8)
    assert close(c.cov1, 0.00034661, 8) and close(c.cov2, 0.00034407, 8) and close(c.cov3, 0.00023903, 8)
    assert close(c.var, 0.00080229, 8)
    rrrc, frrc, rrfc = result.analyses
    # Analysis 1 (random readers, random cases): F 4.46, df(error) 15.26, p 0.0517
    assert rrrc.test is not None and rrrc.test.df2 is not None
    assert close(rrrc.test.statistic, 4.46, 2) and close(rrrc.test.df2, 15.26, 2) and close(rrrc.test.p, 0.0517, 4)
    (d,) = rrrc.differences
    assert close(d.estimate, -0.04380, 5) and close(d.se, 0.02075, 5) and close(d.statistic, -2.11, 2)
    assert close(d.ci_low, -0.08796, 5) and close(d.ci_high, 0.00036, 5) and close(d.p, 0.0517, 4)
    # part c) single-treatment CIs: AUC, StdErr, DF, CI
    for arm, (se, df, low, high) in zip(
        rrrc.arms,
        [(0.03317360, 12.74, 0.82522360, 0.96885048), (0.02156637, 12.71, 0.89413783, 0.98753689)],
        strict=True,
    ):
        assert close(arm.se, se, 8) and close(arm.df, df, 2)
        assert close(arm.ci_low, low, 8) and close(arm.ci_high, high, 8)
    assert close(c.cov2_by_arm[0], 0.00048396, 8) and close(c.cov2_by_arm[1], 0.00020419, 8)
    # Analysis 2 (fixed readers, random cases): X2 5.47595 (df 1), p 0.0193
    assert frrc.test is not None and frrc.test.df2 is None
    assert close(frrc.test.statistic, 5.47595, 5) and close(frrc.test.p, 0.0193, 4)
    (d,) = frrc.differences
    assert close(d.se, 0.01872, 5) and close(d.statistic, -2.34, 2)
    assert close(d.ci_low, -0.08049, 5) and close(d.ci_high, -0.00711, 5)
    assert [round(a.se, 8) for a in frrc.arms] == [0.02428971, 0.01677632]
    assert close(frrc.arms[0].ci_low, 0.84943008, 8) and close(frrc.arms[1].ci_high, 0.97371835, 8)
    assert close(c.var_by_arm[0], 0.00101410, 8) and close(c.var_by_arm[1], 0.00059047, 8)
    # part d) single-reader differences: difference, StdErr, 95% CI
    per_reader = [
        (-0.02818, 0.02551, -0.07818, 0.02182),
        (-0.04654, 0.02630, -0.09809, 0.00501),
        (-0.01787, 0.03121, -0.07904, 0.04330),
        (-0.02625, 0.01729, -0.06014, 0.00764),
        (-0.10016, 0.04406, -0.18651, -0.01381),
    ]
    for e, (diff, se, low, high) in zip(frrc.reader_differences, per_reader, strict=True):
        assert (
            close(e.estimate, diff, 5) and close(e.se, se, 5) and close(e.ci_low, low, 5) and close(e.ci_high, high, 5)
        )
    # Analysis 3 (random readers, fixed cases): F(1,4) 8.70, p 0.0420, SE 0.01485, CI (-0.08502, -0.00258)
    assert rrfc.test is not None and rrfc.test.df2 == 4
    assert close(rrfc.test.statistic, 8.70, 2) and close(rrfc.test.p, 0.0420, 4)
    (d,) = rrfc.differences
    assert close(d.se, 0.01485, 5) and close(d.ci_low, -0.08502, 5) and close(d.ci_high, -0.00258, 5)
    assert close(rrfc.arms[0].se, 0.02482994, 8) and close(rrfc.arms[0].ci_low, 0.82809808, 8)
    assert close(rrfc.arms[1].se, 0.01615303, 8) and close(rrfc.arms[1].ci_high, 0.98568536, 8)


def test_delong_analysis_matches_mrmcaov(vandyke: RatingTable) -> None:
    result = mrmc.analyse(vandyke.ratings, vandyke.truth, covariance="delong")
    c = result.covariances
    # "Obuchowski-Rockette variance component and covariance estimates" (Covariance method: DeLong)
    assert close(result.var_r, 0.0015364254, 10) and close(result.var_tr, 0.0002045840, 10)
    assert close(c.var, 0.0007921325, 10) and close(c.cov1, 0.0003420090, 10)
    assert close(c.cov2, 0.0003395265, 10) and close(c.cov3, 0.0002358497, 10)
    rrrc = result.analyses[0]
    # "ANOVA global test": F 4.484854, df1 1, df2 15.06611, p-value 0.05123303
    assert rrrc.test is not None
    assert close(rrrc.test.statistic, 4.484854, 6) and close(rrrc.test.df2, 15.06611, 5)
    assert close(rrrc.test.p, 0.05123303, 8)
    # "pairwise differences": -0.04380032, StdErr 0.0206825, CI (-0.0878671960, 0.0002665519), t -2.117747
    (d,) = rrrc.differences
    assert close(d.estimate, -0.04380032, 8) and close(d.se, 0.0206825, 7) and close(d.statistic, -2.117747, 6)
    assert close(d.ci_low, -0.0878671960, 10) and close(d.ci_high, 0.0002665519, 10)
    # "treatment empirical_auc CIs": Cov2, StdErr, df, CI.Lower, CI.Upper per treatment
    published = [
        (0.0004775239, 0.03307642, 12.59597, 0.8253461, 0.9687280),
        (0.0002015292, 0.02150464, 12.56530, 0.8942155, 0.9874592),
    ]
    for i, (cov2, se, df, low, high) in enumerate(published):
        arm = rrrc.arms[i]
        assert close(c.cov2_by_arm[i], cov2, 10) and close(arm.se, se, 8) and close(arm.df, df, 5)
        assert close(arm.ci_low, low, 7) and close(arm.ci_high, high, 7)


def naive_auc(x: np.ndarray, truth: np.ndarray) -> float:
    d, h = x[truth == 1][:, None], x[truth == 0][None, :]
    return float(((d > h) + 0.5 * (d == h)).mean())


def test_auc_jackknife_and_delong_agree_with_their_definitions() -> None:
    rng = np.random.default_rng(3)
    truth = np.array([0] * 12 + [1] * 9)
    ratings = np.round(rng.normal(size=(2, 3, 21)) + truth, 0)  # coarse: many ties
    p = roc.placements(ratings, truth)
    assert np.allclose(p.auc, [[naive_auc(r, truth) for r in arm] for arm in ratings])
    left_out = roc.jackknife_aucs(p).reshape(6, 21)
    order = np.concatenate([np.flatnonzero(truth == 0), np.flatnonzero(truth == 1)])
    for row, reading in enumerate(ratings.reshape(6, 21)):
        for k, case in enumerate(order):
            keep = np.arange(21) != case
            assert left_out[row, k] == pytest.approx(naive_auc(reading[keep], truth[keep]))
    # DeLong from its definition (S10 / n1 + S01 / n0), and the jackknife's exact relation to the same
    # placement-value covariances: (n - 1) / n * (S10 / (n1 - 1) + S01 / (n0 - 1))
    v10, v01 = p.v10.reshape(6, -1), p.v01.reshape(6, -1)
    s10, s01 = np.cov(v10, ddof=1), np.cov(v01, ddof=1)
    assert np.allclose(roc.delong_covariance(p), s10 / 9 + s01 / 12)
    assert np.allclose(roc.jackknife_covariance(p), 20 / 21 * (s10 / 8 + s01 / 11))


def test_roc_points_run_from_origin_to_one_with_the_auc_under_them() -> None:
    truth = np.array([0, 0, 0, 1, 1, 1])
    ratings = np.array([1, 2, 3, 2, 3, 4.0])
    fpr, tpr, thresholds = roc.roc_points(ratings, truth)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0, 0, 1, 1)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    assert np.trapezoid(tpr, fpr) == pytest.approx(naive_auc(ratings, truth)) == pytest.approx(7 / 9)
    assert thresholds[1:].tolist() == [4, 3, 2, 1]


def test_one_reader_or_one_arm_gives_what_is_defined() -> None:
    rng = np.random.default_rng(5)
    truth = np.array([0] * 10 + [1] * 10)
    one_reader = mrmc.analyse(rng.normal(size=(2, 1, 20)) + truth, truth)
    rrrc, frrc, rrfc = one_reader.analyses
    assert rrrc.test is None and rrfc.test is None and frrc.test is not None  # only the fixed-reader test
    assert len(frrc.differences) == 1 and len(frrc.reader_differences) == 1
    one_arm = mrmc.analyse(rng.normal(size=(1, 4, 20)) + truth, truth, covariance="delong")
    assert all(a.test is None and a.differences == () for a in one_arm.analyses)
    assert [len(a.arms) for a in one_arm.analyses] == [1, 1, 1]
    assert 0 < one_arm.analyses[0].arms[0].ci_low < one_arm.analyses[0].arms[0].ci_high <= 1.2


def test_arms_that_agree_exactly_give_undefined_figures_not_errors() -> None:
    rng = np.random.default_rng(9)
    truth = np.array([0] * 10 + [1] * 10)
    one = rng.normal(size=(1, 3, 20)) + truth
    for method in mrmc.COVARIANCE_METHODS:
        result = mrmc.analyse(np.concatenate([one, one]), truth, covariance=method)
        rrrc, frrc, rrfc = result.analyses
        assert rrrc.differences[0].estimate == 0 and frrc.differences[0].se == 0
        assert np.isnan(frrc.test.statistic) and np.isnan(rrfc.test.statistic)  # type: ignore[union-attr]
        report = MrmcReport.of(result, [])
        assert report.analyses[1].test is not None and report.analyses[1].test.statistic is None  # JSON: null


def test_ten_readers_two_arms_a_thousand_cases_well_under_two_seconds() -> None:
    rng = np.random.default_rng(10)
    truth = np.arange(1000) % 2
    ratings = np.round(rng.normal(size=(2, 10, 1000)) + truth, 1)
    for method in mrmc.COVARIANCE_METHODS:
        start = time.perf_counter()
        mrmc.analyse(ratings, truth, covariance=method)
        assert time.perf_counter() - start < 2.0  # about 10 ms here (benchmarks/mrmc.py)


def test_three_arms_give_every_pairwise_difference() -> None:
    rng = np.random.default_rng(8)
    truth = np.array([0] * 15 + [1] * 15)
    result = mrmc.analyse(rng.normal(size=(3, 4, 30)) + truth, truth, arms=("a", "b", "c"))
    assert [d.label for d in result.analyses[0].differences] == ["a - b", "a - c", "b - c"]
    assert result.analyses[0].test is not None and result.analyses[0].test.df1 == 2


@pytest.mark.parametrize(
    ("ratings", "truth", "message"),
    [
        (np.zeros((1, 1, 4)), [0, 0, 0, 0], "needs normal"),
        (np.zeros((1, 1, 4)), [0, 1, 2, 1], "truth must be 0"),
        (np.zeros((1, 1, 3)), [0, 1, 1, 0], "do not match"),
        (np.full((1, 1, 4), np.nan), [0, 1, 1, 0], "finite"),
        (np.zeros((4, 4)), [0, 1, 1, 0], "arms x readers x cases"),
        (np.zeros((1, 2, 3)), [0, 1, 1], "at least two normal"),
    ],
)
def test_bad_input_is_invalid_input(ratings: np.ndarray, truth: list[int], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        mrmc.analyse(ratings, truth)
