"""analyse_reading: a reading's answers + a reference -> agreement, accuracy and MRMC per item."""

from __future__ import annotations

import json

import pytest

from nora.core.errors import InvalidInput
from nora.reading.analysis.ratings import RatingTable
from nora.reading.analysis.reference import parse_reference_csv
from nora.reading.analysis.schemas import Answer, ItemSpec, ReferenceRow
from nora.reading.analysis.study import analyse_reading

LEVELS = ["1", "2", "3", "4", "5"]


def vandyke_answers(table: RatingTable) -> tuple[list[Answer], list[ReferenceRow]]:
    """The Van Dyke ratings as a reading's answers: a 1-5 confidence item and a yes/no item derived from it."""
    answers, reference = [], []
    for a, arm in enumerate(table.arms):
        for r, reader in enumerate(table.readers):
            for c, case in enumerate(table.cases):
                value = int(table.ratings[a, r, c])
                answers.append(Answer(reader=f"r{reader}", arm=f"arm {arm}", case=case, item="conf", value=str(value)))
                call = "yes" if value >= 4 else "no"
                answers.append(Answer(reader=f"r{reader}", arm=f"arm {arm}", case=case, item="dissection", value=call))
    for c, case in enumerate(table.cases):
        reference.append(ReferenceRow(case=case, item="conf", value=str(table.truth[c])))
    return answers, reference


def test_a_reading_of_the_van_dyke_data_gives_the_published_mrmc_and_the_tables(vandyke: RatingTable) -> None:
    answers, reference = vandyke_answers(vandyke)
    items = [
        ItemSpec(name="conf", kind="ordinal", levels=LEVELS, positive=["4", "5"]),
        ItemSpec(name="dissection", kind="categorical", positive=["yes"]),
    ]
    result = analyse_reading(answers, items, reference=reference)
    conf, dissection = result.items
    assert result.reference == "table" and conf.arms == ["arm 0", "arm 1"] and len(conf.readers) == 5
    # the same OR/Hillis analysis as the ratings CSV (OR-DBM: F 4.46 on 1 and 15.26 df, p 0.0517)
    assert conf.mrmc is not None and conf.mrmc.analyses[0].test is not None
    test = conf.mrmc.analyses[0].test
    assert (round(test.statistic or 0, 2), round(test.df2 or 0, 2), round(test.p or 0, 4)) == (4.46, 15.26, 0.0517)
    assert len(conf.mrmc.curves) == 10 and conf.mrmc.curves[0].reader == "r0"
    # accuracy per reader and arm: the AUC of reader 0 in arm 0 is OR-DBM's 0.91964573
    first = conf.accuracy[0]
    assert (first.reader, first.arm, first.n) == ("r0", "arm 0", 114)
    assert first.auc is not None and round(first.auc.estimate, 8) == 0.91964573
    assert first.sensitivity is not None and first.sensitivity.total == 45 and first.specificity is not None
    assert 0 <= first.sensitivity.ci_low <= first.sensitivity.value <= first.sensitivity.ci_high <= 1
    # agreement per arm: Fleiss over the five, then Cohen plus linear and quadratic kappa per pair
    measures = conf.inter_rater[0].measures
    assert measures[0].measure == "fleiss kappa" and measures[0].raters == conf.readers
    assert [m.measure for m in measures[1:4]] == [
        "cohen kappa",
        "weighted kappa (linear)",
        "weighted kappa (quadratic)",
    ]
    assert len(measures) == 1 + 3 * 10
    # the yes/no item has no reference of its own: agreement only
    assert dissection.accuracy == [] and dissection.mrmc is None and len(dissection.inter_rater) == 2
    json.loads(result.model_dump_json())  # JSON-able as the page receives it


def test_reference_reader_repetitions_numbers_and_notes() -> None:
    answers = []
    truth = {f"c{i}": i % 2 for i in range(8)}
    for case, t in truth.items():
        answers.append(Answer(reader="expert", arm="A", case=case, item="finding", value="lesion" if t else "none"))
        for reader, bias in (("ann", 0.0), ("bob", 0.5)):
            score = 10 * t + int(case[1:]) + bias
            answers.append(Answer(reader=reader, arm="A", case=case, item="size", value=score))
            answers.append(Answer(reader=reader, arm="A", case=case, item="size", value=score + 0.2, repetition=1))
            answers.append(Answer(reader=reader, arm="A", case=case, item="finding", value="lesion" if t else "none"))
    answers.append(Answer(reader="ann", arm="A", case="c0", item="size", value="big"))  # not a number
    items = [ItemSpec(name="finding", kind="categorical", positive=["lesion"]), ItemSpec(name="size", kind="numeric")]
    result = analyse_reading(answers, items, reference_reader="expert")
    finding, size = result.items
    assert result.reference == "reader expert" and finding.readers == ["ann", "bob"]  # the expert is the truth
    assert finding.accuracy[0].sensitivity is not None and finding.accuracy[0].sensitivity.value == 1.0
    assert finding.inter_rater[0].measures[0].value == 1.0  # ann and bob agree on every case
    # size: ICC of the pair; intra-rater ICC from the two repetitions of each reader
    assert [m.measure for m in size.inter_rater[0].measures] == ["icc(2,1)"]
    assert [(p.reader, p.measures[0].measure) for p in size.intra_rater] == [("ann", "icc(2,1)"), ("bob", "icc(2,1)")]
    assert size.intra_rater[0].measures[0].value is not None and size.intra_rater[0].measures[0].value > 0.99
    assert size.notes == ["1 answer(s) that are not numbers left out"]
    # the expert answered "finding", not "size": no truth for size, so no accuracy
    assert size.accuracy == [] and size.mrmc is None


def test_contradictory_requests_are_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="not both"):
        analyse_reading([], [], reference=[], reference_reader="x")
    with pytest.raises(InvalidInput, match="need its levels"):
        analyse_reading([], [ItemSpec(name="q", kind="ordinal", positive=["high"])])
    with pytest.raises(InvalidInput, match="covariance"):
        analyse_reading([], [], covariance="bootstrap")  # type: ignore[arg-type]


def test_the_reference_csv_is_read_with_clear_errors() -> None:
    rows = parse_reference_csv("# truth from pathology\ncase;item;value\nP1#S1;finding;yes\nP2#S1;finding;0\n")
    assert [(r.case, r.item, r.value) for r in rows] == [("P1#S1", "finding", "yes"), ("P2#S1", "finding", "0")]
    for text, message in [
        ("", "empty"),
        ("case,value\nP1#S1,1\n", "lacks the column\\(s\\) item"),
        ("case,item,value\nP1#S1,finding,1\nP1#S1,finding,0\n", "line 3: a second reference for case 'P1#S1'"),
        ("case,item,value\nP1#S1,,1\n", "line 2: case, item and value must not be empty"),
        ("case,item,value\nP1#S1,finding\n", "line 2: 2 fields"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            parse_reference_csv(text)
