"""ROI operations and statistics (nora.imaging.roi) against shapes whose answer is known by construction."""

from __future__ import annotations

import numpy as np
import pytest

from nora.core.errors import InvalidInput
from nora.imaging import roi


def cube(shape: tuple[int, int, int] = (20, 20, 20), lo: int = 5, hi: int = 15) -> roi.Mask:
    m = np.zeros(shape, dtype=bool)
    m[lo:hi, lo:hi, lo:hi] = True
    return m


def test_erode_and_dilate_use_the_six_neighbourhood() -> None:
    m = np.zeros((9, 9, 9), dtype=bool)
    m[4, 4, 4] = True
    grown = roi.morphology(m, "dilate")
    assert grown.sum() == 7  # the voxel and its 6 face neighbours, no edge or corner neighbours
    assert grown[3, 4, 4] and grown[4, 4, 5] and not grown[3, 3, 4]
    assert roi.morphology(grown, "erode").sum() == 1
    assert roi.morphology(cube(), "erode").sum() == 8**3
    assert roi.morphology(cube(), "dilate", iterations=2).sum() > 10**3


def test_opening_removes_a_thin_blob_and_closing_fills_a_gap_at_the_border() -> None:
    m = cube()
    m[0:2, 0:2, 0:4] = True  # a blob two voxels thin: gone after one erosion
    opened = roi.morphology(m, "open")
    assert not opened[0:2, 0:2, 0:4].any() and opened[6:14, 6:14, 6:14].all() and opened[5, 10, 10]
    gap = np.zeros((10, 10, 10), dtype=bool)
    gap[:, :, :4] = True
    gap[:, :, 5:] = True  # a one-voxel slab missing, touching every border of the grid
    closed = roi.morphology(gap, "close")
    assert closed.all()


def test_2d_roi_uses_the_in_plane_neighbourhood() -> None:
    m = np.zeros((9, 9, 1), dtype=bool)
    m[2:7, 2:7, 0] = True
    eroded = roi.morphology(m, "erode")
    assert eroded.sum() == 9  # 3x3 left: the single slice is not eroded away through its missing neighbours
    assert roi.morphology(eroded, "dilate").sum() == 9 + 12
    assert roi.is_2d(m.shape) and not roi.is_2d((9, 9, 9))


def test_set_operations() -> None:
    a = np.zeros((4, 4, 4), dtype=bool)
    b = np.zeros((4, 4, 4), dtype=bool)
    a[:2] = True
    b[1:3] = True
    assert roi.combine(a, b, "union").sum() == 48
    assert roi.combine(a, b, "intersection").sum() == 16
    assert roi.combine(a, b, "difference").sum() == 16 and not roi.combine(a, b, "difference")[1].any()
    with pytest.raises(InvalidInput, match="different matrices"):
        roi.combine(a, np.zeros((4, 4, 5), dtype=bool), "union")
    with pytest.raises(InvalidInput, match="unknown set operation"):
        roi.combine(a, b, "xor")  # type: ignore[arg-type]


def test_remove_salt_keeps_components_of_the_given_size() -> None:
    m = cube()
    m[0, 0, 0] = True  # salt: one voxel
    m[0, 19, 0] = m[0, 18, 0] = True  # two voxels
    m[19, 19, 19] = m[18, 18, 19] = True  # two separate voxels (edge-connected only)
    cleaned = roi.remove_salt(m, 2)
    assert cleaned.sum() == 1000 + 2
    assert not cleaned[0, 0, 0] and cleaned[0, 19, 0] and not cleaned[19, 19, 19]
    assert roi.remove_salt(m, 1001).sum() == 0
    assert roi.components(m)[1] == 5
    with pytest.raises(InvalidInput):
        roi.remove_salt(m, 0)


def test_fill_holes_fills_enclosed_cavities_only() -> None:
    shell = cube() & ~cube(lo=7, hi=13)
    assert roi.fill_holes(shell).sum() == 1000
    open_cup = shell.copy()
    open_cup[9:11, 9:11, 13:15] = False  # a channel from the cavity to the outside
    assert roi.fill_holes(open_cup).sum() == open_cup.sum()


