"""The built-in backend: a seeded, intensity-adaptive region segmentation on the CPU, no weights.

After each interaction the result is computed anew from all interactions of the session, so undo and
reset are exact:

1. *Seeds*: positive voxels (clicks with their 3x3x3 neighbourhood, scribbles, a positive lasso's inside,
   the inner half of a positive box) and negative ones (the same for negative interactions, plus the rest
   of the slice of a positive box or lasso). Masks (an ROI, a model's output) form the *prior*; their
   deepest voxels are samples of the structure.
2. *Intensity model*: a robust Gaussian (median, 1.4826 x MAD, between 3 % and 6 % of the image's range)
   of each positive interaction's samples; the structure's band is the union of theirs.
3. *Growth*: the voxels face-connected to a positive seed within the model's band, on a region around the
   seeds (16 voxels of margin): first a narrow band (1.5 SD: a compact structure stays inside the region),
   else the full band (3 SD); a structure that still reaches the region's border is grown where a coarse
   grid (the lowest and highest value of each 4^3 cube, computed once) says the band reaches. The rim just
   outside is added where it is nearer the structure's intensity than the surroundings' (partial volume).
4. *Negative seeds* compete with the positive ones by geodesic distance (each face step costs the change
   of intensity plus 1 % of the image's range; measured on every n-th voxel of at most 80,000): what is
   nearer a negative seed goes, and so does what is cut off from every positive one. A large structure
   keeps its typical voxels far from the negative seeds as positive markers. A prior loses what a negative
   seed reaches through voxels more likely the surroundings' than the structure's.

The image is smoothed once (Gaussian, 0.6 voxel) when the session starts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from nora.imaging.roi import Mask, neighbourhood
from nora.segmentation.assistant.interactions import Index, VoxelInteraction
from nora.segmentation.assistant.regions import (
    PRIOR_SAMPLES,
    Crop,
    Gaussian,
    Memo,
    bounds,
    core,
    kept_prior,
    local,
    partition,
    reached,
    unravel,
)

MARGIN = 16
#: the margin of the region a step is held to after a compact result
HELD_MARGIN = 8
#: the coarse grid (every n-th voxel) that finds where a large structure reaches
COARSE = 4
#: candidates lie within this many standard deviations of the structure's intensity
WIDTH = 3.0
#: a compact structure (one that stays inside the region around its seeds) is first looked for this narrow
NARROW = 1.5
SMOOTHING = 0.6


@dataclass
class Seeds:
    pos: list[Index] = field(default_factory=list)
    neg: list[Index] = field(default_factory=list)
    fg_samples: list[Index] = field(default_factory=list)
    bg_samples: list[Index] = field(default_factory=list)
    anchors: list[Index] = field(default_factory=list)  # growth starts here (seeds, inner halves of boxes)
    prior: Mask | None = None
    #: the hard seeds in the order given, with their sign (the later of two on one voxel wins)
    order: list[tuple[Index, bool]] = field(default_factory=list)

    def add(self, voxels: Index, positive: bool) -> None:
        (self.pos if positive else self.neg).append(voxels)
        self.order.append((voxels, positive))


def _cube(index: Index, shape: tuple[int, ...]) -> Index:
    offsets = np.stack(np.meshgrid(*([np.arange(-1, 2)] * 3), indexing="ij"), axis=-1).reshape(-1, 3)
    out = (index[:, None, :] + offsets[None]).reshape(-1, 3)
    return out[np.all((out >= 0) & (out < np.asarray(shape)), axis=1)]


def _inner_half(item: VoxelInteraction) -> Index:
    assert item.box is not None
    lo, hi = np.asarray(item.box[0]), np.asarray(item.box[1])
    quarter = (hi - lo) / 4.0
    inner = np.all((item.voxels >= lo + quarter - 1e-6) & (item.voxels <= hi - quarter + 1e-6), axis=1)
    return item.voxels[inner]


def _ring(item: VoxelInteraction, shape: tuple[int, int, int]) -> Index:
    """The voxels of the drawing's slice outside it."""
    assert item.plane_voxels is not None
    inside = np.ravel_multi_index(tuple(item.voxels.T), shape)
    plane = np.ravel_multi_index(tuple(item.plane_voxels.T), shape)
    return np.asarray(item.plane_voxels[~np.isin(plane, inside)], dtype=np.intp)


