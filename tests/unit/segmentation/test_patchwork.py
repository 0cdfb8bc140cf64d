"""The patchwork model learns, apply reproduces training's prediction, wrong inputs are refused, the tree
geometry is right (a child's crop of its parent's output is the parent's output at the child's points)."""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import torch

from nora.core.errors import InvalidInput, NotFound
from nora.segmentation import jobs
from nora.segmentation.modelfile import MODEL_FILE, WEIGHTS_FILE, read_model
from nora.segmentation.patchwork import data, infer, tree
from tests.unit.segmentation.conftest import AFFINE, Trained, ball


def test_a_tiny_model_learns_its_training_subject(trained: Trained) -> None:
    doc = read_model(trained.folder)
    assert doc.version == 3 and [h["iteration"] for h in doc.history] == [20, 40, 60]
    assert doc.creator == "researcher" and doc.contrasts == ["t1*"] and doc.training == ["S1#MR1"]
    subject = data.load_subject([trained.image], [trained.mask])
    prob = infer.predict(trained.net, doc, subject)  # type: ignore[arg-type]
    truth = np.asarray(nib.load(trained.mask).dataobj) > 0
    fraction = truth.mean()
    chance = 2 * fraction / (1 + fraction)  # Dice of a random mask of the right size (about 0.1 here)
    score = infer.dice(prob[0] >= 0.5, truth)
    assert score > 0.5 > 3 * chance, (score, chance)
    assert doc.history[-1]["dice"] == pytest.approx(score, abs=1e-3)  # the logged validation Dice is apply's


def test_apply_reproduces_the_training_pipelines_prediction(trained: Trained, tmp_path: Path) -> None:
    out = tmp_path / "prob.nii.gz"
    analysis = trained.folder.parent.parent
    values = {
        "contrast1": trained.image,
        "model": f"models/ball/{MODEL_FILE}",
        "output_type": "probability",
        "output": str(out),
        "_analysis_dir": str(analysis),
        "_psid": "S1#MR1",
    }
    jobs.prepare_apply(values)
    jobs.APPLY.run(values)
    applied = np.asarray(nib.load(out).dataobj)
    subject = data.load_subject([trained.image])
    expected = infer.predict(trained.net, read_model(trained.folder), subject)[0]  # type: ignore[arg-type]
    assert applied.shape == expected.shape and np.allclose(applied, expected, atol=1e-5)
    mask_out = tmp_path / "mask.nii.gz"
    jobs.APPLY.run({**values, "output_type": "mask", "output": str(mask_out)})
    mask = nib.load(mask_out)
    assert mask.get_data_dtype() == np.uint8 and np.allclose(mask.affine, AFFINE)
    assert np.array_equal(np.asarray(mask.dataobj) > 0, expected >= 0.5)


def test_inputs_that_do_not_match_the_model_are_refused(trained: Trained) -> None:
    values = {"contrast1": trained.image, "contrast2": trained.image, "model": "models/ball", "_psid": "P#S"}
    values["_analysis_dir"] = str(trained.folder.parent.parent)
    with pytest.raises(InvalidInput, match=r"takes 1 contrast\(s\) \(t1\*\); the job for P#S gives 2"):
        jobs.prepare_apply(values)
    with pytest.raises(InvalidInput, match="label 2: the model ball has 1 label"):
        jobs.prepare_apply({**values, "contrast2": "", "label": 2.0})
    with pytest.raises(NotFound, match="no patchwork model") as unknown:
        jobs.prepare_apply({**values, "model": "models/none"})
    # an unknown model is refused naming the project's models (relative names, no server paths)
    expected = "'models/none' in this project: its models are models/ball/model_patchwork.json (ball version 3: t1*)"
    assert expected in str(unknown.value) and "/tmp" not in str(unknown.value)
    with pytest.raises(NotFound, match=r"it has none yet \(train one with Patchwork 3D first\)"):
        jobs.prepare_apply({**values, "model": "models/none", "_analysis_dir": str(trained.folder / "empty")})
    with pytest.raises(InvalidInput, match="contrast1, contrast2, contrast3 in order"):
        jobs.given({"contrast1": "a", "contrast3": "c"}, jobs.CONTRASTS)
    with pytest.raises(InvalidInput, match="patch must be a multiple of 4"):
        jobs.prepare_training({**values, "patch": 18.0, "label1": ["x"], "_studies": ["P#S"]})


def test_a_model_without_weights_is_refused_and_bad_weights_say_so(trained: Trained, tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    folder.mkdir()
    doc = json.loads((trained.folder / MODEL_FILE).read_text())
    (folder / MODEL_FILE).write_text(json.dumps(doc))
    with pytest.raises(NotFound, match="no weights yet"):
        read_model(folder)
    (folder / WEIGHTS_FILE).write_bytes(b"not weights")
    with pytest.raises(Exception, match="do not fit"):
        infer.load(folder)


def test_a_childs_crop_of_its_parent_is_the_parent_at_the_childs_points() -> None:
    torch.manual_seed(0)
    image, _mask = ball((16, 16, 12), 1)
    volume = torch.from_numpy(data.normalise(image))[None]
    zooms = torch.tensor([1.5, 1.5, 2.0])
    gen = torch.Generator().manual_seed(3)
    widths = tuple(tree.level_widths(np.array([48.0, 48.0, 48.0]), 2, 16, 1.5))
    frames = tree.random_frames(3, 20.0, 0.1, True, gen)
    trees = tree.sample_trees((32, 32, 24), zooms, widths, torch.tensor([[16.0, 16, 12]] * 3), frames, gen)
    parent = tree.sample(volume, trees, 0, 16, zooms)
    child = tree.sample(volume, trees, 1, 16, zooms)
    cropped = tree.crop_parent(parent, trees, 1, zooms)
    # the parent is coarser (twice the spacing): its crop is a smoothed version of the child's own view
    correlation = np.corrcoef(cropped.flatten().numpy(), child.flatten().numpy())[0, 1]
    assert correlation > 0.8, correlation
