"""What the built-in backend's steps share: the robust intensity model, crops (bounds) of the image,
connected regions holding seeds, and the geodesic competition of positive and negative seeds
(:func:`partition`), with the prior's trimming by negative seeds (:func:`kept_prior`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from nora.imaging.roi import Mask
from nora.segmentation.assistant.interactions import Index

Crop = tuple[slice, slice, slice]
#: prior voxels sampled for the intensity model
PRIOR_SAMPLES = 20000
#: the geodesic competition of positive and negative seeds runs on at most about this many voxels
GEODESIC_VOXELS = 80_000
#: the length term of a geodesic step, as a fraction of the image's range
STEP = 0.01


@dataclass(frozen=True)
class Gaussian:
    mean: float
    sd: float

    @classmethod
    def of(cls, values: npt.NDArray[np.float32], floor: float) -> Gaussian:
        median = float(np.median(values))
        mad = float(np.median(np.abs(values - median))) * 1.4826
        # at most twice the floor: a click on a rim samples both sides, and its band must not take both
        return cls(median, min(max(mad, floor), 2 * floor))

    def z2(self, v: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        return np.asarray(((v - self.mean) / self.sd) ** 2, dtype=np.float32)


def unravel(flat: npt.NDArray[np.intp], shape: tuple[int, ...]) -> Index:
    return np.asarray(np.stack(np.unravel_index(flat, shape), axis=1), dtype=np.intp).reshape(-1, 3)


def bounds(points: Index, prior: Mask | None, shape: tuple[int, int, int], margin: int) -> Crop:
    lo, hi = points.min(axis=0) if len(points) else None, points.max(axis=0) if len(points) else None
    if prior is not None and prior.any():
        where = [np.flatnonzero(prior.any(axis=tuple(a for a in range(3) if a != axis))) for axis in range(3)]
        plo, phi = np.array([w[0] for w in where]), np.array([w[-1] for w in where])
        lo = plo if lo is None else np.minimum(lo, plo)
        hi = phi if hi is None else np.maximum(hi, phi)
    assert lo is not None and hi is not None
    return tuple(
        slice(max(0, int(a) - margin), min(size, int(b) + margin + 1)) for a, b, size in zip(lo, hi, shape, strict=True)
    )  # type: ignore[return-value]


def local(points: Index, crop: Crop) -> Index:
    start = np.array([c.start for c in crop])
    stop = np.array([c.stop for c in crop])
    inside = np.all((points >= start) & (points < stop), axis=1)
    return np.asarray(points[inside] - start, dtype=np.intp)


def reached(cand: Mask, anchors: Index, structure: npt.NDArray[np.bool_]) -> Mask:
    """The face-connected components of ``cand`` that hold an anchor."""
    from scipy import ndimage

    labels, count = ndimage.label(cand, structure=structure)
    held = np.unique(labels[tuple(anchors.T)])
    held = held[held > 0]
    if len(held) == 1:  # the usual case: one comparison instead of a look-up per voxel (3x faster)
        return np.asarray(labels == held[0], dtype=bool)
    lut = np.zeros(count + 1, dtype=bool)
    lut[held] = True
    return np.asarray(lut[labels], dtype=bool)


def likelier_background(image: npt.NDArray[np.float32], fg: Gaussian, bg: Gaussian) -> Mask:
    return np.asarray(fg.z2(image) + 2 * np.log(fg.sd) >= bg.z2(image) + 2 * np.log(bg.sd), dtype=bool)


def core(image: npt.NDArray[np.float32], region: Mask, fg: Gaussian, markers: Index, neg: Index) -> Index:
    """Voxels of the region typical of the structure (within one standard deviation) and farther from every
    negative seed than half its distance to the nearest positive marker: they keep what is far from a
    negative click from being handed to it (one click of a large structure would not hold it)."""
    flat = np.flatnonzero(region)
    where = unravel(flat[:: max(1, len(flat) // PRIOR_SAMPLES)], region.shape)
    where = where[fg.z2(image[tuple(where.T)]) <= 1.0]
    if not len(where):
        return where
    keep = np.ones(len(where), dtype=bool)
    pick = markers[:: max(1, len(markers) // 256)]
    for n in neg[:: max(1, len(neg) // 64)]:
        reach = 0.5 * float(np.sqrt(((pick - n) ** 2).sum(axis=1)).min())
        keep &= ((where - n) ** 2).sum(axis=1) > reach**2
    return np.asarray(where[keep], dtype=np.intp)


def partition(
    image: npt.NDArray[np.float32],
    region: Mask,
    markers: Index,
    neg: Index,
    structure: npt.NDArray[np.bool_],
    memo: Memo | None = None,
) -> Mask:
    """The region where the positive markers are geodesically nearer than the negative seeds, less islands
    cut off from them. The geodesic length of a step is the intensity change plus ``STEP`` of the image's
    range per voxel; it is measured on every ``stride``-th voxel of a large region. One Dijkstra run from
    both kinds of seeds says which is nearer; the graph of a crop is kept in ``memo`` (the next negative
    click on the same result uses it again)."""
    shape = (image.shape[0], image.shape[1], image.shape[2])
    crop = bounds(neg, region, shape, 2)
    size = np.array([c.stop - c.start for c in crop])
    stride = max(1, int(np.ceil((float(np.prod(size)) / GEODESIC_VOXELS) ** (1 / 3))))
    coarse = image[crop][::stride, ::stride, ::stride]
    key = (tuple((c.start, c.stop) for c in crop), stride)
    graph = memo.get("graph", key, lambda: graph_of(coarse)) if memo is not None else graph_of(coarse)
    near_pos = nearer(graph, coarse.shape, local(markers, crop) // stride, local(neg, crop) // stride)
    up = near_pos[np.ix_(*(np.arange(n) // stride for n in size))]
    out = np.zeros(shape, dtype=bool)
    out[crop] = reached(region[crop] & up, local(markers, crop), structure)
    return out


def graph_of(image: npt.NDArray[np.float32]) -> Any:
    """The face-neighbour graph of the image (a sparse matrix): each step costs the intensity change plus
    ``STEP`` of the image's range."""
    from scipy.sparse import coo_matrix

    index = np.arange(image.size).reshape(image.shape)
    span = float(image.max() - image.min()) or 1.0
    rows, cols, costs = [], [], []
    for axis in range(3):
        a = np.moveaxis(index, axis, 0)
        v = np.moveaxis(image, axis, 0)
        rows.append(a[:-1].ravel())
        cols.append(a[1:].ravel())
        costs.append((np.abs(v[1:] - v[:-1]) + STEP * span).ravel())
    r, c, w = np.concatenate(rows), np.concatenate(cols), np.concatenate(costs)
    return coo_matrix((w, (r, c)), shape=(image.size, image.size)).tocsr()


