"""The order of a reading's cases: sort, random none|full|idhash, per patient, repetitions and crossover."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from nora.reading.cases import Case, first_arm, ordered, slots
from nora.reading.config import Configuration

CASES = [Case(i, f"P{i // 2:02d}", f"S{i % 2}", dt.date(2024, 1, 30 - i)) for i in range(12)]


def config(viewer: dict[str, Any] | None = None, **reading: Any) -> Configuration:
    return Configuration.model_validate({"reading": {"mode_serious": {}, **reading}, "viewer": viewer or {}})


def labels(cases: list[Case]) -> list[str]:
    return [c.label for c in cases]


def test_without_randomisation_the_viewer_sort_order_and_direction_decide() -> None:
    assert labels(ordered(config(), CASES[::-1], reader=1, seed="", repetition=1)) == labels(CASES)
    by_date = ordered(config({"sortOrder": "date"}), CASES, reader=1, seed="", repetition=1)
    assert labels(by_date) == labels(CASES[::-1])
    desc = ordered(config({"sortOrder": "sid", "sortDirection": "desc"}), CASES, reader=1, seed="", repetition=1)
    assert [c.sid for c in desc[:6]] == ["S1"] * 6 and desc[0].pid == "P05"


def test_idhash_is_reproducible_for_every_reader_and_session_and_differs_by_repetition() -> None:
    c = config(random="idhash")
    one = ordered(c, CASES, reader=1, seed="a", repetition=1)
    assert labels(one) == labels(ordered(c, CASES[::-1], reader=2, seed="b", repetition=1))
    assert labels(one) != labels(CASES) and sorted(labels(one)) == sorted(labels(CASES))
    assert labels(ordered(c, CASES, reader=1, seed="a", repetition=2)) != labels(one)


def test_full_is_a_new_order_per_reader_and_session_seed() -> None:
    c = config(random="full")
    first = labels(ordered(c, CASES, reader=1, seed="s1", repetition=1))
    assert first == labels(ordered(c, CASES, reader=1, seed="s1", repetition=1))  # the same session
    others = {tuple(labels(ordered(c, CASES, reader=r, seed=s, repetition=1))) for r, s in ((1, "s2"), (2, "s1"))}
    assert tuple(first) not in others


def test_randomising_per_patient_keeps_a_patients_studies_together() -> None:
    c = config(random="full", randomize="patient")
    order = ordered(c, CASES, reader=3, seed="x", repetition=1)
    pids = [k.pid for k in order]
    assert all(pids[i] == pids[i + 1] for i in range(0, 12, 2))
    assert [k.sid for k in order] == ["S0", "S1"] * 6  # in sort order within the patient
    assert pids[::2] != sorted(pids[::2])


def test_repetitions_repeat_every_case_in_an_order_of_their_own() -> None:
    c = config(random="idhash", repetitions=2)
    got = slots(c, "R", "serious", CASES, reader=1, seed="")
    assert [s.repetition for s in got] == [1] * 12 + [2] * 12 and [s.index for s in got] == list(range(24))
    assert Counter(s.case.label for s in got) == Counter({c.label: 2 for c in CASES})
    assert labels([s.case for s in got[:12]]) != labels([s.case for s in got[12:]])


def test_crossover_gives_each_reader_half_the_cases_in_each_arm_first_and_the_other_arm_after() -> None:
    c = config(crossover={"arms": [{"name": "unaided"}, {"name": "ai"}], "washoutDays": 28})
    for reader in (1, 2):
        got = slots(c, "R", "serious", CASES, reader=reader, seed="")
        one, two = [s for s in got if s.period == 1], [s for s in got if s.period == 2]
        assert len(one) == len(two) == 12
        assert Counter(s.arm for s in one) == Counter({"unaided": 6, "ai": 6})
        arm_one = {s.case.label: s.arm for s in one}
        assert all(arm_one[s.case.label] != s.arm for s in two)
    r1, r2 = first_arm("R", CASES, 1), first_arm("R", CASES, 2)
    assert all(r1[k] != r2[k] for k in r1)  # readers alternate: each case is read first in both arms
    assert slots(c, "R", "training", CASES, reader=1, seed="")[0].arm == ""  # the training stage has no arms
