"""Brain extraction with deepbet (its pretrained TorchScript networks ship inside its wheel: no download).

deepbet resamples the image to its networks' grids itself and returns the mask on the input's grid; the
job writes it as an ROI file, which the engine registers as an ROI of the study.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from nora.core.atomic import atomic_write
from nora.processing.catalog import Values, load_volume


def brain_mask(img: Any, threshold: float = 0.5, dilate: int = 0) -> np.ndarray:
    """deepbet's brain mask (bool, on ``img``'s grid) of a nibabel image, on the GPU when there is one."""
    import nibabel as nib
    import torch
    from deepbet import BrainExtraction

    if len(img.shape) == 4 and img.shape[3] == 1:
        img = nib.Nifti1Image(np.asanyarray(img.dataobj)[..., 0], img.affine)  # type: ignore[no-untyped-call]
    bet = BrainExtraction(no_gpu=not torch.cuda.is_available())
    _brain, mask, _tiv = bet.run(img, threshold=threshold, n_dilate=dilate)
    found: np.ndarray = np.asanyarray(mask.dataobj) > 0
    return found


def run(values: Values) -> None:
    from nora.annotation.rois import Roi, encode

    started = time.monotonic()
    img = load_volume(str(values["input"]))
    mask = brain_mask(img, float(values.get("threshold") or 0.5), int(float(values.get("dilate") or 0)))
    atomic_write(Path(str(values["output"])), encode(Roi(mask, np.asarray(img.affine, dtype=np.float64))))
    print(f"[deepbet] brain mask: {int(mask.sum())} voxels in {time.monotonic() - started:.1f} s", flush=True)
