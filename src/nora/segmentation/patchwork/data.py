"""Subjects as the networks see them: contrasts stacked on the first contrast's grid, intensities normalised,
labels as 0/1 channels on the same grid. Training and apply load images through this one module, so apply
sees exactly what training saw."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from nora.core.errors import InvalidInput


@dataclass(frozen=True)
class Subject:
    """``image`` ``(C, X, Y, Z)`` normalised, ``labels`` ``(L, X, Y, Z)`` 0/1 or None, on the grid ``affine``."""

    image: torch.Tensor
    affine: np.ndarray
    labels: torch.Tensor | None = None
    name: str = ""

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.image.shape[1], self.image.shape[2], self.image.shape[3])

    @property
    def zooms(self) -> torch.Tensor:
        return torch.tensor(np.sqrt((self.affine[:3, :3] ** 2).sum(axis=0)), dtype=torch.float32)

    @property
    def extent_mm(self) -> np.ndarray:
        extent: np.ndarray = np.asarray(self.shape) * self.zooms.numpy()
        return extent


def normalise(channel: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance over the volume, after clipping to its 0.5 and 99.5 percentiles."""
    x = np.nan_to_num(np.asarray(channel, dtype=np.float32))
    low, high = np.percentile(x, [0.5, 99.5])
    x = np.clip(x, low, high)
    std = float(x.std())
    return ((x - float(x.mean())) / (std if std > 0 else 1.0)).astype(np.float32)


def _volume(img: Any, what: str) -> np.ndarray:
    data = np.asanyarray(img.dataobj)
    if data.ndim == 4 and data.shape[3] == 1:
        data = data[..., 0]
    if data.ndim != 3:
        raise InvalidInput(f"{what} is not a 3D volume (shape {list(data.shape)})")
    return np.asarray(data)


def _on_grid(img: Any, shape: tuple[int, ...], affine: np.ndarray, order: int) -> np.ndarray:
    from nibabel.processing import resample_from_to

    if tuple(img.shape[:3]) == tuple(shape) and np.allclose(img.affine, affine, atol=1e-3):
        return np.asanyarray(img.dataobj)
    return np.asanyarray(resample_from_to(img, (shape, affine), order=order).dataobj)  # type: ignore[no-untyped-call]


def from_arrays(
    contrasts: Sequence[np.ndarray], affine: np.ndarray, labels: Sequence[np.ndarray] | None = None, name: str = ""
) -> Subject:
    """A subject from arrays already on one grid."""
    image = torch.from_numpy(np.stack([normalise(c) for c in contrasts]))
    lab = None if labels is None else torch.from_numpy(np.stack([(np.asarray(m) > 0) for m in labels]).astype("f4"))
    return Subject(image, np.asarray(affine, dtype=np.float64), lab, name)


def load_subject(contrasts: Sequence[str], labels: Sequence[str] | None = None, name: str = "") -> Subject:
    """A subject from files: the first contrast's grid; other contrasts resampled onto it (trilinear),
    labels too (nearest neighbour)."""
    from nora.processing.catalog import load_volume

    if not contrasts:
        raise InvalidInput("a patchwork subject needs at least one input contrast")
    first = load_volume(contrasts[0])
    ref = _volume(first, contrasts[0])
    affine = np.asarray(first.affine, dtype=np.float64)
    channels = [ref]
    for path in contrasts[1:]:
        channels.append(_on_grid(load_volume(path), ref.shape, affine, 1).reshape(ref.shape))
    masks = None
    if labels is not None:
        masks = [_on_grid(load_volume(p), ref.shape, affine, 0).reshape(ref.shape) for p in labels]
    return from_arrays(channels, affine, masks, name)
