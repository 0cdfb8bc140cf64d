"""MRMC reports: a ratings table -> :class:`MrmcReport` (with ROC curves), and that report as text."""

from __future__ import annotations

from nora.reading.analysis import mrmc, roc
from nora.reading.analysis.ratings import RatingTable
from nora.reading.analysis.schemas import AnalysisOut, EstimateOut, MrmcReport, RocCurve


def curves(table: RatingTable) -> list[RocCurve]:
    """The empirical ROC curve of every reader in every arm."""
    out: list[RocCurve] = []
    for a, arm in enumerate(table.arms):
        for r, reader in enumerate(table.readers):
            fpr, tpr, _ = roc.roc_points(table.ratings[a, r], table.truth)
            area = float(roc.auc(table.ratings[a, r], table.truth))
            out.append(RocCurve(reader=reader, arm=arm, auc=area, fpr=fpr.tolist(), tpr=tpr.tolist()))
    return out


def mrmc_report(table: RatingTable, covariance: mrmc.CovarianceMethod = "jackknife") -> MrmcReport:
    """The OR/Hillis analysis of a complete ratings table, with the curves for plotting."""
    result = mrmc.analyse(table.ratings, table.truth, arms=table.arms, readers=table.readers, covariance=covariance)
    return MrmcReport.of(result, curves(table))


def _num(value: float | None, digits: int = 5) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _estimates(rows: list[EstimateOut], first: str) -> list[str]:
    head = f"  {first:<16} {'estimate':>9} {'SE':>8} {'df':>7} {'95% CI':>22} {'t/z':>7} {'p':>7}"
    lines = [head]
    for e in rows:
        ci = f"({_num(e.ci_low)}, {_num(e.ci_high)})"
        df = "z" if e.df is None and e.se is not None else _num(e.df, 2)
        lines.append(
            f"  {e.label:<16} {_num(e.estimate):>9} {_num(e.se):>8} {df:>7} {ci:>22} "
            f"{_num(e.statistic, 2):>7} {_num(e.p, 4):>7}"
        )
    return lines


def _analysis(a: AnalysisOut) -> list[str]:
    lines = ["", a.name[0].upper() + a.name[1:]]
    if a.test is not None:
        t = a.test
        if t.kind == "F":
            lines.append(f"  F({t.df1:g}, {_num(t.df2, 2)}) = {_num(t.statistic, 3)}, p = {_num(t.p, 4)}")
        else:
            lines.append(f"  chi2({t.df1:g}) = {_num(t.statistic, 3)}, p = {_num(t.p, 4)}")
    if a.differences:
        lines += _estimates(a.differences, "difference")
    if a.arms:
        lines += _estimates(a.arms, "modality AUC")
    if a.reader_differences:
        lines += _estimates(a.reader_differences, "reader: diff.")
    return lines


def as_text(report: MrmcReport) -> str:
    """The report as the CLI prints it: AUC table, covariances, then the three analyses."""
    n = report.n_normal + report.n_diseased
    lines = [
        "MRMC ROC analysis: Obuchowski-Rockette with Hillis' denominator df, "
        f"AUC trapezoidal/Wilcoxon, covariance by {report.covariance}",
        f"{len(report.arms)} modalities, {len(report.readers)} readers, {n} cases "
        f"({report.n_normal} normal, {report.n_diseased} diseased)",
        "",
    ]
    width = max(4, *(len(r) for r in report.readers))
    cell = max(10, *(len(a) for a in report.arms)) + 2
    lines.append(f"{'AUC':<{width}}" + "".join(f"{arm:>{cell}}" for arm in report.arms))
    for r, reader in enumerate(report.readers):
        lines.append(f"{reader:<{width}}" + "".join(f"{row[r]:>{cell}.5f}" for row in report.auc))
    lines.append(f"{'mean':<{width}}" + "".join(f"{m:>{cell}.5f}" for m in report.arm_means))
    c = report.covariances
    lines += [
        "",
        f"Var(error) {_num(c.var, 8)}  Cov1 {_num(c.cov1, 8)}  Cov2 {_num(c.cov2, 8)}  Cov3 {_num(c.cov3, 8)}",
        f"Var(R) {_num(report.var_r, 8)}  Var(T*R) {_num(report.var_tr, 8)}  "
        f"MS(T) {_num(report.ms_t, 8)}  MS(T*R) {_num(report.ms_tr, 8)}",
    ]
    for a in report.analyses:
        lines += _analysis(a)
    lines += ["", "t/z and p: a difference is tested against 0, a modality AUC against chance (0.5)"]
    return "\n".join(lines) + "\n"
