"""Patch trees: where each level's patch lies in a volume, and sampling patches with ``grid_sample``.

A volume is a tensor ``(C, X, Y, Z)`` on its voxel grid with voxel sizes ``zooms`` (mm). A patch tree has
``depth`` levels, each a cube of ``patch`` voxels per axis: level ``k`` is ``widths[k]`` mm wide, the
widths shrinking geometrically from level 0's (most of the volume) to ``patch * voxel_mm`` at the finest
level. A child lies inside its parent. One frame (rotation x scaling x flips, the augmentation) holds for
every level of a tree, so a child is an axis-aligned box in its parent's patch coordinates, which is how
the parent's output is cropped to the child (:func:`crop_parent`).

Coordinates: ``u`` in [-1/2, 1/2]^3 is a position in a patch (its centre 0); the voxel position of ``u``
at level ``k`` is ``centre_k + diag(1/zooms) @ frame @ (widths[k] * u)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F


def level_widths(extent_mm: np.ndarray, depth: int, patch: int, voxel_mm: float) -> list[float]:
    """Patch widths (mm) from level 0 (the volume's largest extent, at least the finest width) to the finest."""
    finest = patch * voxel_mm
    top = max(float(np.max(extent_mm)), finest)
    if depth == 1:
        return [finest]
    ratio = (finest / top) ** (1.0 / (depth - 1))
    return [top * ratio**k for k in range(depth)]


@dataclass(frozen=True)
class Trees:
    """A batch of ``n`` patch trees: centres per level ``(depth, n, 3)`` in voxels, frames ``(n, 3, 3)``."""

    centres: torch.Tensor
    frames: torch.Tensor
    widths: tuple[float, ...]

    @property
    def depth(self) -> int:
        return len(self.widths)


def random_frames(n: int, rotate_deg: float, scale: float, flip: bool, gen: torch.Generator) -> torch.Tensor:
    """``n`` random frames: a rotation about a random axis up to ``rotate_deg``, scaling, optional flips."""
    axis = torch.randn(n, 3, generator=gen)
    axis = axis / axis.norm(dim=1, keepdim=True).clamp_min(1e-8)
    angle = (torch.rand(n, generator=gen) * 2 - 1) * math.radians(rotate_deg)
    k = torch.zeros(n, 3, 3)
    k[:, 0, 1], k[:, 0, 2], k[:, 1, 2] = -axis[:, 2], axis[:, 1], -axis[:, 0]
    k = k - k.transpose(1, 2)
    eye = torch.eye(3).expand(n, 3, 3)
    s, c = torch.sin(angle)[:, None, None], torch.cos(angle)[:, None, None]
    rotation = eye + s * k + (1 - c) * (k @ k)  # Rodrigues
    factor = 1 + (torch.rand(n, 3, generator=gen) * 2 - 1) * scale
    if flip:
        factor = factor * torch.where(torch.rand(n, 3, generator=gen) < 0.5, -1.0, 1.0)
    return rotation * factor[:, None, :]


def sample_trees(
    shape: tuple[int, int, int],
    zooms: torch.Tensor,
    widths: tuple[float, ...],
    finest: torch.Tensor,
    frames: torch.Tensor,
    gen: torch.Generator | None,
) -> Trees:
    """Trees whose finest centres are ``finest`` ``(n, 3)`` (voxels), built upwards: each parent centre is
    moved from its child's by a random offset that keeps the child inside it (none when ``gen`` is None:
    concentric trees, the tiled inference)."""
    n = finest.shape[0]
    centres = [finest.float()]
    for k in range(len(widths) - 1, 0, -1):
        room = (1 - widths[k] / widths[k - 1]) / 2
        d = torch.zeros(n, 3) if gen is None else (torch.rand(n, 3, generator=gen) * 2 - 1) * room
        offset = (frames @ (widths[k - 1] * d)[:, :, None])[:, :, 0] / zooms
        centres.insert(0, centres[0] - offset)
    del shape  # the trees may reach outside the volume: sampling pads with zeros
    return Trees(torch.stack(centres), frames, widths)


def random_finest(
    shape: tuple[int, int, int], n: int, foreground: float, fg_voxels: torch.Tensor | None, gen: torch.Generator
) -> torch.Tensor:
    """``n`` finest centres: a ``foreground`` fraction on label voxels ``(m, 3)``, the rest anywhere."""
    centres = torch.rand(n, 3, generator=gen) * (torch.tensor(shape, dtype=torch.float32) - 1)
    if fg_voxels is not None and len(fg_voxels):
        pick = torch.rand(n, generator=gen) < foreground
        index = torch.randint(len(fg_voxels), (n,), generator=gen)
        centres[pick] = fg_voxels[index[pick]].float()
    return centres


def _grid(trees: Trees, level: int, patch: int, shape: tuple[int, int, int], zooms: torch.Tensor) -> torch.Tensor:
    """``grid_sample``'s grid ``(n, P, P, P, 3)`` of level ``level``'s patch points in the volume."""
    axis = (torch.arange(patch, dtype=torch.float32) + 0.5) / patch - 0.5
    u = torch.stack(torch.meshgrid(axis, axis, axis, indexing="ij"), dim=-1).reshape(-1, 3)  # (P^3, 3)
    mm = trees.widths[level] * u  # (P^3, 3)
    vox = trees.centres[level][:, None, :] + (mm @ trees.frames.transpose(1, 2)) / zooms  # (n, P^3, 3)
    size = torch.tensor(shape, dtype=torch.float32)
    norm = (2 * vox + 1) / size - 1  # align_corners=False: voxel i's centre at (2i+1)/X - 1
    return norm.flip(-1).reshape(-1, patch, patch, patch, 3)  # grid's last axis is (z, y, x)


def sample(
    volume: torch.Tensor, trees: Trees, level: int, patch: int, zooms: torch.Tensor, mode: str = "bilinear"
) -> torch.Tensor:
    """Level ``level``'s patches of ``volume`` ``(C, X, Y, Z)``: ``(n, C, P, P, P)``, zeros outside."""
    shape = (volume.shape[1], volume.shape[2], volume.shape[3])
    grid = _grid(trees, level, patch, shape, zooms).to(volume.device)
    n = grid.shape[0]
    # every tree's points in one grid of the one volume (no copy of the volume per tree)
    out = F.grid_sample(volume[None], grid.reshape(1, n * patch, patch, patch, 3), mode=mode, align_corners=False)
    return out.reshape(volume.shape[0], n, patch, patch, patch).transpose(0, 1)


def crop_parent(parent_out: torch.Tensor, trees: Trees, level: int, zooms: torch.Tensor) -> torch.Tensor:
    """The parent's output ``(n, L, P, P, P)`` resampled onto level ``level``'s patch (the child)."""
    n, patch = parent_out.shape[0], parent_out.shape[-1]
    w_parent, w_child = trees.widths[level - 1], trees.widths[level]
    # the child's centre in the parent's patch coordinates u (frame^-1 of the voxel offset in mm)
    offset_mm = (trees.centres[level] - trees.centres[level - 1]) * zooms
    d = torch.linalg.solve(trees.frames, offset_mm[:, :, None])[:, :, 0] / w_parent
    theta = torch.zeros(n, 3, 4)
    scale = w_child / w_parent
    theta[:, 0, 0] = theta[:, 1, 1] = theta[:, 2, 2] = scale
    theta[:, :, 3] = 2 * d.flip(-1)  # affine_grid's axes are (z, y, x); patch u in [-1/2, 1/2] is [-1, 1]
    grid = F.affine_grid(theta.to(parent_out.device), [n, 1, patch, patch, patch], align_corners=False)
    return F.grid_sample(parent_out, grid, mode="bilinear", padding_mode="border", align_corners=False)
