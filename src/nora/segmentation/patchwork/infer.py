"""Inference: the finest level's predictions of tiled (and optionally random) patch trees, averaged voxel by
voxel on the subject's grid. Training's validation and the apply job both call :func:`predict`."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from nora.core.errors import CorruptFile
from nora.segmentation.modelfile import ModelDoc, read_model
from nora.segmentation.patchwork import tree
from nora.segmentation.patchwork.data import Subject
from nora.segmentation.patchwork.net import Patchwork


def device() -> torch.device:
    """The GPU the job was given (CUDA_VISIBLE_DEVICES under Slurm's --gres), else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def build(doc: ModelDoc) -> Patchwork:
    p = doc.params
    return Patchwork(len(doc.contrasts), len(doc.labels), p.depth, p.features)


def load(folder_or_json: Path) -> tuple[ModelDoc, Patchwork]:
    """The model document and its network with the saved weights (on :func:`device`, in eval mode)."""
    doc = read_model(folder_or_json)
    net = build(doc)
    weights = Path(folder_or_json)
    weights = (weights.parent if weights.name.endswith(".json") else weights) / doc.weights
    try:
        state = torch.load(io.BytesIO(weights.read_bytes()), map_location="cpu", weights_only=True)
        net.load_state_dict(state)
    except Exception as exc:
        raise CorruptFile(f"the weights {weights} do not fit the model's parameters: {exc}") from None
    return doc, net.to(device()).eval()


def _tile_centres(shape: tuple[int, int, int], step_vox: np.ndarray) -> torch.Tensor:
    axes = []
    for size, step in zip(shape, step_vox, strict=True):
        n = max(1, math.ceil(size / step))
        first = (size - 1) / 2 - (n - 1) * step / 2  # tiles centred on the volume
        axes.append(torch.tensor([first + i * step for i in range(n)], dtype=torch.float32))
    grid = torch.meshgrid(*axes, indexing="ij")
    return torch.stack([g.reshape(-1) for g in grid], dim=1)


def _paste(
    sums: torch.Tensor, counts: torch.Tensor, probs: torch.Tensor, centres: torch.Tensor, half_vox: torch.Tensor
) -> None:
    """Resample finest patches ``(n, L, P, P, P)`` (axis-aligned, concentric trees) onto the voxels each covers.

    One ``grid_sample`` for the batch: every patch's voxel box starts at ``ceil(centre - half)`` and has the
    largest box's size (a box is one voxel larger where a centre's fraction makes it so); each patch then adds
    only its own box, clipped to the volume."""
    shape = sums.shape[1:]
    first = torch.ceil(centres - half_vox)  # (n, 3) the first voxel each patch covers
    sizes = (torch.floor(centres + half_vox) - first + 1).to(torch.int64)  # (n, 3)
    size = [int(m) for m in sizes.max(dim=0).values]
    axes = torch.meshgrid(*(torch.arange(m, dtype=torch.float32) for m in size), indexing="ij")
    offsets = torch.stack(axes, dim=-1)  # (X, Y, Z, 3)
    pos = first[:, None, None, None, :] + offsets  # (n, X, Y, Z, 3) voxels
    norm = ((pos - centres[:, None, None, None, :]) / half_vox).flip(-1)  # patches' [-1, 1], (z, y, x)
    grid = norm.to(probs.device)
    values = F.grid_sample(probs, grid, mode="bilinear", padding_mode="border", align_corners=False).cpu()
    for i in range(len(probs)):
        lo = [int(first[i, a]) for a in range(3)]
        hi = [min(int(shape[a]), lo[a] + int(sizes[i, a])) for a in range(3)]
        start = [max(0, v) for v in lo]
        if any(a >= b for a, b in zip(start, hi, strict=True)):
            continue
        x, y, z = (slice(a, b) for a, b in zip(start, hi, strict=True))
        u, v, w = (slice(a - b, c - b) for a, b, c in zip(start, lo, hi, strict=True))
        sums[:, x, y, z] += values[i, :, u, v, w]
        counts[x, y, z] += 1


@torch.inference_mode()
def predict(
    net: Patchwork,
    doc: ModelDoc,
    subject: Subject,
    *,
    overlap: float = 0.0,
    random_trees: int = 0,
    batch: int = 8,
    seed: int = 0,
    progress: Callable[[float, str], None] | None = None,
) -> np.ndarray:
    """Probabilities ``(L, X, Y, Z)`` (float32) of every label on the subject's grid.

    Tiles: finest patches side by side (``overlap`` 0.5: half a patch apart), each with its concentric
    tree; ``random_trees`` more trees with random offsets and the same foreground-free sampling average in.
    Deterministic for a given ``seed``; ``progress`` hears the fraction of the patch trees done."""
    p = doc.params
    dev = next(net.parameters()).device
    image, zooms, shape = subject.image.to(dev), subject.zooms, subject.shape
    widths = tuple(doc.widths_mm)
    finest_mm = widths[-1]
    half_vox = torch.full((3,), finest_mm / 2) / zooms
    step = (1 - overlap) * finest_mm / zooms.numpy()
    centres = _tile_centres(shape, step)
    gen = torch.Generator().manual_seed(seed)
    eye = torch.eye(3)
    sums = torch.zeros((len(doc.labels), *shape))
    counts = torch.zeros(shape)
    runs: list[tuple[torch.Tensor, bool]] = [(centres, False)]
    if random_trees:
        runs.append((tree.random_finest(shape, random_trees, 0.0, None, gen), True))
    total, done = sum(len(f) for f, _ in runs), 0
    for finest, jitter in runs:
        for start in range(0, len(finest), batch):
            chunk = finest[start : start + batch]
            frames = eye.expand(len(chunk), 3, 3).clone()
            trees = tree.sample_trees(shape, zooms, widths, chunk, frames, gen if jitter else None)
            prob = torch.sigmoid(net(image, trees, p.patch, zooms)[-1])
            _paste(sums, counts, prob, chunk, half_vox)
            done += len(chunk)
            if progress is not None:
                progress(done / total, f"{done} of {total} patch trees")
    sums /= counts.clamp_min(1)
    return sums.numpy()


def dice(pred: np.ndarray, truth: np.ndarray) -> float:
    """Dice of two masks (1.0 when both are empty)."""
    a, b = np.asarray(pred, bool), np.asarray(truth, bool)
    total = int(a.sum()) + int(b.sum())
    return 1.0 if total == 0 else 2.0 * int((a & b).sum()) / total
