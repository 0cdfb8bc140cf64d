"""Train and apply through the batch engine on the local executor: a cohort training job over two studies,
then apply on one study; the mask becomes an ROI with the model in its sidecar; a model whose inputs do not
match is refused at launch with the reason."""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from sqlalchemy import select

from nora.annotation import store
from nora.annotation.models import AnnotationObject
from nora.archive.services import nodes
from nora.archive.services.files import Upload, store_uploads
from nora.core.errors import InvalidInput
from nora.processing.models import Job
from nora.processing.resolve import analysis_dir
from nora.processing.service import kill_jobs
from nora.segmentation.modelfile import read_model
from tests.unit.processing.conftest import NIFTI, PROJECT, World, build_world
from tests.unit.segmentation.conftest import TINY


@pytest.fixture
def labelled(tmp_path: Path) -> World:
    """The processing tests' project (S01#MR1, S02#MR1 with a real T1) with a label in each study."""
    world = build_world(f"sqlite:///{tmp_path / 'nora.sqlite'}", tmp_path / "home", "local")
    img = nib.Nifti1Image.from_bytes(NIFTI)
    data = np.asarray(img.dataobj, dtype=np.float32)
    mask = nib.Nifti1Image((data > np.percentile(data, 70)).astype(np.uint8), img.affine)
    with world.sessions() as s:
        access = world.access(s)
        for pid in ("S01", "S02"):
            study = nodes.get_study(s, access, pid, "MR1")
            store_uploads(
                s, access, world.layout, study.patient, study, [Upload("seg/mask.nii", io.BytesIO(mask.to_bytes()))]
            )
        s.commit()
    return world


def _args(**values: object) -> list[dict[str, object]]:
    types = {"model": "STRING", "output_type": "OPTION", "output": "OUT"}
    rows = []
    for name, value in values.items():
        kind = (
            "FILE"
            if name.startswith(("contrast", "label")) and not isinstance(value, float)
            else types.get(name, "NUMERIC")
        )
        rows.append({"name": name, "type": kind, "value": value})
    return rows


def test_train_on_the_cohort_then_apply_to_a_study(labelled: World) -> None:
    tiny = {k: float(v) for k, v in TINY.items()} | {"patch": 12.0, "voxel_mm": 3.0, "iterations": 8.0, "epoch": 4.0}
    train = {
        "level": "cohort",
        "jobs": [
            {
                "job": "patchwork_train",
                "args": _args(contrast1="t1_mprage/*.nii", label1="seg/mask*", model="models/demo", **tiny),
            }
        ],
    }
    with pytest.raises(InvalidInput, match="launch it at the cohort level"):
        labelled.launch({**train, "level": "study"})
    batch = labelled.launch(train)
    (job,) = labelled.run(batch, timeout=180)
    assert job.state == "d", (job.message, Path(job.log_path).read_text() if job.log_path else "")
    assert job.patient_id is None and job.spec["studies"] == ["S01#MR1", "S02#MR1"]
    doc = read_model(analysis_dir(labelled.layout, PROJECT) / "models/demo")
    assert doc.version == 2 and doc.creator == "researcher" and doc.contrasts == ["t1_mprage/*.nii"]
    assert sorted(doc.training + doc.validation) == ["S01#MR1", "S02#MR1"] and len(doc.validation) == 1
    assert "validation Dice" in Path(job.log_path).read_text()

    apply = {
        "jobs": [
            {
                "job": "patchwork_apply",
                "args": _args(
                    contrast1="t1_mprage/*.nii", model="models/demo/model_patchwork.json", output="ROIS/auto.nii.gz"
                ),
            }
        ]
    }
    (done,) = labelled.run(labelled.launch(apply, rows=["S01#MR1"]), timeout=180)
    assert done.state == "d", done.message
    with labelled.sessions() as s:
        access = labelled.access(s)
        study = nodes.get_study(s, access, "S01", "MR1")
        roi = store.find_object(s, access, store.Node(study.patient, study), "ROIS/auto.nii.gz")
        assert roi is not None and roi.kind == "roi" and roi.current == 1 and roi.reference_id is not None
        assert s.scalar(select(AnnotationObject.created_by).where(AnnotationObject.id == roi.id)) == "researcher"
    sidecar = json.loads((labelled.layout.study_dir(PROJECT, "S01", "MR1") / "ROIS/auto.json").read_text())
    assert sidecar["model"] == "demo" and sidecar["model_version"] == 2 and sidecar["tool"] == "patchwork_apply"
    assert sidecar["reference"] == "t1_mprage/s001.nii"

    two = {
        "jobs": [
            {
                "job": "patchwork_apply",
                "args": _args(
                    contrast1="t1_mprage/*.nii", contrast2="seg/mask*", model="models/demo", output="ROIS/x.nii.gz"
                ),
            }
        ]
    }
    (refused,) = labelled.jobs(labelled.launch(two, rows=["S02#MR1"]))
    assert refused.state == "e" and "takes 1 contrast(s) (t1_mprage/*.nii)" in refused.message


def test_a_running_training_shows_its_progress_in_the_monitor(labelled: World) -> None:
    """A real (tiny) training job on the local executor: the engine's rounds bring its iteration, loss and
    last validation Dice into the job's row while it runs; killed, it ends in error and keeps its model."""
    tiny = {k: float(v) for k, v in TINY.items()} | {"patch": 12.0, "voxel_mm": 3.0, "iterations": 1e6, "epoch": 5.0}
    args = _args(contrast1="t1_mprage/*.nii", label1="seg/mask*", model="models/long", **tiny)
    batch = labelled.launch({"level": "cohort", "jobs": [{"job": "patchwork_train", "args": args}]})
    engine = labelled.engine([batch])
    (job,) = labelled.jobs(batch)
    seen = labelled.wait_phase(job.id, ("running",), engine, timeout=120)
    deadline = time.monotonic() + 180
    while not ("validation Dice" in seen.message and 0 < seen.progress < 1):
        assert time.monotonic() < deadline, f"no progress in the row: {seen.phase} {seen.progress} {seen.message!r}"
        engine.tick()
        time.sleep(0.2)
        with labelled.sessions() as s:
            seen = s.get(Job, job.id)  # type: ignore[assignment]
    assert seen.phase == "running" and re.fullmatch(
        r"iteration \d+ of 1000000, loss \d+\.\d{4}, validation Dice \d\.\d{3} \(epoch \d+\)", seen.message
    ), seen.message
    with labelled.sessions() as s:
        assert kill_jobs(s, labelled.access(s), labelled.config, [job.id]) == [job.id]
        s.commit()
    (ended,) = labelled.run(batch, engine=engine, timeout=120)
    assert ended.state == "e" and ended.message == "the job was killed"
    assert read_model(analysis_dir(labelled.layout, PROJECT) / "models/long").version >= 1
