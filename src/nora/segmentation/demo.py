"""The demo project's patchwork model: grey and white matter of the MNI152 template, trained in seconds.

``nora demo`` trains it on MNI001's T1 and its tissue maps (``seg/gm.nii.gz``, ``seg/wm.nii.gz`` above 0.5)
into ``<analysis folder>/models/mni_tissue``, so a new user can apply a model at once (Apply Patchwork with
``models/mni_tissue/model_patchwork.json``). Coarse on purpose (4 mm, 120 iterations on one CPU thread): a
demonstration, not a tissue classifier. An existing model is left as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.archive.models import File
from nora.archive.services import files, nodes
from nora.archive.services.access import Actor, project_access
from nora.archive.storage import Layout
from nora.processing.resolve import analysis_dir
from nora.segmentation import service
from nora.segmentation.modelfile import MODEL_FILE, PatchworkParams

FOLDER = "models/mni_tissue"
#: (pid, sid, image, labels)
SOURCE = ("MNI001", "20240105", "t1_mni/s001.nii.gz", ("seg/gm.nii.gz", "seg/wm.nii.gz"))
PARAMS = PatchworkParams(
    depth=2, patch=16, voxel_mm=4.0, iterations=120, epoch=40, batch=2, features=4, learning_rate=0.003, validation=0.0
)


def add_demo_model(
    session: Session, layout: Layout, owner: Actor, project: str, say: Callable[[str], None] = print
) -> str:
    """Train the demo model where it is missing; its folder in the analysis folder ("" when not possible)."""
    access = project_access(session, owner, project)
    folder = analysis_dir(layout, project) / FOLDER
    if (folder / MODEL_FILE).is_file():
        return FOLDER
    pid, sid, image, labels = SOURCE
    study = nodes.get_study(session, access, pid, sid)
    rows = {r.path: r for r in session.scalars(select(File).where(File.study_id == study.id))}
    if image not in rows or any(label not in rows for label in labels):
        return ""
    paths = [str(files.file_location(session, layout, access, rows[p])) for p in (image, *labels)]
    _train(paths[0], paths[1:], folder, f"{pid}#{sid}", owner.username, say)
    service.sync(session, access, layout)
    return FOLDER


def _train(image: str, labels: list[str], folder: Path, name: str, creator: str, say: Callable[[str], None]) -> None:
    import torch

    from nora.processing.catalog import load_volume
    from nora.segmentation.patchwork import data, train

    torch.set_num_threads(1)
    maps = [np.asarray(load_volume(p).dataobj) > 0.5 for p in labels]
    img: Any = load_volume(image)
    subject = data.from_arrays([np.asarray(img.dataobj)], img.affine, maps, name=name)
    doc = train.new_doc(folder.name, ["t1_mni/*.nii*"], ["seg/gm*", "seg/wm*"], PARAMS, [subject], [], creator)
    train.train(doc, [subject], [], folder, say=say)
