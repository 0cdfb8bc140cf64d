"""Marker matching on hand-placed coordinates whose answer is known: counts, ratios, ties, the tolerance edge."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from nora.core.errors import InvalidInput
from nora.reading.analysis import markers
from nora.reading.analysis.markers import Marker, marker_case, match_markers, summarise_marker_pairs


def m(x: float, y: float = 0.0, z: float = 0.0, name: str = "") -> Marker:
    return Marker(name, x, y, z)


def test_two_readers_markers_matched_one_to_one_with_sensitivity_precision_and_f1() -> None:
    # reference: 3 lesions; reader: two of them 1 mm and 2 mm off, one 40 mm from anything, a fourth far off
    ref = [m(0), m(50), m(100, 100)]
    reader = [m(49, 0, 0), m(0, 2, 0), m(-40), m(100, 100, 40)]
    c = marker_case("c1", ref, reader, tolerance=5)
    assert (c.n_a, c.n_b, c.matched) == (3, 4, 2)
    assert [(x.a, x.b, x.distance_mm) for x in c.matches] == [(0, 1, 2.0), (1, 0, 1.0)]
    assert c.sensitivity == pytest.approx(2 / 3) and c.precision == 0.5 and c.f1 == pytest.approx(4 / 7)
    assert (c.mean_mm, c.max_mm) == (1.5, 2.0)


def test_the_tolerance_edge_matches_and_a_hair_beyond_does_not() -> None:
    # (3, 4, 0) is exactly 5 mm from the origin
    assert [x.distance_mm for x in match_markers([m(0)], [m(3, 4)], tolerance=5)] == [5.0]
    assert match_markers([m(0)], [m(3, 4.000001)], tolerance=5) == []
    assert match_markers([m(0)], [m(3, 4)], tolerance=4.999) == []
    assert [x.distance_mm for x in match_markers([m(1, 2, 3)], [m(1, 2, 3)], tolerance=5)] == [0.0]


def test_no_markers_on_one_side_or_both() -> None:
    c = marker_case("c", [m(0), m(9)], [], tolerance=5)
    assert (c.matched, c.sensitivity, c.precision, c.f1, c.mean_mm, c.max_mm) == (0, 0.0, None, 0.0, None, None)
    c = marker_case("c", [], [m(0)], tolerance=5)
    assert (c.sensitivity, c.precision, c.f1) == (None, 0.0, 0.0)
    c = marker_case("c", [], [], tolerance=5)
    assert (c.n_a, c.n_b, c.matched, c.sensitivity, c.precision, c.f1) == (0, 0, 0, None, None, None)


def test_the_assignment_takes_the_most_pairs_before_the_shortest() -> None:
    # a greedy nearest-first match pairs a0-b0 (1 mm) and leaves a1 alone (b0 is its only neighbour within
    # 5 mm; b1 is 8 mm away); the optimum pairs a0-b1 (4 mm) and a1-b0 (3 mm): two matches
    a = [m(0), m(4)]
    b = [m(1), m(-4)]
    assert [(x.a, x.b) for x in match_markers(a, b, tolerance=5)] == [(0, 1), (1, 0)]
    # among assignments with as many pairs, the least summed distance: a0-b0 + a1-b1 (1 + 1) over 3 + 3
    a, b = [m(0), m(4)], [m(1), m(3)]
    assert [(x.a, x.b, x.distance_mm) for x in match_markers(a, b, tolerance=5)] == [(0, 0, 1.0), (1, 1, 1.0)]


def test_ties_give_one_match_and_the_same_answer_every_time() -> None:
    # one reference marker exactly between two of the reader's: one match at 3 mm, one false positive
    runs = {tuple((x.a, x.b) for x in match_markers([m(0)], [m(-3), m(3)], tolerance=5)) for _ in range(5)}
    assert len(runs) == 1 and len(next(iter(runs))) == 1
    c = marker_case("c", [m(0)], [m(-3), m(3)], tolerance=5)
    assert (c.matched, c.max_mm, c.precision) == (1, 3.0, 0.5)


def test_matching_by_label_pairs_only_markers_of_the_same_name() -> None:
    a = [m(0, name="AC"), m(30, name="PC")]
    b = [m(1, name="PC"), m(29, name="AC")]
    assert len(match_markers(a, b, tolerance=5)) == 2
    assert match_markers(a, b, tolerance=5, by_label=True) == []
    b = [m(1, name="AC"), m(2, name="AC"), m(31, name="PC")]
    got = [(x.a_name, x.b_name, x.distance_mm) for x in match_markers(a, b, tolerance=5, by_label=True)]
    assert got == [("AC", "AC", 1.0), ("PC", "PC", 1.0)]


def test_the_matching_is_the_brute_force_optimum_on_random_clusters() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        a = [m(*p) for p in rng.uniform(0, 12, (5, 3))]
        b = [m(*p) for p in rng.uniform(0, 12, (4, 3))]
        got = match_markers(a, b, tolerance=5)
        best = (0, 0.0)
        for perm in itertools.permutations(range(len(a)), len(b)):
            d = [float(np.linalg.norm(np.subtract(astuple(a[i]), astuple(b[j])))) for j, i in enumerate(perm)]
            inside = [x for x in d if x <= 5]
            best = max(best, (len(inside), -sum(inside)))
        assert (len(got), -sum(x.distance_mm for x in got)) == pytest.approx(best)


def test_large_sets_assigned_group_by_group_give_the_whole_assignment(monkeypatch: pytest.MonkeyPatch) -> None:
    # clusters of markers 30 mm apart, so they fall into separate groups; dense inside each cluster
    rng = np.random.default_rng(3)
    centres = np.array([[30.0 * i, 0, 0] for i in range(8)])
    a = [m(*p) for c in centres for p in c + rng.uniform(-4, 4, (6, 3))]
    b = [m(*p) for c in centres for p in c + rng.uniform(-4, 4, (5, 3))] + [m(500)]
    whole = [(x.a, x.b, x.distance_mm) for x in match_markers(a, b, tolerance=5)]
    monkeypatch.setattr(markers, "DENSE_CELLS", 0)
    grouped = [(x.a, x.b, x.distance_mm) for x in match_markers(a, b, tolerance=5)]
    assert len(grouped) == len(whole) > 20
    assert sum(d for *_, d in grouped) == pytest.approx(sum(d for *_, d in whole))
    monkeypatch.setattr(markers, "MAX_GROUP", 10)
    with pytest.raises(InvalidInput, match="give a smaller one"):
        match_markers(a, b, tolerance=40)


def astuple(p: Marker) -> tuple[float, float, float]:
    return (p.x, p.y, p.z)


def test_a_pair_of_readers_pools_its_cases() -> None:
    one = marker_case("c1", [m(0), m(20)], [m(1)], tolerance=5)  # 1 of 2, 1 mm
    two = marker_case("c2", [m(0)], [m(3), m(40)], tolerance=5)  # 1 of 1, 2 placed, 3 mm
    three = marker_case("c3", [], [], tolerance=5)
    (s,) = summarise_marker_pairs([(("ref", "r1"), one), (("ref", "r1"), two), (("ref", "r1"), three)])
    assert (s.raters, s.n, s.n_a, s.n_b, s.matched) == (["ref", "r1"], 3, 3, 3, 2)
    assert s.sensitivity == pytest.approx(2 / 3) and s.precision == pytest.approx(2 / 3)
    assert s.f1 == pytest.approx(4 / 6) and (s.mean_mm, s.max_mm) == (2.0, 3.0)
    assert [c.case for c in s.cases] == ["c1", "c2", "c3"]


@pytest.mark.parametrize("tolerance", [0.0, -1.0, float("nan"), float("inf")])
def test_a_tolerance_that_is_not_a_positive_distance_is_refused(tolerance: float) -> None:
    with pytest.raises(InvalidInput, match="positive number of mm"):
        match_markers([m(0)], [m(1)], tolerance=tolerance)
