"""Agreement of two readers' markers of one case: one-to-one matching by distance, then detection figures.

Two marker sets ``a`` (the reference, or the first reader of a pair) and ``b`` (world mm, as saved) are
matched one to one: among all pairings that join only markers at most ``tolerance`` mm apart, the one with
the most pairs, and of those the smallest summed distance (an optimal assignment, the Hungarian method of
:func:`scipy.optimize.linear_sum_assignment`). A distance of exactly ``tolerance`` still matches. With
``by_label`` only markers of the same name (label) are paired. Sets of up to a few hundred markers are
assigned at once; larger ones split first into groups of markers linked by distances within the tolerance
(connected components, since no pair crosses two groups) and each group is assigned on its own, so a case
of thousands of scattered markers stays cheap (benchmarks/markers.py).

From ``k`` matched pairs of ``n_a`` and ``n_b`` markers: sensitivity ``k / n_a`` (the reference's markers
found), precision ``k / n_b`` (the reader's markers that are right) and F1 ``2k / (n_a + n_b)``, which is
symmetric (the positive specific agreement of two readers); each is None where its denominator is 0. A pair
of readers summarises its cases by pooling them: the counts summed, then the same three ratios, the mean
and the largest distance of all matched pairs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from nora.core.errors import InvalidInput
from nora.reading.analysis.schemas import MarkerCase, MarkerMatch, MarkerPairSummary

DEFAULT_TOLERANCE_MM = 5.0
#: up to this many marker pairs (n x m) one assignment on the whole distance matrix is quickest
DENSE_CELLS = 250_000
#: the most markers of one group linked within the tolerance that are assigned at once (a dense n x m cost)
MAX_GROUP = 2_000


@dataclass(frozen=True)
class Marker:
    """One marker as matched: its name (label) and world position in mm."""

    name: str
    x: float
    y: float
    z: float


Points = npt.NDArray[np.float64]


def _xyz(points: Sequence[Marker]) -> Points:
    return np.array([[p.x, p.y, p.z] for p in points], dtype=np.float64).reshape(len(points), 3)


def _dense(pa: Points, pb: Points, tolerance: float) -> list[tuple[int, int, float]]:
    """One assignment on the whole distance matrix: the most pairs within ``tolerance``, then the shortest."""
    d = np.linalg.norm(pa[:, None, :] - pb[None, :, :], axis=2)
    inside = d <= tolerance
    # a pairing beyond the tolerance costs more than any set of pairings within it: the assignment
    # first takes as many pairs within the tolerance as there can be, then the shortest ones
    penalty = tolerance * min(len(pa), len(pb)) + 1.0
    r, c = linear_sum_assignment(np.where(inside, d, penalty))
    return [(int(i), int(j), float(d[i, j])) for i, j in zip(r, c, strict=True) if inside[i, j]]


def _groups(pa: Points, pb: Points, tolerance: float) -> list[tuple[list[int], list[int]]]:
    """The markers linked by distances within the tolerance (connected components), with a partner each."""
    # a hair wider, so that no pair the exact test of _dense accepts falls between two groups by rounding
    reach = cKDTree(pb).query_ball_point(pa, tolerance * (1 + 1e-9))
    links = [(i, int(j)) for i, js in enumerate(reach) for j in js]
    if not links:
        return []
    rows, cols = (np.array(v) for v in zip(*links, strict=True))
    n = len(pa)
    graph = coo_matrix((np.ones(len(rows)), (rows, n + cols)), shape=(n + len(pb),) * 2)
    _, group = connected_components(graph, directed=False)
    members: dict[int, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for index, g in enumerate(group.tolist()):
        members[g][index >= n].append(index if index < n else index - n)
    return [(la, lb) for la, lb in members.values() if la and lb]


def _assign(pa: Points, pb: Points, tolerance: float) -> list[tuple[int, int, float]]:
    """The most pairs within ``tolerance``, least summed distance: (index in a, index in b, distance)."""
    if not len(pa) or not len(pb):
        return []
    if len(pa) * len(pb) <= DENSE_CELLS:
        return _dense(pa, pb, tolerance)
    out: list[tuple[int, int, float]] = []
    for la, lb in _groups(pa, pb, tolerance):
        if max(len(la), len(lb)) > MAX_GROUP:
            raise InvalidInput(f"over {MAX_GROUP} markers lie within the tolerance of each other: give a smaller one")
        ia, ib = np.array(la), np.array(lb)
        out += [(int(ia[i]), int(ib[j]), d) for i, j, d in _dense(pa[ia], pb[ib], tolerance)]
    return sorted(out)


def _ratio(k: int, total: int) -> float | None:
    return k / total if total else None


def match_markers(
    a: Sequence[Marker], b: Sequence[Marker], *, tolerance: float = DEFAULT_TOLERANCE_MM, by_label: bool = False
) -> list[MarkerMatch]:
    """The one-to-one matches of markers ``a`` and ``b`` (see the module doc), in ``a``'s order."""
    if not np.isfinite(tolerance) or tolerance <= 0:
        raise InvalidInput(f"the marker tolerance must be a positive number of mm, not {tolerance}")
    groups: dict[str, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    if by_label:
        for side, points in enumerate((a, b)):
            for index, p in enumerate(points):
                groups[p.name][side].append(index)
    else:
        groups[""] = (list(range(len(a))), list(range(len(b))))
    matches: list[MarkerMatch] = []
    for ia, ib in groups.values():
        pa, pb = _xyz([a[i] for i in ia]), _xyz([b[j] for j in ib])
        for i, j, distance in _assign(pa, pb, tolerance):
            ka, kb = ia[i], ib[j]
            matches.append(MarkerMatch(a=ka, b=kb, a_name=a[ka].name, b_name=b[kb].name, distance_mm=distance))
    return sorted(matches, key=lambda m: m.a)


def marker_case(
    case: str,
    a: Sequence[Marker],
    b: Sequence[Marker],
    *,
    tolerance: float = DEFAULT_TOLERANCE_MM,
    by_label: bool = False,
) -> MarkerCase:
    """The figures of one case: counts, matched pairs, sensitivity, precision, F1, mean and largest distance."""
    matches = match_markers(a, b, tolerance=tolerance, by_label=by_label)
    distances = [m.distance_mm for m in matches]
    k = len(matches)
    return MarkerCase(
        case=case,
        n_a=len(a),
        n_b=len(b),
        matched=k,
        sensitivity=_ratio(k, len(a)),
        precision=_ratio(k, len(b)),
        f1=_ratio(2 * k, len(a) + len(b)),
        mean_mm=float(np.mean(distances)) if distances else None,
        max_mm=max(distances) if distances else None,
        matches=matches,
    )


def summarise_marker_pairs(results: Iterable[tuple[tuple[str, str], MarkerCase]]) -> list[MarkerPairSummary]:
    """Per reader pair, its cases pooled: summed counts, their ratios, mean and largest matched distance."""
    by_pair: dict[tuple[str, str], list[MarkerCase]] = {}
    for raters, case in results:
        by_pair.setdefault(raters, []).append(case)
    out = []
    for raters, cases in by_pair.items():
        n_a, n_b = sum(c.n_a for c in cases), sum(c.n_b for c in cases)
        k = sum(c.matched for c in cases)
        distances = [m.distance_mm for c in cases for m in c.matches]
        out.append(
            MarkerPairSummary(
                raters=list(raters),
                n=len(cases),
                n_a=n_a,
                n_b=n_b,
                matched=k,
                sensitivity=_ratio(k, n_a),
                precision=_ratio(k, n_b),
                f1=_ratio(2 * k, n_a + n_b),
                mean_mm=float(np.mean(distances)) if distances else None,
                max_mm=max(distances) if distances else None,
                cases=cases,
            )
        )
    return out
