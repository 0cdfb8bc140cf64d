"""JSON-able results of the analyses (pydantic models): what the CLI's ``--json``, the routes and the page share.

Numbers that are undefined for a data set (an SE of a single reader, a df that is infinite because the
reader AUCs agree exactly) are ``None``, never NaN.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from nora.reading.analysis import mrmc


class Schema(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def finite(value: float | None) -> float | None:
    """``value``, or None where it is NaN or infinite (JSON has neither)."""
    return value if value is not None and math.isfinite(value) else None


class EstimateOut(Schema):
    """An estimate with its standard error, degrees of freedom (None: z), 95% CI, t or z, and p."""

    label: str
    estimate: float
    se: float | None
    df: float | None
    ci_low: float | None
    ci_high: float | None
    statistic: float | None
    p: float | None

    @classmethod
    def of(cls, e: mrmc.Estimate) -> EstimateOut:
        return cls(
            label=e.label,
            estimate=e.estimate,
            se=finite(e.se),
            df=finite(e.df),
            ci_low=finite(e.ci_low),
            ci_high=finite(e.ci_high),
            statistic=finite(e.statistic),
            p=finite(e.p),
        )


class TestOut(Schema):
    """The global test of equal arm AUCs: ``F(df1, df2)``, or chi-square(df1) where ``df2`` is None."""

    kind: Literal["F", "chi2"]
    statistic: float | None
    df1: float
    df2: float | None
    p: float | None


class AnalysisOut(Schema):
    name: str
    test: TestOut | None
    differences: list[EstimateOut]
    arms: list[EstimateOut]
    reader_differences: list[EstimateOut]

    @classmethod
    def of(cls, a: mrmc.Analysis) -> AnalysisOut:
        test = None
        if a.test is not None:
            test = TestOut(
                kind="chi2" if a.test.df2 is None else "F",
                statistic=finite(a.test.statistic),
                df1=a.test.df1,
                df2=finite(a.test.df2),
                p=finite(a.test.p),
            )
        return cls(
            name=a.name,
            test=test,
            differences=[EstimateOut.of(e) for e in a.differences],
            arms=[EstimateOut.of(e) for e in a.arms],
            reader_differences=[EstimateOut.of(e) for e in a.reader_differences],
        )


class RocCurve(Schema):
    """The empirical ROC curve of one reader in one arm, from (0, 0) to (1, 1), for plotting."""

    reader: str
    arm: str
    auc: float
    fpr: list[float]
    tpr: list[float]


class CovariancesOut(Schema):
    """OR error variance and covariances (Cov1 same reader, Cov2 same arm, Cov3 neither)."""

    var: float
    cov1: float | None
    cov2: float | None
    cov3: float | None
    var_by_arm: list[float]
    cov2_by_arm: list[float | None]


class MrmcReport(Schema):
    """The whole Obuchowski-Rockette/Hillis analysis of one ratings table."""

    arms: list[str]
    readers: list[str]
    n_normal: int
    n_diseased: int
    covariance: mrmc.CovarianceMethod
    auc: list[list[float]]  # [arm][reader]
    arm_means: list[float]
    ms_t: float | None
    ms_r: float | None
    ms_tr: float | None
    ms_r_by_arm: list[float | None]
    covariances: CovariancesOut
    var_r: float | None
    var_tr: float | None
    analyses: list[AnalysisOut]
    curves: list[RocCurve]

    @classmethod
    def of(cls, r: mrmc.MrmcResult, curves: list[RocCurve]) -> MrmcReport:
        c = r.covariances
        return cls(
            arms=list(r.arms),
            readers=list(r.readers),
            n_normal=r.n_normal,
            n_diseased=r.n_diseased,
            covariance=r.covariance,
            auc=[[float(v) for v in row] for row in r.auc],
            arm_means=[float(v) for v in r.arm_means],
            ms_t=r.ms_t,
            ms_r=r.ms_r,
            ms_tr=r.ms_tr,
            ms_r_by_arm=[finite(v) for v in r.ms_r_by_arm],
            covariances=CovariancesOut(
                var=c.var,
                cov1=finite(c.cov1),
                cov2=finite(c.cov2),
                cov3=finite(c.cov3),
                var_by_arm=list(c.var_by_arm),
                cov2_by_arm=[finite(v) for v in c.cov2_by_arm],
            ),
            var_r=finite(r.var_r),
            var_tr=finite(r.var_tr),
            analyses=[AnalysisOut.of(a) for a in r.analyses],
            curves=curves,
        )


class AgreementOut(Schema):
    """One agreement figure between raters (or repetitions): kappa, ICC, Dice or HD95, with its 95% CI.

    ``value`` is None where the measure is undefined for the data (one category only, fewer than two
    subjects, an empty mask). ``p`` tests no agreement beyond chance (kappa or ICC = 0) where defined.
    """

    measure: str
    raters: list[str]
    n: int
    value: float | None = None
    se: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p: float | None = None
    observed: float | None = None
    expected: float | None = None
    mean_squares: dict[str, float] | None = None

    @classmethod
    def empty(cls, measure: str, raters: list[str], n: int = 0) -> AgreementOut:
        return cls(measure=measure, raters=raters, n=n)


class Proportion(Schema):
    """A proportion (sensitivity, specificity) with its Wilson 95% CI."""

    count: int
    total: int
    value: float
    ci_low: float
    ci_high: float


# -- the analysis of a reading's results: input and output ------------------------------------------------

ItemKind = Literal["categorical", "ordinal", "numeric"]
Value = str | float | int | bool | None


class Answer(Schema):
    """One reader's answer to one form item for one case (the latest of its records), in a stage or arm."""

    reader: str
    arm: str
    case: str
    item: str
    value: Value
    repetition: int = 0