def collect(steps: Sequence[Sequence[VoxelInteraction]], shape: tuple[int, int, int]) -> Seeds:
    """The seeds, samples and prior of every interaction so far, in their order."""
    s = Seeds()
    for item in (i for step in steps for i in step):
        if item.kind == "mask":
            if s.prior is None:
                s.prior = np.zeros(shape, dtype=bool)
            s.prior[tuple(item.voxels.T)] = item.positive
            if item.positive and item.samples is not None:
                s.fg_samples.append(item.samples)
            continue
        if item.kind == "box" and item.positive:
            inner = _inner_half(item)
            s.fg_samples.append(inner)
            s.anchors.append(inner)
            ring = _ring(item, shape)
            s.add(ring, False)
            s.bg_samples.append(ring)
            continue
        hard = item.voxels
        samples = _cube(hard, shape) if item.kind == "point" else hard
        if item.positive:
            s.add(hard, True)
            s.anchors.append(hard)
            s.fg_samples.append(samples)
            if item.kind == "lasso":
                ring = _ring(item, shape)
                s.add(ring, False)
                s.bg_samples.append(ring)
        else:
            s.add(samples if item.kind == "point" else hard, False)
            s.bg_samples.append(samples)
    _latest_wins(s, shape)
    return s


def _latest_wins(s: Seeds, shape: tuple[int, int, int]) -> None:
    """A voxel that is both a positive and a negative seed keeps the sign of the later interaction."""
    if not s.pos or not s.neg:
        return
    flats = [np.ravel_multi_index(tuple(part.T), shape) for part, _ in s.order]
    signs = [np.full(len(f), sign) for f, (_, sign) in zip(flats, s.order, strict=True)]
    every, sign = np.concatenate(flats)[::-1], np.concatenate(signs)[::-1]
    voxel, first = np.unique(every, return_index=True)  # reversed: the first occurrence is the latest
    latest = sign[first]

    def keep(part: Index, positive: bool) -> Index:
        at = np.searchsorted(voxel, np.ravel_multi_index(tuple(part.T), shape))
        return np.asarray(part[latest[at] == positive], dtype=np.intp)

    s.pos = [keep(p, True) for p in s.pos]
    s.neg = [keep(n, False) for n in s.neg]


def _stack(parts: list[Index]) -> Index:
    return np.concatenate(parts) if parts else np.zeros((0, 3), dtype=np.intp)


