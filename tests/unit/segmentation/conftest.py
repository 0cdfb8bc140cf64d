"""A tiny labelled subject (a noisy ball in a 32x32x24 volume) and a patchwork model trained on it once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

SHAPE = (32, 32, 24)
AFFINE = np.diag([1.5, 1.5, 2.0, 1.0])
#: small and quick: 2 levels of 16^3, 4 features, a high learning rate
TINY = {"depth": 2, "patch": 16, "voxel_mm": 1.5, "batch": 2, "features": 4, "learning_rate": 0.01, "seed": 0}


def ball(centre: tuple[int, int, int], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(image, mask): a ball of radius 7 voxels, brighter than its surroundings, with noise and a shading."""
    x, y, z = np.mgrid[: SHAPE[0], : SHAPE[1], : SHAPE[2]]
    mask = (x - centre[0]) ** 2 + (y - centre[1]) ** 2 + (z - centre[2]) ** 2 < 49
    rng = np.random.default_rng(seed)
    image = 100 * (mask + rng.normal(0, 0.3, SHAPE) + 0.3 * np.sin(x / 5))
    return image.astype(np.float32), mask


def write_subject(folder: Path, centre: tuple[int, int, int], seed: int) -> tuple[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    image, mask = ball(centre, seed)
    nib.save(nib.Nifti1Image(image, AFFINE), folder / "t1.nii.gz")
    nib.save(nib.Nifti1Image(mask.astype(np.uint8), AFFINE), folder / "mask.nii.gz")
    return str(folder / "t1.nii.gz"), str(folder / "mask.nii.gz")


@dataclass
class Trained:
    folder: Path
    image: str
    mask: str
    net: object
    doc: object


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    """A model trained for 60 iterations on one subject (saved every 20) in ``<tmp>/models/ball``."""
    import torch

    from nora.segmentation.modelfile import PatchworkParams
    from nora.segmentation.patchwork import data, train

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("seg")
    image, mask = write_subject(root / "S1", (16, 16, 12), 0)
    subject = data.load_subject([image], [mask], name="S1#MR1")
    params = PatchworkParams(iterations=60, epoch=20, foreground=0.5, **TINY)  # type: ignore[arg-type]
    doc = train.new_doc("ball", ["t1*"], ["mask*"], params, [subject], [subject], creator="researcher")
    folder = root / "analyses" / "models" / "ball"
    doc, net = train.train(doc, [subject], [subject], folder, say=lambda _t: None)
    return Trained(folder, image, mask, net, doc)
