"""The assistant's operations on the archive: open a session on an image, interact, undo, reset, end.

Rights: the caller needs write access to the project (the result goes into an ROI of the image's study);
the image and every mask are read through the caller's access (files of another project are not found),
and a mask must belong to the image's study. The image is read once, when the session opens.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy.orm import Session as Db

from nora.annotation import rois, store
from nora.archive.models import File, Patient, Study
from nora.archive.services import files
from nora.archive.services.access import Access
from nora.archive.storage import Layout
from nora.core.errors import InvalidInput, NotFound, TooLarge
from nora.core.settings import AssistantConfig
from nora.imaging.roi import Affine, Mask, resample_to, same_grid
from nora.segmentation.assistant import backends
from nora.segmentation.assistant.backends import Volume
from nora.segmentation.assistant.encoding import Packed, pack, unpack
from nora.segmentation.assistant.interactions import (
    Interaction,
    MaskIn,
    VoxelInteraction,
    mask_interaction,
    slab_of,
    to_voxels,
)
from nora.segmentation.assistant.sessions import Key, Session, SessionStore

#: bytes a session holds per voxel: the smoothed image (float32) and the result; remote: the target buffer
BYTES_PER_VOXEL = {"builtin": 5, "patchwork": 5, "nninteractive": 2}


def _study_file(db: Db, access: Access, file_id: int, what: str) -> tuple[File, Patient, Study]:
    row = files.get_file(db, access, file_id)
    study = db.get(Study, row.study_id) if row.study_id else None
    patient = db.get(Patient, row.patient_id)
    if study is None or patient is None:
        raise InvalidInput(f"the {what} {row.path} is a patient-level file: choose an image of a study")
    return row, patient, study


def _read(db: Db, access: Access, layout: Layout, row: File) -> Volume:
    from nora.processing.catalog import load_volume

    grid = rois.grid_of(row)
    img = load_volume(str(files.file_location(db, layout, access, row)))
    data = np.asanyarray(img.dataobj)
    if data.ndim == 4:
        data = data[..., 0]
    if data.shape[:3] != grid.shape:
        raise InvalidInput(f"{row.path} has matrix {list(data.shape)}, not {list(grid.shape)} as indexed: re-import it")
    return Volume(np.asarray(data.reshape(grid.shape)), grid.affine)


def open_session(
    db: Db,
    access: Access,
    layout: Layout,
    sessions: SessionStore,
    config: AssistantConfig,
    *,
    file_id: int,
    roi: str,
    initial: MaskIn | None = None,
    model: int | None = None,
) -> Session:
    """A session on image ``file_id`` for the ROI ``roi`` of its study (optionally starting from a mask);
    ``model``: a patchwork model of the project proposes the initial mask (the patchwork backend)."""
    access.require_write()
    rois.roi_path(roi)  # a valid ROI name, or InvalidInput
    row, patient, study = _study_file(db, access, file_id, "image")
    grid = rois.grid_of(row)
    voxels = int(np.prod(grid.shape))
    if voxels > config.max_voxels:
        raise TooLarge(f"{row.path} has {voxels} voxels; the assistant takes images of up to {config.max_voxels}")
    name = "patchwork" if model is not None else backends.choose(config, access.project.settings)
    if name == "patchwork" and initial is None and model is None:
        raise InvalidInput(
            "the patchwork backend starts from a model's output: give 'model' (a patchwork model of the project) "
            "or 'initial' {kind: mask, file_id: ...} (a model's output mask in this study)"
        )
    prior = None if model is None else _model_prior(db, access, layout, config, row, grid.shape, grid.affine, model)
    volume = _read(db, access, layout, row)
    key = Key(access.actor.user_id, access.project.id, row.id, roi)
    session = sessions.open(
        key,
        access.actor.username,
        name,
        voxels * BYTES_PER_VOXEL[name],
        lambda: backends.open_session(name, config, volume, prior),
        shape=grid.shape,
        affine=grid.affine,
        pid=patient.pid,
        sid=study.sid,
        model=model,
    )
    if prior is not None:
        from nora.segmentation.assistant.patchwork import PatchworkSession

        assert isinstance(session.backend, PatchworkSession)
        session.result = session.backend.result
    if initial is not None:
        try:
            interact(db, access, layout, sessions, session, initial)
        except BaseException:
            sessions.close(session.id, key.user_id, key.project_id)
            raise
    return session


def _model_prior(
    db: Db,
    access: Access,
    layout: Layout,
    config: AssistantConfig,
    image: File,
    shape: tuple[int, int, int],
    affine: Affine,
    model_id: int,
) -> Mask:
    """The project's patchwork model ``model_id`` applied to the image (one contrast): its output mask."""
    from nora.processing.resolve import analysis_dir
    from nora.segmentation import service as models
    from nora.segmentation.assistant.patchwork import model_prior

    model = models.get_model(db, access, layout, model_id)
    if len(model.contrasts) != 1:
        raise InvalidInput(
            f"the model {model.name} takes {len(model.contrasts)} contrasts ({', '.join(model.contrasts)}); "
            "the assistant gives it one image: choose a model of one contrast"
        )
    path = files.file_location(db, layout, access, image)
    return model_prior(
        analysis_dir(layout, access.project.name), model.folder, path, shape, affine, config.prior_timeout_s
    )