class ItemSpec(Schema):
    """How an item is analysed: its kind, the order of its levels (ordinal), the values that mean positive.

    ``levels``: the categories in order (required for ordinal items whose values are not numbers).
    ``positive``: the values that count as a positive call (sensitivity/specificity) and as a positive
    reference (truth); without it, truth values 1/true/yes/positive/abnormal/diseased are positive and
    0/false/no/negative/normal negative.
    """

    name: str
    kind: ItemKind
    levels: list[str] | None = None
    positive: list[str] | None = None


class ReferenceRow(Schema):
    """The reference (truth) of one case for one item: a row of the uploaded ``case,item,value`` CSV."""

    case: str
    item: str
    value: str


class PairAgreement(Schema):
    """Agreement of a group of readers (or one reader's repetitions) on one item in one arm."""

    arm: str
    reader: str | None = None  # set for intra-rater agreement
    measures: list[AgreementOut]


class ReaderAccuracy(Schema):
    """One reader in one arm against the reference."""

    reader: str
    arm: str
    n: int
    sensitivity: Proportion | None
    specificity: Proportion | None
    auc: EstimateOut | None


class ItemAnalysis(Schema):
    item: str
    kind: ItemKind
    arms: list[str]
    readers: list[str]
    inter_rater: list[PairAgreement]
    intra_rater: list[PairAgreement]
    accuracy: list[ReaderAccuracy]
    mrmc: MrmcReport | None
    notes: list[str]


class RoiCase(Schema):
    case: str
    dice: float | None
    hd95_mm: float | None


class RoiPairSummary(Schema):
    """Dice and HD95 of one pair of readers over the cases both drew an ROI for (mean, SD, median)."""

    raters: list[str]
    n: int
    dice_mean: float | None
    dice_sd: float | None
    dice_median: float | None
    hd95_mean: float | None
    hd95_median: float | None
    cases: list[RoiCase]


class RoiItemAnalysis(Schema):
    """Dice and HD95 of the readers' attached ROIs of one ``roi`` item in one arm: per pair of readers (with a
    reference reader: each reader against the reference), over the cases both attached one for."""

    item: str
    arm: str
    reference: str | None
    pairs: list[RoiPairSummary]
    notes: list[str]


class MarkerMatch(Schema):
    """A matched pair of markers: their indices in the two readers' sets (from 0), names and distance."""

    a: int
    b: int
    a_name: str
    b_name: str
    distance_mm: float


class MarkerCase(Schema):
    """Two readers' markers of one case (``a``: the reference or the pair's first reader; see
    :mod:`nora.reading.analysis.markers`): counts, matches, the detection ratios and matched distances."""

    case: str
    n_a: int
    n_b: int
    matched: int
    sensitivity: float | None  # matched / n_a
    precision: float | None  # matched / n_b
    f1: float | None  # 2 matched / (n_a + n_b)
    mean_mm: float | None
    max_mm: float | None
    matches: list[MarkerMatch]


class MarkerPairSummary(Schema):
    """One pair of readers over the cases both attached a marker set for, pooled (counts summed)."""

    raters: list[str]
    n: int
    n_a: int
    n_b: int
    matched: int
    sensitivity: float | None
    precision: float | None
    f1: float | None
    mean_mm: float | None
    max_mm: float | None
    cases: list[MarkerCase]


class MarkerItemAnalysis(Schema):
    """Marker agreement of one ``markers`` item in one arm: per pair of readers (with a reference reader,
    each reader against the reference), markers matched one to one within ``tolerance_mm``."""

    item: str
    arm: str
    reference: str | None
    tolerance_mm: float
    by_label: bool
    pairs: list[MarkerPairSummary]
    notes: list[str]


class ReadingAnalysis(Schema):
    """The analysis of a reading's results, item by item, ready for the page (tables, ROC plots)."""

    reference: str | None  # "table", "reader NAME" or None
    items: list[ItemAnalysis]
    #: the ``roi`` items: Dice / HD95 between readers' ROIs (nora.reading.roiagreement)
    rois: list[RoiItemAnalysis] = Field(default_factory=list)
    #: the ``markers`` items: markers matched between readers (nora.reading.markeragreement)
    markers: list[MarkerItemAnalysis] = Field(default_factory=list)
