"""Inference: the finest level's predictions of tiled (and optionally random) patch trees, averaged voxel by
voxel on the subject's grid. Training's validation and the apply job both call :func:`predict`."""

from __future__ import annotations

import io
import math
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
    sums: torch.Tensor, counts: torch.Tensor, patch_prob: torch.Tensor, centre: torch.Tensor, half_vox: torch.Tensor
) -> None:
    """Resample one finest patch ``(L, P, P, P)`` (axis-aligned, concentric trees) onto the voxels it covers."""
    shape = sums.shape[1:]
    lo = [max(0, math.ceil(float(c - h))) for c, h in zip(centre, half_vox, strict=True)]
    hi = [min(int(s), math.floor(float(c + h)) + 1) for c, h, s in zip(centre, half_vox, shape, strict=True)]
    if any(a >= b for a, b in zip(lo, hi, strict=True)):
        return
    axes = [torch.arange(a, b, dtype=torch.float32) for a, b in zip(lo, hi, strict=True)]
    pos = torch.stack(torch.meshgrid(*axes, indexing="ij"), dim=-1)  # (x, y, z, 3) voxels
    norm = ((pos - centre) / half_vox).flip(-1)[None].to(patch_prob.device)  # patch's [-1, 1]
    values = F.grid_sample(patch_prob[None], norm, mode="bilinear", padding_mode="border", align_corners=False)[0]
    box = (slice(None), slice(lo[0], hi[0]), slice(lo[1], hi[1]), slice(lo[2], hi[2]))
    sums[box] += values.cpu()
    counts[box[1:]] += 1


@torch.no_grad()
def predict(
    net: Patchwork,
    doc: ModelDoc,
    subject: Subject,
    *,
    overlap: float = 0.0,
    random_trees: int = 0,
    batch: int = 8,
    seed: int = 0,
) -> np.ndarray:
    """Probabilities ``(L, X, Y, Z)`` (float32) of every label on the subject's grid.

    Tiles: finest patches side by side (``overlap`` 0.5: half a patch apart), each with its concentric
    tree; ``random_trees`` more trees with random offsets and the same foreground-free sampling average in.
    Deterministic for a given ``seed``."""
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
    for finest, jitter in runs:
        for start in range(0, len(finest), batch):
            chunk = finest[start : start + batch]
            frames = eye.expand(len(chunk), 3, 3).clone()
            trees = tree.sample_trees(shape, zooms, widths, chunk, frames, gen if jitter else None)
            prob = torch.sigmoid(net(image, trees, p.patch, zooms)[-1])
            for i in range(len(chunk)):
                _paste(sums, counts, prob[i], chunk[i], half_vox)
    return (sums / counts.clamp_min(1)).numpy().astype(np.float32)


def dice(pred: np.ndarray, truth: np.ndarray) -> float:
    """Dice of two masks (1.0 when both are empty)."""
    a, b = np.asarray(pred, bool), np.asarray(truth, bool)
    total = int(a.sum()) + int(b.sum())
    return 1.0 if total == 0 else 2.0 * int((a & b).sum()) / total
