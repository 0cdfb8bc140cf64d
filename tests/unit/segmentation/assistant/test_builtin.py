"""The built-in backend on tiny volumes: clicks improve the result, undo and reset are exact, two planes
refine one result through world coordinates, a prior is refined by negative clicks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from nora.core.errors import InvalidInput
from nora.segmentation.assistant.builtin import BuiltinSession
from nora.segmentation.assistant.encoding import pack, unpack
from nora.segmentation.assistant.evaluation import clicks_to_reach, dice, next_click
from nora.segmentation.assistant.interactions import (
    BoxIn,
    LassoIn,
    PointsIn,
    ScribbleIn,
    VoxelInteraction,
    mask_interaction,
    to_voxels,
)

#: voxel -> RAS mm of an oblique-free but flipped, anisotropic, shifted grid (x flipped, 2 mm slices)
AFFINE = np.array([[-1.0, 0, 0, 20.0], [0, 1.0, 0, -15.0], [0, 0, 2.0, -10.0], [0, 0, 0, 1]])


def _world(affine: np.ndarray[Any, Any], voxel: tuple[float, float, float]) -> list[float]:
    return [float(v) for v in (affine @ [*voxel, 1.0])[:3]]


def phantom() -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """A 40x40x20 image: structure A (a bright ball) and B (a box almost as bright, touching A)."""
    rng = np.random.default_rng(3)
    i, j, k = np.indices((40, 40, 20))
    a = (i - 14) ** 2 + (j - 20) ** 2 + ((k - 10) * 2) ** 2 <= 81
    b = (i >= 22) & (i < 34) & (j >= 12) & (j < 28) & (k >= 4) & (k < 16) & ~a
    image = 20 + 80 * a + 77 * b + rng.normal(0, 2, a.shape)
    return image.astype(np.float32), a, b


def click(voxel: tuple[int, int, int], positive: bool = True) -> list[VoxelInteraction]:
    return [VoxelInteraction("point", positive, np.array([voxel]))]


def test_a_click_sequence_improves_dice_to_the_structure() -> None:
    image, a, _ = phantom()
    s = BuiltinSession(image)
    noc, curve = clicks_to_reach(lambda c: s.add(click(c.voxel, c.positive)), a, (0.85, 0.95), budget=6)
    assert curve[-1] > 0.95 and noc[0.85] <= 3 and curve[0] < 0.7  # the first click leaks into B


def test_undo_restores_the_previous_result_exactly_and_reset_empties_it() -> None:
    image, a, b = phantom()
    s = BuiltinSession(image)
    first = s.add(click((14, 20, 10))).copy()
    second = s.add(click((28, 20, 10), positive=False)).copy()
    assert dice(second, a) > dice(first, a) + 0.15
    assert np.array_equal(s.undo(), first)
    assert np.array_equal(s.add(click((28, 20, 10), positive=False)), second)
    assert not s.reset().any() and s.steps == []


def test_a_point_in_the_axial_view_and_a_box_in_the_coronal_view_refine_one_result() -> None:
    image, a, b = phantom()
    s = BuiltinSession(image)
    shape = (40, 40, 20)
    point = PointsIn(kind="points", points=[_world(AFFINE, (14, 20, 10))], positive=[True])
    joined = s.add(to_voxels(point, AFFINE, shape)).copy()
    assert joined[a].mean() > 0.95 and joined[b].mean() > 0.5  # B is grown into: similar intensity, touching
    # a negative box over B on the coronal plane through voxel row j = 20 (world y constant)
    y = _world(AFFINE, (0, 20, 0))[1]
    corners = [_world(AFFINE, (22, 20, 4)), _world(AFFINE, (33, 20, 15))]
    box = BoxIn(kind="box", plane="coronal", corners=[[c[0], y, c[2]] for c in corners], positive=False)
    step = to_voxels(box, AFFINE, shape)
    assert step[0].box == ((22, 20, 4), (33, 20, 15))  # the slab is the one voxel row of the coronal plane
    refined = s.add(step)
    assert dice(refined, a) > dice(joined, a) + 0.2 and refined[a].mean() > 0.9 and refined[b].mean() < 0.25


def test_a_positive_box_alone_segments_what_it_holds_and_nothing_outside_it_on_its_slice() -> None:
    image, a, _ = phantom()
    s = BuiltinSession(image)
    z = _world(AFFINE, (0, 0, 10))[2]
    corners = [_world(AFFINE, (4, 10, 10)), _world(AFFINE, (22, 30, 10))]
    box = BoxIn(kind="box", plane="axial", corners=[[c[0], c[1], z] for c in corners])
    result = s.add(to_voxels(box, AFFINE, (40, 40, 20)))
    assert dice(result, a) > 0.8
    outside = np.ones((40, 40), dtype=bool)
    outside[4:23, 10:31] = False
    assert result[:, :, 10].any() and not result[:, :, 10][outside].any()


def test_scribbles_and_lassos_become_voxels_on_their_plane() -> None:
    shape = (40, 40, 20)
    line = ScribbleIn(kind="scribble", points=[_world(AFFINE, (10, 20, 10)), _world(AFFINE, (18, 20, 10))])
    (scribble,) = to_voxels(line, AFFINE, shape)
    assert sorted(map(tuple, scribble.voxels.tolist())) == [(i, 20, 10) for i in range(10, 19)]
    z = _world(AFFINE, (0, 0, 10))[2]
    square = [_world(AFFINE, v) for v in ((10, 10, 10), (20, 10, 10), (20, 20, 10), (10, 20, 10))]
    (lasso,) = to_voxels(LassoIn(kind="lasso", plane="axial", points=[[p[0], p[1], z] for p in square]), AFFINE, shape)
    assert set(lasso.voxels[:, 2].tolist()) == {10} and 81 <= len(lasso.voxels) <= 121
    assert lasso.plane_voxels is not None and len(lasso.plane_voxels) > len(lasso.voxels)


def test_interactions_outside_the_image_are_refused() -> None:
    outside = PointsIn(kind="points", points=[_world(AFFINE, (45, 20, 10))], positive=[True])
    with pytest.raises(InvalidInput, match="outside the image"):
        to_voxels(outside, AFFINE, (40, 40, 20))
    with pytest.raises(ValueError, match="one sign per point"):
        PointsIn(kind="points", points=[[0, 0, 0], [1, 1, 1]], positive=[True])


def test_a_negative_click_removes_the_wrong_part_of_a_loose_initial_mask() -> None:
    from scipy import ndimage

    image, a, _ = phantom()
    s = BuiltinSession(image)
    loose = ndimage.binary_dilation(a, iterations=3)  # a model's output three voxels too wide
    prior = s.add([mask_interaction(loose, True)]).copy()
    assert np.array_equal(prior, loose) and dice(prior, a) < 0.6
    c = next_click(prior, a)
    assert c is not None and not c.positive
    assert dice(s.add(click(c.voxel, c.positive)), a) > 0.8


def test_the_packed_result_round_trips() -> None:
    _, a, b = phantom()
    for mask in (a, a | b, np.zeros_like(a)):
        packed = pack(mask)
        assert packed.voxels == int(mask.sum())
        assert np.array_equal(unpack(packed, mask.shape), mask)
    assert pack(a).lo == (5, 11, 6) and pack(a).hi == (23, 29, 14)


def test_the_sessions_reuse_gives_the_same_results_as_computing_every_step_anew() -> None:
    """A large structure (it reaches beyond the region around its clicks): negative clicks reuse the kept
    growth and graph, more positive clicks start from the coarse reach, undo reuses the kept growth; every
    result equals the one computed from scratch."""
    rng = np.random.default_rng(5)
    i, j, k = np.indices((96, 96, 40))
    big = ((i - 48) ** 2 / 40**2 + (j - 48) ** 2 / 38**2 + (k - 20) ** 2 / 16**2) <= 1
    dark = (i - 60) ** 2 + (j - 40) ** 2 + (k - 20) ** 2 <= 36  # a darker blob inside it
    image = (20 + 80 * big - 30 * dark + rng.normal(0, 3, big.shape)).astype(np.float32)
    kept, fresh = BuiltinSession(image), BuiltinSession(image, reuse=False)
    steps = [((30, 48, 20), True), ((60, 40, 20), False), ((48, 70, 22), True), ((48, 30, 18), False)]
    for voxel, positive in steps:
        assert np.array_equal(kept.add(click(voxel, positive)), fresh.add(click(voxel, positive)))
    assert kept.large[-1], "the structure is large: the coarse reach ran"
    assert dice(kept.result, big & ~dark) > 0.8
    assert np.array_equal(kept.undo(), fresh.undo()) and np.array_equal(kept.undo(), fresh.undo())
    assert kept.memo.hits > 0 and fresh.memo.hits == 0 and kept.memo.nbytes > 0
    assert kept.nbytes > fresh.nbytes  # what is kept is counted in the session's memory
    # more positive clicks of the large structure, one in the darker blob (a new intensity group widens
    # the band): each growth extends the last one, and equals the one labelled anew
    for voxel, positive in [((40, 60, 20), True), ((60, 40, 20), True), ((20, 48, 20), True), ((70, 60, 25), False)]:
        assert np.array_equal(kept.add(click(voxel, positive)), fresh.add(click(voxel, positive)))
    assert kept.memo.extended >= 2 and fresh.memo.extended == 0
    assert np.array_equal(kept.undo(), fresh.undo()) and np.array_equal(kept.undo(), fresh.undo())
    assert np.array_equal(kept.add(click((30, 30, 20), True)), fresh.add(click((30, 30, 20), True)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_extending_a_growth_gives_the_components_labelling_would(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both ways of :func:`builtin._extend` (the new voxels as a graph, and labelling the crop) against
    labelling the wider band whole, on random bands (a band within a wider one, anchors added)."""
    from nora.imaging.roi import neighbourhood
    from nora.segmentation.assistant import builtin
    from nora.segmentation.assistant.regions import reached

    rng = np.random.default_rng(seed)
    values = rng.random((30, 26, 22)).astype(np.float32)
    structure = neighbourhood(values.shape)
    narrow, wide = values < 0.3, values < 0.36
    anchors = np.argwhere(narrow)[rng.choice(int(narrow.sum()), 5, replace=False)]
    old = reached(narrow, anchors, structure)
    more = np.concatenate([anchors, np.argwhere(wide & ~narrow)[:3]])
    want = reached(wide, more, structure)
    assert not np.array_equal(want, old)
    assert np.array_equal(builtin._extend(wide, old, more, structure), want)
    monkeypatch.setattr(builtin, "SPARSE_REST", 0)  # the labelling way
    assert np.array_equal(builtin._extend(wide, old, more, structure), want)
