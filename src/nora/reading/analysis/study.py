"""The analysis of a reading's results: answers (reader, arm, case, item, value) + a reference -> report.

Per form item, by its kind (:class:`ItemSpec`):

* inter-rater agreement per arm (stage) on the cases every reader answered: categorical items Fleiss'
  kappa and Cohen's kappa of every reader pair; ordinal items the same plus linear and quadratic weighted
  kappa; numbers ICC(2,1), of all readers and of every pair;
* intra-rater agreement per reader and arm, from the first two repetitions of each case;
* accuracy against the reference (an uploaded ``case,item,value`` table, or a reader marked as the
  reference, whose own answers then leave the other analyses): sensitivity and specificity where the item
  has ``positive`` values, the AUC of ordinal and numeric items (and of positive/negative calls);
* the Obuchowski-Rockette/Hillis MRMC analysis over the arms, on the cases every reader answered in
  every arm, with the ROC curves.

Inter-rater agreement and accuracy use each reader's first repetition. Answers that do not fit their item
(a word in a numeric item) are left out and counted in the item's ``notes``; the analysis itself raises
only for contradictory requests.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from itertools import combinations

import numpy as np

from nora.core.errors import InvalidInput
from nora.reading.analysis import accuracy, agreement, mrmc, ratings, reports
from nora.reading.analysis.schemas import (
    AgreementOut,
    Answer,
    ItemAnalysis,
    ItemSpec,
    MrmcReport,
    PairAgreement,
    ReaderAccuracy,
    ReadingAnalysis,
    ReferenceRow,
    Value,
)

POSITIVE_WORDS = {"1", "true", "yes", "positive", "pos", "abnormal", "diseased", "present"}
NEGATIVE_WORDS = {"0", "false", "no", "negative", "neg", "normal", "absent"}
Key = tuple[str, str, str]  # arm, reader, case


def _text(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _encode(spec: ItemSpec, value: Value) -> str | float | None:
    """The value as the item's analyses take it: a category (text) or a number; None when it does not fit."""
    text = _text(value)
    if spec.kind == "categorical":
        return text
    if spec.kind == "ordinal" and spec.levels:
        return float(spec.levels.index(text)) if text in spec.levels else None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if np.isfinite(number) else None


def _truth(spec: ItemSpec, value: Value, *, answer: bool) -> int | None:
    """1/0 from a reference value; None when it is neither.

    A reference reader's ``answer`` is a value of the item: positive when among the item's ``positive``
    values. A reference table's value is a truth word first (1/true/yes/positive/... or 0/false/no/...),
    and otherwise positive when among ``positive`` (so a 1-5 item can have the truth 0/1 beside it).
    """
    text = _text(value)
    word = text.lower()
    if answer and spec.positive:
        return int(text in spec.positive)
    if word in POSITIVE_WORDS or word in NEGATIVE_WORDS:
        return int(word in POSITIVE_WORDS)
    return int(text in spec.positive) if spec.positive else None


