"""Agreement of two readers' ROIs of one case: Dice and the 95th-percentile Hausdorff distance in world mm.

Both masks lie on one grid (same matrix and affine: :func:`nora.imaging.roi.same_grid`); a caller with
masks on different grids resamples one first (:func:`nora.imaging.roi.resample_to`). The surface of a mask
is its voxels that an erosion with NORA's 6-neighbourhood removes (:func:`nora.imaging.roi.morphology`);
surface voxel centres go to world coordinates through the affine, so anisotropic and oblique grids measure
in mm. HD95 is the 95th percentile of the distances from each surface point to the other surface, both
directions pooled (as in MedPy's ``hd95``); an empty mask makes it undefined.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from nora.core.errors import InvalidInput
from nora.imaging.roi import Affine, Mask, as_mask, morphology, same_grid
from nora.reading.analysis.schemas import AgreementOut, RoiCase, RoiPairSummary


def dice(a: Mask, b: Mask) -> float | None:
    """``2 |A ∩ B| / (|A| + |B|)``; None when both masks are empty."""
    total = int(a.sum()) + int(b.sum())
    return 2.0 * int(np.logical_and(a, b).sum()) / total if total else None


def surface_mm(mask: Mask, affine: Affine) -> npt.NDArray[np.float64]:
    """World (mm) coordinates of the surface voxels' centres, one row each."""
    edge = mask & ~morphology(mask, "erode")
    ijk = np.argwhere(edge).astype(np.float64)
    return np.asarray(ijk @ affine[:3, :3].T + affine[:3, 3], dtype=np.float64)


def hausdorff95(a: Mask, b: Mask, affine: Affine) -> float | None:
    """The 95th-percentile symmetric surface distance in mm; None if either mask is empty."""
    sa, sb = surface_mm(a, affine), surface_mm(b, affine)
    if not len(sa) or not len(sb):
        return None
    d_ab, _ = cKDTree(sb).query(sa)
    d_ba, _ = cKDTree(sa).query(sb)
    return float(np.percentile(np.concatenate([d_ab, d_ba]), 95))


def mask_agreement(
    a: npt.ArrayLike,
    affine_a: npt.ArrayLike,
    b: npt.ArrayLike,
    affine_b: npt.ArrayLike,
    *,
    raters: tuple[str, str] = ("a", "b"),
) -> tuple[AgreementOut, AgreementOut]:
    """Dice and HD95 of two masks; they must be on the same grid."""
    ma, mb = as_mask(a, "the first ROI"), as_mask(b, "the second ROI")
    aa, ab = np.asarray(affine_a, dtype=np.float64), np.asarray(affine_b, dtype=np.float64)
    if not same_grid(ma.shape, aa, mb.shape, ab):
        raise InvalidInput("the two ROIs are not on the same grid (matrix and affine): resample one first")
    n = int(np.logical_or(ma, mb).sum())
    return (
        AgreementOut(measure="dice", raters=list(raters), n=n, value=dice(ma, mb)),
        AgreementOut(measure="hd95 mm", raters=list(raters), n=n, value=hausdorff95(ma, mb, aa)),
    )


def summarise_pairs(results: Iterable[tuple[str, AgreementOut, AgreementOut]]) -> list[RoiPairSummary]:
    """Per reader pair: Dice and HD95 over the cases, from ``(case, dice, hd95)`` of :func:`mask_agreement`.

    The caller compares the ROIs case by case (each pair of masks loaded, compared, dropped), so a study of
    hundreds of cases never holds every mask at once.
    """
    by_pair: dict[tuple[str, ...], list[RoiCase]] = {}
    for case, d, h in results:
        by_pair.setdefault(tuple(d.raters), []).append(RoiCase(case=case, dice=d.value, hd95_mm=h.value))
    out = []
    for raters, cases in by_pair.items():
        dices = np.array([c.dice for c in cases if c.dice is not None], dtype=np.float64)
        hds = np.array([c.hd95_mm for c in cases if c.hd95_mm is not None], dtype=np.float64)
        out.append(
            RoiPairSummary(
                raters=list(raters),
                n=len(cases),
                dice_mean=float(dices.mean()) if dices.size else None,
                dice_sd=float(dices.std(ddof=1)) if dices.size > 1 else None,
                dice_median=float(np.median(dices)) if dices.size else None,
                hd95_mean=float(hds.mean()) if hds.size else None,
                hd95_median=float(np.median(hds)) if hds.size else None,
                cases=cases,
            )
        )
    return out
