"""The Brain extraction job (deepbet's pretrained networks, shipped in its wheel) on a real brain: nilearn's
MNI152 template, downsampled to 3 mm so the test stays short (deepbet resamples to its own grid anyway). Its
mask, written as the job's ROI on the input's grid, must agree with nilearn's MNI152 brain mask of the same
template (``load_mni152_brain_mask``'s rule: the template scaled to 0..1, above 0.2)."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from nora.segmentation import jobs
from nora.segmentation.patchwork.infer import dice

MM = 3.0


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """The 3 mm template as a file, and nilearn's brain mask on the same grid."""
    import nilearn
    from nibabel.processing import resample_to_output

    full = nib.load(Path(nilearn.__file__).parent / "datasets/data/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz")
    t1 = np.asarray(full.dataobj, dtype=np.float32)
    reference = nib.Nifti1Image((t1 / t1.max() > 0.2).astype(np.float32), full.affine)
    small = resample_to_output(full, MM)
    mask = np.asarray(resample_to_output(reference, MM, order=0).dataobj) > 0.5
    path = tmp_path_factory.mktemp("bet") / "t1.nii.gz"
    nib.save(small, path)
    return path, mask


def test_the_brain_mask_of_the_mni_template_matches_nilearns(template: tuple[Path, np.ndarray], tmp_path: Path) -> None:
    import torch

    torch.set_num_threads(1)
    path, reference = template
    out = tmp_path / "brain.nii.gz"
    jobs.BRAIN.run({"input": str(path), "output": str(out), "threshold": 0.5, "dilate": 0.0})
    roi, image = nib.load(out), nib.load(path)
    assert roi.shape == image.shape and np.allclose(roi.affine, image.affine)
    assert roi.get_data_dtype() == np.uint8
    mask = np.asarray(roi.dataobj) > 0
    score = dice(mask, reference)
    assert score > 0.95, score  # 0.976 measured; a box, a threshold of the head or an empty mask score far lower
    assert 0.8 < mask.sum() / reference.sum() < 1.2
    # the brain, not the head: nothing in the slabs left and right of it and above it (the brainstem reaches
    # the template's lowest slice)
    assert not mask[:3].any() and not mask[-3:].any() and not mask[:, :, -3:].any()