def test_region_grow_is_connected_and_bounded_by_the_range() -> None:
    image = np.zeros((20, 20, 20), dtype=np.float32)
    image[cube()] = 100
    image[0:3, 0:3, 0:3] = 100  # same intensity, not connected
    grown = roi.region_grow(image, (10, 10, 10), 50, 150)
    assert grown.sum() == 1000 and not grown[1, 1, 1]
    assert roi.region_grow(image, (0, 0, 19), 50, 150).sum() == 0  # seed outside the range
    plane = np.zeros(image.shape, dtype=bool)
    plane[:, :, 10] = True
    assert roi.region_grow(image, (10, 10, 10), 50, 150, within=plane).sum() == 100
    with pytest.raises(InvalidInput, match="outside the image"):
        roi.region_grow(image, (20, 0, 0), 0, 1)
    with pytest.raises(InvalidInput, match="above the upper"):
        roi.region_grow(image, (1, 1, 1), 2, 1)


def test_stats_on_the_same_grid_match_numpy() -> None:
    rng = np.random.default_rng(0)
    image = rng.normal(50, 10, size=(20, 20, 20))
    affine = np.diag([2.0, 2.0, 3.0, 1.0])
    m = cube()
    s = roi.roi_stats(image, affine, m, affine)
    vals = image[m]
    assert s.voxels == 1000
    assert s.volume_ml == pytest.approx(1000 * 12 / 1000)
    assert s.area_cm2 is None
    assert s.mean == pytest.approx(vals.mean()) and s.std == pytest.approx(vals.std())
    assert s.median == pytest.approx(np.median(vals))
    assert s.p25 == pytest.approx(np.percentile(vals, 25)) and s.p75 == pytest.approx(np.percentile(vals, 75))
    assert (s.min, s.max) == (vals.min(), vals.max())
    assert list(s.row()) == list(roi.STAT_COLUMNS)


def test_stats_of_a_2d_roi_give_its_area() -> None:
    image = np.arange(10 * 10 * 5, dtype=np.float64).reshape(10, 10, 5)
    affine = np.diag([0.5, 0.5, 4.0, 1.0])
    slice_affine = affine.copy()
    slice_affine[:3, 3] = affine[:3, :3] @ [0, 0, 2]  # the ROI is slice 2 of the image's grid
    m = np.zeros((10, 10, 1), dtype=bool)
    m[2:6, 2:6, 0] = True
    s = roi.roi_stats(image, affine, m, slice_affine)
    assert s.area_cm2 == pytest.approx(16 * 0.25 / 100)
    assert s.mean == pytest.approx(image[2:6, 2:6, 2].mean())  # resampled exactly at the slice's voxel centres


def test_stats_resample_the_image_onto_the_roi_grid() -> None:
    image = np.zeros((10, 10, 10))
    image[:, :, :] = np.arange(10)[:, None, None]  # value = x index
    affine = np.eye(4)
    roi_affine = np.diag([2.0, 2.0, 2.0, 1.0])  # ROI voxel i sits at image voxel 2i
    m = np.zeros((5, 5, 5), dtype=bool)
    m[1:3, :, :] = True
    s = roi.roi_stats(image, affine, m, roi_affine)
    assert s.mean == pytest.approx((2 + 4) / 2)
    assert s.volume_ml == pytest.approx(50 * 8 / 1000)


def test_empty_roi_has_no_values_and_cog_is_none() -> None:
    s = roi.roi_stats(np.ones((4, 4, 4)), np.eye(4), np.zeros((4, 4, 4), dtype=bool), np.eye(4))
    assert s.voxels == 0 and s.mean is None and s.median is None
    assert roi.centre_of_gravity(np.zeros((3, 3, 3), dtype=bool), np.eye(4)) is None
    assert roi.centre_of_gravity(cube(), np.diag([2.0, 1.0, 1.0, 1.0])) == pytest.approx((19.0, 9.5, 9.5))


def test_as_mask_accepts_2d_and_singleton_4d_and_refuses_others() -> None:
    assert roi.as_mask(np.ones((3, 3))).shape == (3, 3, 1)
    assert roi.as_mask(np.ones((3, 3, 3, 1))).shape == (3, 3, 3)
    with pytest.raises(InvalidInput, match="3D mask"):
        roi.as_mask(np.ones((3, 3, 3, 2)))