def _order(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _pairwise(spec: ItemSpec, by_reader: dict[str, dict[str, str | float]], readers: list[str]) -> list[AgreementOut]:
    out: list[AgreementOut] = []
    for a, b in combinations(readers, 2):
        cases = [c for c in by_reader[a] if c in by_reader[b]]
        va, vb = [by_reader[a][c] for c in cases], [by_reader[b][c] for c in cases]
        out += _two(spec, va, vb, (a, b))
    return out


def _two(spec: ItemSpec, va: list[str | float], vb: list[str | float], names: tuple[str, str]) -> list[AgreementOut]:
    if spec.kind == "numeric":
        return [agreement.icc_a1(np.array([va, vb], dtype=np.float64).T, raters=list(names))]
    levels = [float(i) for i in range(len(spec.levels))] if spec.kind == "ordinal" and spec.levels else None
    out = [agreement.cohen_kappa(va, vb, raters=names, categories=levels)]
    if spec.kind == "ordinal":
        ordered: list[str | float] = list(levels) if levels else sorted({*va, *vb}, key=float)
        for w in ("linear", "quadratic"):
            out.append(agreement.cohen_kappa(va, vb, raters=names, categories=ordered, weights=w))
    return out


def _group(spec: ItemSpec, by_reader: dict[str, dict[str, str | float]], everyone: list[str]) -> list[AgreementOut]:
    readers = [r for r in everyone if by_reader.get(r)]
    if len(readers) < 2:
        return []
    cases = [c for c in by_reader[readers[0]] if all(c in by_reader[r] for r in readers)]
    table = [[by_reader[r][c] for r in readers] for c in cases]
    if spec.kind == "numeric":
        overall = agreement.icc_a1(np.array(table, dtype=np.float64).reshape(len(cases), len(readers)), raters=readers)
    else:
        overall = agreement.fleiss_kappa(table, raters=readers)
    pairs = _pairwise(spec, by_reader, readers)
    return [overall, *pairs] if len(readers) > 2 or spec.kind != "numeric" else pairs


class _Item:
    """The answers of one item, encoded, with the notes of what was left out."""

    def __init__(self, spec: ItemSpec, answers: Sequence[Answer], reference_reader: str | None) -> None:
        self.spec = spec
        self.notes: list[str] = []
        self.first: dict[Key, str | float] = {}
        self.repeats: dict[Key, dict[int, str | float]] = defaultdict(dict)
        self.reference_answers: dict[str, Value] = {}
        unfit = 0
        for a in answers:
            if a.value is None or _text(a.value) == "":
                continue
            if a.reader == reference_reader:
                self.reference_answers.setdefault(a.case, a.value)
                continue
            value = _encode(spec, a.value)
            if value is None:
                unfit += 1
                continue
            key = (a.arm, a.reader, a.case)
            self.repeats[key].setdefault(a.repetition, value)
        for key, reps in self.repeats.items():
            self.first[key] = reps[min(reps)]
        if unfit:
            self.notes.append(f"{unfit} answer(s) that are not {self._expected()} left out")
        self.arms = _order([k[0] for k in self.first])
        self.readers = _order([k[1] for k in self.first])

    def _expected(self) -> str:
        if self.spec.kind == "ordinal" and self.spec.levels:
            return "one of " + ", ".join(self.spec.levels)
        return "numbers" if self.spec.kind != "categorical" else "categories"

    def by_reader(self, arm: str) -> dict[str, dict[str, str | float]]:
        out: dict[str, dict[str, str | float]] = defaultdict(dict)
        for (a, reader, case), value in self.first.items():
            if a == arm:
                out[reader][case] = value
        return out


def _intra(item: _Item) -> list[PairAgreement]:
    out: list[PairAgreement] = []
    for arm in item.arms:
        for reader in item.readers:
            pairs = [
                (reps[rs[0]], reps[rs[1]])
                for (a, r, _), reps in item.repeats.items()
                if a == arm and r == reader and len(rs := sorted(reps)) > 1
            ]
            if pairs:
                first, second = [p[0] for p in pairs], [p[1] for p in pairs]
                measures = _two(item.spec, first, second, ("repetition 1", "repetition 2"))
                out.append(PairAgreement(arm=arm, reader=reader, measures=measures))
    return out


def _rating(spec: ItemSpec, value: str | float) -> float | None:
    if spec.kind == "categorical":
        return float(_text(value) in spec.positive) if spec.positive else None
    return float(value)


def _accuracy(item: _Item, truth: dict[str, int]) -> list[ReaderAccuracy]:
    spec, out = item.spec, []
    for arm in item.arms:
        for reader, values in item.by_reader(arm).items():
            cases = [c for c in values if c in truth]
            t = np.array([truth[c] for c in cases], dtype=np.int64)
            sens = spec_ = None
            if spec.positive and spec.kind != "numeric":
                levels = spec.levels or []
                texts = [_text(values[c]) if spec.kind == "categorical" else levels[int(values[c])] for c in cases]
                sens, spec_ = accuracy.sensitivity_specificity([v in spec.positive for v in texts], t)
            scores = [_rating(spec, values[c]) for c in cases]
            auc = None
            if all(s is not None for s in scores):
                auc = accuracy.auc_estimate(f"{reader} ({arm})", np.array(scores, dtype=np.float64), t)
            out.append(
                ReaderAccuracy(reader=reader, arm=arm, n=len(cases), sensitivity=sens, specificity=spec_, auc=auc)
            )
    return out


def _mrmc(item: _Item, truth: dict[str, int], covariance: mrmc.CovarianceMethod) -> MrmcReport | None:
    spec = item.spec
    if spec.kind == "categorical" and not spec.positive:
        return None
    cases = [c for c in _order([k[2] for k in item.first]) if c in truth]
    complete = [c for c in cases if all((a, r, c) in item.first for a in item.arms for r in item.readers)]
    records: list[tuple[str, str, str, int, float]] = []
    for a in item.arms:
        for r in item.readers:
            for c in complete:
                score = _rating(spec, item.first[(a, r, c)])
                assert score is not None  # categorical items without positive values returned above
                records.append((r, a, c, truth[c], score))
    if len(complete) < len(cases):
        item.notes.append(
            f"MRMC on the {len(complete)} of {len(cases)} cases with a reference that every reader read in every arm"
        )
    labels = [truth[c] for c in complete]
    if min(labels.count(0), labels.count(1)) < 2:
        item.notes.append("no MRMC analysis: it needs at least two normal and two diseased cases")
        return None
    return reports.mrmc_report(ratings.from_records(records), covariance)


def _reference(
    spec: ItemSpec, item: _Item, reference: Sequence[ReferenceRow] | None, reference_reader: str | None
) -> dict[str, int]:
    raw: dict[str, Value] = {}
    if reference is not None:
        raw = {row.case: row.value for row in reference if row.item == spec.name}
    elif reference_reader is not None:
        raw = item.reference_answers
    truth: dict[str, int] = {}
    unknown = 0
    for case, value in raw.items():
        t = _truth(spec, value, answer=reference is None)
        if t is None:
            unknown += 1
        else:
            truth[case] = t
    if unknown:
        item.notes.append(f"{unknown} reference value(s) neither positive nor negative left out (give 'positive')")
    return truth


def analyse_reading(
    answers: Sequence[Answer],
    items: Sequence[ItemSpec],
    *,
    reference: Sequence[ReferenceRow] | None = None,
    reference_reader: str | None = None,
    covariance: mrmc.CovarianceMethod = "jackknife",
) -> ReadingAnalysis:
    """Agreement, accuracy and MRMC analysis of a reading's answers, item by item (see the module doc)."""
    if reference is not None and reference_reader is not None:
        raise InvalidInput("give a reference table or a reference reader, not both")
    if covariance not in mrmc.COVARIANCE_METHODS:
        raise InvalidInput(f"unknown covariance method {covariance!r}: use jackknife or delong")
    by_item: dict[str, list[Answer]] = defaultdict(list)
    for a in answers:
        by_item[a.item].append(a)
    out: list[ItemAnalysis] = []
    for spec in items:
        if spec.kind == "ordinal" and spec.positive and not spec.levels:
            raise InvalidInput(f"item {spec.name!r}: positive values of an ordinal item need its levels")
        item = _Item(spec, by_item.get(spec.name, []), reference_reader)
        inter = [PairAgreement(arm=arm, measures=_group(spec, item.by_reader(arm), item.readers)) for arm in item.arms]
        truth = _reference(spec, item, reference, reference_reader)
        out.append(
            ItemAnalysis(
                item=spec.name,
                kind=spec.kind,
                arms=item.arms,
                readers=item.readers,
                inter_rater=[p for p in inter if p.measures],
                intra_rater=_intra(item),
                accuracy=_accuracy(item, truth) if truth else [],
                mrmc=_mrmc(item, truth, covariance) if truth else None,
                notes=item.notes,
            )
        )
    kind = "table" if reference is not None else f"reader {reference_reader}" if reference_reader else None
    return ReadingAnalysis(reference=kind, items=out)