def _mask_of(db: Db, access: Access, layout: Layout, session: Session, item: MaskIn) -> Mask:
    """The mask on the session's grid: the page's packed mask, a mask file of the image's study, or one of
    its ROIs."""
    if item.packed is not None:
        p = item.packed
        return unpack(Packed((p.lo[0], p.lo[1], p.lo[2]), (p.hi[0], p.hi[1], p.hi[2]), 0, p.data), session.shape)
    image, patient, study = _study_file(db, access, session.key.file_id, "image")
    if item.file_id is not None:
        row, _, _ = _study_file(db, access, item.file_id, "mask")
        if row.study_id != image.study_id:
            raise InvalidInput(f"the mask {row.path} belongs to another study: choose a mask of the image's study")
        path = files.file_location(db, layout, access, row)
        return backends.model_output(path, session.shape, session.affine)
    assert item.roi is not None
    obj = store.find_object(db, access, store.Node(patient, study), rois.roi_path(item.roi))
    if obj is None:
        raise NotFound(f"the study has no ROI {item.roi!r}: save it first, or start without it")
    r = rois.load(db, access, layout, obj)
    if same_grid(r.mask.shape, r.affine, session.shape, session.affine):
        return r.mask
    values = resample_to(r.mask.astype(np.float32), r.affine, session.shape, session.affine, order=0)
    return np.asarray(np.nan_to_num(values, nan=0.0) > 0.5, dtype=bool)


def interact(
    db: Db, access: Access, layout: Layout, sessions: SessionStore, session: Session, item: Interaction
) -> Session:
    """Adds one interaction (one undo step) and computes the new result. An interaction with ``slices``
    (NORA's N) changes the result on those slices only; the backend keeps its interactions for the next
    steps, which refine the whole 3D result again."""
    access.require_write()
    if len(session.history) >= sessions.config.max_interactions:
        raise InvalidInput(
            f"this session holds {len(session.history)} interactions, its limit: undo, Reset or apply and start anew"
        )
    step: list[VoxelInteraction]
    if isinstance(item, MaskIn):
        step = [mask_interaction(_mask_of(db, access, layout, session, item), item.positive)]
    else:
        step = to_voxels(item, session.affine, session.shape)
    slab = None if item.slices is None else slab_of(item.slices, session.affine, session.shape)
    with session.lock:
        before = session.result
        result = session.backend.add(step)
        if slab is not None:
            result = np.where(slab, result, before)
        # once a step was held to its slices, what the page saw before a step is not the backend's result
        # for the steps before it: kept (packed) so that undo gives exactly that back
        held = slab is not None or any(b is not None for b in session.before)
        session.before.append(pack(before) if held else None)
        session.result = result
        sent = item.model_dump(by_alias=True)
        if isinstance(item, MaskIn) and item.packed is not None:
            sent["packed"]["data"] = ""  # the history names a packed mask's box, not its bits
        session.history.append(sent)
        session.version += 1
    return session


def undo(access: Access, session: Session) -> Session:
    """Forgets the last interaction: the result is what it was before it (the backend's own undo)."""
    access.require_write()
    with session.lock:
        if not session.history:
            raise InvalidInput("nothing to undo: the session has no interaction")
        result = session.backend.undo()
        before = session.before.pop() if session.before else None
        session.result = result if before is None else unpack(before, session.shape)
        session.history.pop()
        session.version += 1
    return session


def reset(access: Access, session: Session) -> Session:
    access.require_write()
    with session.lock:
        session.result = session.backend.reset()
        session.history.clear()
        session.before.clear()
        session.version += 1
    return session


def summary(session: Session) -> dict[str, Any]:
    return {
        "id": session.id,
        "backend": session.backend_name,
        "model": session.model,
        "file_id": session.key.file_id,
        "roi": session.key.roi,
        "pid": session.pid,
        "sid": session.sid,
        "matrix": list(session.shape),
        "affine": [[float(v) for v in row] for row in session.affine],
        "interactions": list(session.history),
        "version": session.version,
    }