def nearer(graph: Any, shape: tuple[int, ...], pos: Index, neg: Index) -> Mask:
    """Which voxels are geodesically nearer a positive seed than every negative one (a voxel that is both
    is negative; a voxel neither reaches is not positive)."""
    from scipy.sparse.csgraph import dijkstra

    p = np.unique(np.ravel_multi_index(tuple(pos.T), shape))
    n = np.unique(np.ravel_multi_index(tuple(neg.T), shape))
    p = p[~np.isin(p, n)]
    if not len(p):
        return np.zeros(shape, dtype=bool)
    _, _, source = dijkstra(
        graph, directed=False, indices=np.concatenate([p, n]), min_only=True, return_predecessors=True
    )
    return np.asarray(np.isin(source, p), dtype=bool).reshape(shape)


class Memo:
    """What a session's steps compute again and again, kept for the next step: the last few values of
    each kind (the growth of the same positive seeds, the geodesic graph of the same crop)."""

    def __init__(self, sizes: dict[str, int], enabled: bool = True) -> None:
        self.sizes = sizes
        self.enabled = enabled
        self.kept: dict[str, OrderedDict[object, Any]] = {kind: OrderedDict() for kind in sizes}
        self.hits = 0
        self.misses = 0
        #: large growths computed by extending the last one (builtin's ``_extend``)
        self.extended = 0

    def get(self, kind: str, key: object, build: Callable[[], Any]) -> Any:
        if not self.enabled:
            return build()
        kept = self.kept[kind]
        if key in kept:
            self.hits += 1
            kept.move_to_end(key)
            return kept[key]
        self.misses += 1
        value = kept[key] = build()
        while len(kept) > self.sizes[kind]:
            kept.popitem(last=False)
        return value

    def last(self, kind: str) -> Any:
        """The value of ``kind`` kept last (None: none, or reuse is off)."""
        kept = self.kept[kind]
        return next(reversed(kept.values())) if self.enabled and kept else None

    def put(self, kind: str, key: object, value: Any) -> None:
        if not self.enabled:
            return
        kept = self.kept[kind]
        kept[key] = value
        kept.move_to_end(key)
        while len(kept) > self.sizes[kind]:
            kept.popitem(last=False)

    def clear(self) -> None:
        for kept in self.kept.values():
            kept.clear()

    @property
    def nbytes(self) -> int:
        return sum(_size(v) for kept in self.kept.values() for v in kept.values())


def _size(value: Any) -> int:
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, tuple):
        return sum(_size(v) for v in value)
    if hasattr(value, "__dataclass_fields__"):
        return sum(_size(getattr(value, name)) for name in value.__dataclass_fields__)
    parts = [getattr(value, name, None) for name in ("data", "indices", "indptr")]  # a sparse matrix
    return sum(int(p.nbytes) for p in parts if isinstance(p, np.ndarray))


def kept_prior(
    image: npt.NDArray[np.float32],
    prior: Mask,
    neg: Index,
    fg: Gaussian,
    bg: Gaussian | None,
    structure: npt.NDArray[np.bool_],
) -> Mask:
    """The prior less what the negative seeds reach through voxels more likely the surroundings'."""

    kept = prior.copy()
    if bg is None or len(neg) == 0:
        return kept
    crop = bounds(np.zeros((0, 3), dtype=np.intp), prior, (prior.shape[0], prior.shape[1], prior.shape[2]), 1)
    near = prior[crop] & likelier_background(image[crop], fg, bg)
    n = local(neg, crop)
    near[tuple(n.T)] = prior[crop][tuple(n.T)]
    kept[crop] &= ~reached(near, n, structure)
    return kept
