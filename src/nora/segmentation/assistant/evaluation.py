"""How interactive segmentation is measured: Dice, the simulated next click, clicks to reach a Dice (NoC).

The simulated user of the interactive-segmentation literature: each next click goes to the centre of the
largest error region (the voxel farthest from its border), positive where the structure was missed and
negative where the result went beyond it. NoC@85 is the number of clicks until the Dice reaches 0.85
(the click budget when it never does). Used by ``benchmarks/assistant.py`` and the tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nora.imaging.roi import Mask, neighbourhood


def dice(a: Mask, b: Mask) -> float:
    total = int(a.sum()) + int(b.sum())
    return 1.0 if total == 0 else 2.0 * int((a & b).sum()) / total


@dataclass(frozen=True)
class Click:
    voxel: tuple[int, int, int]
    positive: bool


def next_click(result: Mask, truth: Mask) -> Click | None:
    """The centre of the largest error region (missed: positive; too much: negative); None without error."""
    from scipy import ndimage

    error = result ^ truth
    if not error.any():
        return None
    labels, count = ndimage.label(error, structure=neighbourhood(error.shape))
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    sizes[0] = 0
    largest = labels == int(sizes.argmax())
    where = np.argwhere(largest)
    lo, hi = where.min(axis=0), where.max(axis=0) + 1
    crop = tuple(slice(int(a), int(b)) for a, b in zip(lo, hi, strict=True))
    inside = np.pad(largest[crop], 1)  # the crop's border counts as the region's border
    depth = ndimage.distance_transform_edt(inside)[1:-1, 1:-1, 1:-1]
    at = np.unravel_index(int(depth.argmax()), depth.shape)
    voxel = (int(at[0] + lo[0]), int(at[1] + lo[1]), int(at[2] + lo[2]))
    return Click(voxel, bool(truth[voxel]))


def clicks_to_reach(
    click: Callable[[Click], Mask],
    truth: Mask,
    targets: tuple[float, ...],
    budget: int = 20,
    start: Mask | None = None,
) -> tuple[dict[float, int], list[float]]:
    """NoC per target Dice (``budget + 1`` where never reached) and the Dice after each click. ``start``: the
    result before the first click (a model's proposal; 0 clicks where it reaches a target already)."""
    result = np.zeros(truth.shape, dtype=bool) if start is None else start
    reached: dict[float, int] = {}
    curve: list[float] = []
    if start is not None:
        for t in targets:
            if dice(start, truth) >= t:
                reached[t] = 0
    for n in range(1, budget + 1):
        c = next_click(result, truth)
        if c is None:
            break
        result = click(c)
        curve.append(dice(result, truth))
        for t in targets:
            if t not in reached and curve[-1] >= t:
                reached[t] = n
        if len(reached) == len(targets):
            break
    return {t: reached.get(t, budget + 1) for t in targets}, curve