class BuiltinSession:
    """One image and its interactions; :meth:`add`, :meth:`undo`, :meth:`reset` return the new result."""

    def __init__(
        self, image: npt.NDArray[np.floating] | npt.NDArray[np.integer], reuse: bool = True, extend: bool = True
    ) -> None:
        import scipy.sparse.csgraph  # noqa: F401  (imported here, not in the first negative click's answer)
        from scipy import ndimage

        data = np.asarray(image, dtype=np.float32)
        self.image: npt.NDArray[np.float32] = np.asarray(ndimage.gaussian_filter(data, SMOOTHING), dtype=np.float32)
        step = max(1, int(round((data.size / 200000) ** (1 / 3))))
        sample = self.image[::step, ::step, ::step]
        lo, hi = np.percentile(sample, [1, 99])
        self.floor = max(float(hi - lo) * 0.03, 1e-6)
        self.shape: tuple[int, int, int] = (data.shape[0], data.shape[1], data.shape[2])
        self.cells = Cells.of(self.image)
        self.steps: list[list[VoxelInteraction]] = []
        #: per step: the region its growth was held to (None: free) and whether its result was large
        self.limits: list[Crop | None] = []
        self.large: list[bool] = []
        self.result: Mask = np.zeros(self.shape, dtype=bool)
        #: the growth of the last positive seed sets (a negative click or an undo reuses it) and the last graph
        self.memo = Memo({"growth": 2, "graph": 1, "extend": 1 if extend else 0}, enabled=reuse)
        #: ``reuse=False`` (the benchmark's baseline): every step computed from scratch, no memo, no hint;
        #: ``extend=False``: a large structure's growth is labelled anew each time (the benchmark's other)
        self.reuse = reuse

    @property
    def nbytes(self) -> int:
        seeds = sum(
            i.voxels.nbytes + (0 if i.plane_voxels is None else i.plane_voxels.nbytes) for s in self.steps for i in s
        )
        return int(self.image.nbytes + self.result.nbytes + self.cells.low.nbytes * 2 + seeds + self.memo.nbytes)

    def add(self, step: Sequence[VoxelInteraction]) -> Mask:
        # grown as needed: after a compact result, a new step grows within the region around it and the
        # step's voxels (a click on a rim must not flood the image); after a large one, freely
        limit = None
        grows = [i.voxels for i in step if i.positive and i.kind != "mask"]
        if self.limits and self.limits[-1] is not None:
            limit = self.limits[-1]  # widened only around new positive seeds, never by the result itself
            if grows:
                limit = _union(limit, bounds(np.concatenate(grows), None, self.shape, HELD_MARGIN))
        elif self.steps and not self.large[-1] and self.result.any():
            limit = bounds(_stack(grows), self.result, self.shape, HELD_MARGIN)
        self.steps.append(list(step))
        self.limits.append(limit)
        was_large = self.reuse and bool(self.large and self.large[-1])
        seeds = collect(self.steps, self.shape)
        self.result, large = segment(self.image, seeds, self.floor, self.cells, limit, self.memo, was_large)
        self.large.append(large)
        return self.result

    def undo(self) -> Mask:
        if self.steps:
            self.steps.pop()
            self.limits.pop()
            self.large.pop()
        return self._compute()

    def reset(self) -> Mask:
        self.steps.clear()
        self.limits.clear()
        self.large.clear()
        return self._compute()

    def close(self) -> None:
        self.steps.clear()
        self.memo.clear()

    def _compute(self) -> Mask:
        limit = self.limits[-1] if self.limits else None
        # the last step's own flag: its seeds reach as far again
        was_large = self.reuse and bool(self.large and self.large[-1])
        seeds = collect(self.steps, self.shape)
        self.result, _ = segment(self.image, seeds, self.floor, self.cells, limit, self.memo, was_large)
        return self.result


def _values(image: npt.NDArray[np.float32], parts: list[Index]) -> npt.NDArray[np.float32]:
    values = [image[tuple(p.T)] for p in parts if len(p)]
    return np.concatenate(values) if values else np.zeros(0, dtype=np.float32)


