"""The project's segmentation models: listed from their files, shown, deleted (no torch here).

A model is the folder of a ``model_patchwork.json`` under the project's analysis folder
(``NORA_HOME/analyses/<project>``, :func:`~nora.segmentation.modelfile.find_models`). :func:`sync` makes the rows
match the files (a training job writes only files, also when it is stopped), so listing always shows what
apply can use. Reading needs read access to the project, deleting write access; every delete is audited.
"""

from __future__ import annotations

import datetime as dt
import shutil

from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.archive.models import utcnow
from nora.archive.services import audit
from nora.archive.services.access import Access
from nora.archive.storage import Layout
from nora.core.errors import NotFound
from nora.processing.resolve import analysis_dir
from nora.segmentation.modelfile import MODEL_FILE, WEIGHTS_FILE, ModelDoc, find_models
from nora.segmentation.models import SegmentationModel


def _time(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text).astimezone(dt.UTC).replace(tzinfo=None)
    except ValueError:
        return utcnow()


def _fill(row: SegmentationModel, doc: ModelDoc) -> None:
    row.name, row.version, row.creator = doc.name, doc.version, doc.creator
    row.contrasts, row.labels = list(doc.contrasts), list(doc.labels)
    row.training, row.validation = list(doc.training), list(doc.validation)
    row.params, row.figures, row.history = doc.params.model_dump(), doc.figures(), list(doc.history)
    row.created_at, row.updated_at = _time(doc.created), _time(doc.updated or doc.created)


def sync(session: Session, access: Access, layout: Layout) -> list[SegmentationModel]:
    """The project's model rows after bringing them in line with the model files (sorted by folder)."""
    docs = find_models(analysis_dir(layout, access.project.name))
    rows = {
        r.folder: r
        for r in session.scalars(select(SegmentationModel).where(SegmentationModel.project_id == access.project.id))
    }
    for folder, row in rows.items():
        if folder not in docs:
            session.delete(row)
    for folder, doc in docs.items():
        found = rows.get(folder)
        if found is None:
            found = SegmentationModel(project_id=access.project.id, folder=folder)
            session.add(found)
        row = found
        if row.version != doc.version or row.name != doc.name or not row.history and doc.history:
            _fill(row, doc)
    session.flush()
    return sorted(
        (
            r
            for r in session.scalars(select(SegmentationModel).where(SegmentationModel.project_id == access.project.id))
        ),
        key=lambda r: r.folder,
    )


def get_model(session: Session, access: Access, layout: Layout, model_id: int) -> SegmentationModel:
    sync(session, access, layout)
    row = session.get(SegmentationModel, model_id)
    if row is None or row.project_id != access.project.id:
        raise NotFound(f"model {model_id} not found in project {access.project.name!r}")
    return row


def delete_model(session: Session, access: Access, layout: Layout, model_id: int) -> None:
    """Remove the model's folder (weights and JSON) and its row."""
    access.require_write()
    row = get_model(session, access, layout, model_id)
    folder = analysis_dir(layout, access.project.name) / row.folder
    audit.record(
        session, access.actor, "model.delete", project=access.project.name, target=row.folder, version=row.version
    )
    session.delete(row)
    session.flush()
    for name in (MODEL_FILE, WEIGHTS_FILE):
        (folder / name).unlink(missing_ok=True)
    if folder.is_dir() and not any(folder.iterdir()):
        shutil.rmtree(folder, ignore_errors=True)