def _union(a: Crop, b: Crop) -> Crop:
    return tuple(slice(min(x.start, y.start), max(x.stop, y.stop)) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def _touches(mask: Mask, crop: Crop, shape: tuple[int, int, int]) -> bool:
    for axis, c in enumerate(crop):
        index: list[slice | int] = [slice(None)] * 3
        for edge, at_border in ((0, c.start == 0), (-1, c.stop == shape[axis])):
            index[axis] = edge
            if not at_border and mask[tuple(index)].any():
                return True
    return False


@dataclass(frozen=True)
class Cells:
    """The image's lowest and highest value in each cube of ``COARSE``^3 voxels (computed once)."""

    low: npt.NDArray[np.float32]
    high: npt.NDArray[np.float32]

    @classmethod
    def of(cls, image: npt.NDArray[np.float32]) -> Cells:
        n = COARSE
        pad = [(0, (-s) % n) for s in image.shape]
        full = np.pad(image, pad, mode="edge")
        blocks = full.reshape(full.shape[0] // n, n, full.shape[1] // n, n, full.shape[2] // n, n)
        return cls(blocks.min(axis=(1, 3, 5)), blocks.max(axis=(1, 3, 5)))


def _coarse_reach(
    cells: Cells,
    intervals: list[tuple[float, float]],
    anchors: Index,
    shape: tuple[int, int, int],
    structure: npt.NDArray[np.bool_],
) -> Crop:
    """The region (bounds) the band reaches from the anchors through cubes of ``COARSE``^3 voxels whose
    values overlap the band, with a margin."""
    n = COARSE
    band = np.zeros(cells.low.shape, dtype=bool)
    for lo, hi in intervals:
        band |= (cells.high >= lo) & (cells.low <= hi)
    seeds = anchors // n
    band[tuple(seeds.T)] = True
    where = np.argwhere(reached(band, seeds, structure))
    lo, hi = where.min(axis=0) * n - MARGIN, (where.max(axis=0) + 1) * n + MARGIN
    return tuple(slice(max(0, int(a)), min(s, int(b))) for a, b, s in zip(lo, hi, shape, strict=True))  # type: ignore[return-value]


def _rim(image: npt.NDArray[np.float32], grown: Mask, fg: Gaussian, structure: npt.NDArray[np.bool_]) -> Mask:
    """``grown`` with the voxels just outside it that are nearer the structure's intensity than the
    surroundings' (the half-way rule of partial volume: smoothing blurs a structure's rim out of its band)."""
    if not grown.any():
        return grown
    ring = _dilate(grown) & ~grown
    outer = _dilate(ring) & ~ring & ~grown
    if not outer.any():
        return grown
    half = 0.5 * (fg.mean + float(np.median(image[outer])))
    rim = ring & ((image >= half) if fg.mean >= half else (image <= half))
    return grown | rim


def _intervals(groups: list[Gaussian], width: float) -> list[tuple[float, float]]:
    """The union of each seed group's band (mean +/- width SD) as disjoint intervals: one structure may
    be seeded where it is darker and where it is brighter without the band taking everything between."""
    spans = sorted((g.mean - width * g.sd, g.mean + width * g.sd) for g in groups)
    merged: list[tuple[float, float]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _band(image: npt.NDArray[np.float32], intervals: list[tuple[float, float]]) -> Mask:
    """Voxels within one of the intervals."""
    band = np.zeros(image.shape, dtype=bool)
    for lo, hi in intervals:
        band |= (image >= np.float32(lo)) & (image <= np.float32(hi))
    return band


def _dilate(mask: Mask) -> Mask:
    """One step of dilation with the 6-neighbourhood (shifted ORs: many times faster than ndimage's)."""
    out = mask.copy()
    for axis in range(3):
        if mask.shape[axis] < 2:
            continue
        lo: list[slice] = [slice(None)] * 3
        hi: list[slice] = [slice(None)] * 3
        lo[axis], hi[axis] = slice(None, -1), slice(1, None)
        out[tuple(lo)] |= mask[tuple(hi)]
        out[tuple(hi)] |= mask[tuple(lo)]
    return out


@dataclass(frozen=True)
class Growth:
    """A large structure's growth before its rim: on ``crop``, in the band ``intervals``, from the positive
    seeds ``pos`` and the ``anchors`` (sorted flat indices). The next positive step's growth extends it
    (:func:`_extend`) where it holds all of these (see :func:`_extends`)."""

    crop: Crop
    intervals: tuple[tuple[float, float], ...]
    pos: npt.NDArray[np.intp]
    anchors: npt.NDArray[np.intp]
    grown: Mask


def _flat(points: Index, shape: tuple[int, int, int]) -> npt.NDArray[np.intp]:
    return np.unique(np.ravel_multi_index(tuple(points.T), shape)) if len(points) else np.zeros(0, dtype=np.intp)


def _extends(prev: Growth, crop: Crop, intervals: list[tuple[float, float]]) -> bool:
    """Whether a growth in the band ``intervals`` on ``crop`` holds ``prev``'s: its crop within this one, each
    of its intervals within one of these (with its seeds among the new ones, :func:`_among`, every candidate
    voxel of ``prev`` is one now and every region it grew is grown again)."""
    inside = all(a.start <= b.start and b.stop <= a.stop for a, b in zip(crop, prev.crop, strict=True))
    covered = all(any(lo <= plo and phi <= hi for lo, hi in intervals) for plo, phi in prev.intervals)
    return inside and covered


def _extend(cand: Mask, old: Mask, anchors: Index, structure: npt.NDArray[np.bool_]) -> Mask:
    """The components of ``cand`` holding an anchor, given ``old`` (within ``cand``): components of it that
    hold anchors too. The rest of ``cand`` falls into components that do not touch each other, so the result is
    ``old`` with those of them that touch it or hold an anchor: the same as labelling ``cand`` whole. A rest
    of few voxels (the usual case: the band grew a little) is labelled as a graph of those voxels alone
    (labelling the crop costs a pass over all of it, however few voxels are new)."""
    from scipy import ndimage

    rest = cand & ~old
    flat = np.flatnonzero(rest)
    if len(flat) <= SPARSE_REST:
        return _extend_sparse(flat, old, anchors)
    labels, count = ndimage.label(rest, structure=structure)
    if count == 0:
        return old.copy()
    touching = labels[_dilate(old) & rest]
    held = np.unique(np.concatenate([touching, labels[tuple(anchors.T)]]))
    lut = np.zeros(count + 1, dtype=bool)
    lut[held[held > 0]] = True
    return np.asarray(old | lut[labels], dtype=bool)


#: the most voxels of a growth's new part that :func:`_extend_sparse` takes
SPARSE_REST = 200_000


def _extend_sparse(flat: npt.NDArray[np.intp], old: Mask, anchors: Index) -> Mask:
    """:func:`_extend` on the new voxels ``flat`` (sorted C-order indices): their face-neighbour graph's
    components that touch ``old`` or hold an anchor join it."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    out = old.copy()
    if not len(flat):
        return out
    shape = old.shape
    steps = (shape[1] * shape[2], shape[2], 1)
    at = np.unravel_index(flat, shape)
    grown = old.reshape(-1)
    touch = np.zeros(len(flat), dtype=bool)
    rows: list[npt.NDArray[np.intp]] = []
    cols: list[npt.NDArray[np.intp]] = []
    for axis, step in enumerate(steps):
        for sign in (-1, 1):
            ok = np.flatnonzero((at[axis] + sign >= 0) & (at[axis] + sign < shape[axis]))
            near = flat[ok] + sign * step
            touch[ok] |= grown[near]
            if sign == 1:  # each edge once
                where = np.minimum(np.searchsorted(flat, near), len(flat) - 1)
                hit = flat[where] == near
                rows.append(ok[hit])
                cols.append(where[hit])
    r, c = np.concatenate(rows), np.concatenate(cols)
    graph = coo_matrix((np.ones(len(r), dtype=np.int8), (r, c)), shape=(len(flat), len(flat)))
    _, labels = connected_components(graph, directed=False)
    held = [labels[touch]]
    if len(anchors):
        a = np.ravel_multi_index(tuple(anchors.T), shape)
        where = np.minimum(np.searchsorted(flat, a), len(flat) - 1)
        held.append(labels[where[flat[where] == a]])
    keep = np.isin(labels, np.unique(np.concatenate(held)))
    out.reshape(-1)[flat[keep]] = True
    return out


def _grow(
    image: npt.NDArray[np.float32],
    groups: list[Gaussian],
    fg: Gaussian,
    pos: Index,
    anchors: Index,
    cells: Cells,
    limit: Crop | None,
    structure: npt.NDArray[np.bool_],
    was_large: bool = False,
    memo: Memo | None = None,
) -> tuple[Crop, Mask, bool]:
    """The growth from the positive seeds (step 3): its crop, the grown voxels there, whether it is large.
    ``was_large``: the previous result was large; more seeds of it are too, so the growth goes straight to
    the full band where the coarse grid says it reaches (one pass instead of three), extending the last
    large growth kept in ``memo`` where that gives the same (:func:`_extends`)."""
    shape = (image.shape[0], image.shape[1], image.shape[2])
    large = False
    crop = limit or bounds(anchors, None, shape, MARGIN)
    widths: tuple[float, ...] = (NARROW, WIDTH, WIDTH)
    if was_large and limit is None:
        crop, large, widths = _coarse_reach(cells, _intervals(groups, WIDTH), anchors, shape, structure), True, (WIDTH,)
    for width in widths:
        intervals = _intervals(groups, width)
        cand = _band(image[crop], intervals)
        cand[tuple(local(pos, crop).T)] = True
        prev = memo.last("extend") if memo is not None and large else None
        flat_pos, flat_anchors = (_flat(pos, shape), _flat(anchors, shape)) if large else (None, None)
        if prev is not None and _extends(prev, crop, intervals) and _among(prev, flat_pos, flat_anchors):
            core = _extend(cand, _embed(prev, crop), local(anchors, crop), structure)
            assert memo is not None
            memo.extended += 1
        else:
            core = reached(cand, local(anchors, crop), structure)
        if large and memo is not None and flat_pos is not None and flat_anchors is not None:
            memo.put("extend", "last", Growth(crop, tuple(intervals), flat_pos, flat_anchors, core))
        grown = _rim(image[crop], core, fg, structure)
        if limit is not None or not _touches(grown, crop, shape) or large:
            break  # held to its region, a compact structure in its narrow band, or a large one's reach
        if width == WIDTH:
            # a structure larger than the region: where it reaches on a coarse grid, in one pass
            crop, large = _coarse_reach(cells, _intervals(groups, WIDTH), anchors, shape, structure), True
    return crop, grown, large


def _among(prev: Growth, pos: npt.NDArray[np.intp] | None, anchors: npt.NDArray[np.intp] | None) -> bool:
    """``prev``'s positive seeds and anchors are among these (sorted flat indices)."""
    if pos is None or anchors is None:
        return False
    return bool(np.isin(prev.pos, pos, assume_unique=True).all() and np.isin(prev.anchors, anchors).all())


def _embed(prev: Growth, crop: Crop) -> Mask:
    """``prev``'s growth on ``crop`` (which holds its crop)."""
    out = np.zeros(tuple(c.stop - c.start for c in crop), dtype=bool)
    out[tuple(slice(p.start - c.start, p.stop - c.start) for p, c in zip(prev.crop, crop, strict=True))] = prev.grown
    return out


def _digest(*parts: Index) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(np.ascontiguousarray(part, dtype=np.intp).tobytes())
        h.update(b"|")
    return h.digest()


def _crop_key(crop: Crop | None) -> tuple[tuple[int, int], ...] | None:
    return None if crop is None else tuple((c.start, c.stop) for c in crop)


def segment(
    image: npt.NDArray[np.float32],
    seeds: Seeds,
    floor: float,
    cells: Cells | None = None,
    limit: Crop | None = None,
    memo: Memo | None = None,
    was_large: bool = False,
) -> tuple[Mask, bool]:
    """The structure the seeds describe (see the module's description), and whether it is large (reached
    beyond the region around its seeds). ``limit``: the growth stays in this region, in the narrow band.
    ``memo``: the session's kept growth (by its positive seeds) and geodesic graphs; ``was_large``: the
    previous result was large (see :func:`_grow`)."""
    shape = (image.shape[0], image.shape[1], image.shape[2])
    out = np.zeros(shape, dtype=bool)
    groups = [Gaussian.of(image[tuple(p.T)], floor) for p in seeds.fg_samples if len(p)]
    if not groups:
        return out, False
    fg = Gaussian.of(_values(image, seeds.fg_samples), floor)
    pos, neg, anchors = _stack(seeds.pos), _stack(seeds.neg), _stack(seeds.anchors)
    structure = neighbourhood(shape)
    cells = Cells.of(image) if cells is None else cells
    large = False
    if len(anchors):
        groups_key = tuple((g.mean, g.sd) for g in groups)
        key = (_digest(pos, anchors), _crop_key(limit), groups_key, fg.mean, fg.sd, was_large)

        def grow() -> tuple[Crop, Mask, bool]:
            return _grow(image, groups, fg, pos, anchors, cells, limit, structure, was_large, memo)

        crop, grown, large = memo.get("growth", key, grow) if memo is not None else grow()
        n = local(neg, crop)
        if len(n) and grown[tuple(n.T)].any():
            # a negative seed inside cuts the growth: what it separates from every positive one goes
            cut = grown.copy()
            cut[tuple(n.T)] = False
            grown = reached(cut, local(anchors, crop), structure)
        out[crop] = grown
    markers = anchors
    if seeds.prior is not None and seeds.prior.any():
        out |= seeds.prior
        bg_values = _values(image, seeds.bg_samples)
        bg = Gaussian.of(bg_values, floor) if len(bg_values) else None
        kept = np.flatnonzero(kept_prior(image, seeds.prior, neg, fg, bg, structure))
        markers = np.concatenate([anchors, unravel(kept[:: max(1, len(kept) // PRIOR_SAMPLES)], shape)])
    if len(neg) and len(markers) and out.any():
        if large:
            markers = np.concatenate([markers, core(image, out, fg, markers, neg)])
        out = partition(image, out, markers, neg, structure, memo)
    out[tuple(neg.T)] = False
    return out, large
