"""Segmentation models of a project: list, show, delete (training and apply are batch jobs)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from nora.api.deps import DB, ProjectAccess, ReadAccess, State
from nora.api.schemas import Out, UtcDateTime
from nora.core.validation import DbInt
from nora.segmentation import service
from nora.segmentation.models import SegmentationModel

router = APIRouter(prefix="/projects/{project}/segmentation", tags=["segmentation"])


class ModelOut(Out):
    """A model: its folder in the project's analysis folder (apply names ``<folder>/model_patchwork.json``)."""

    id: int
    name: str
    folder: str
    kind: str
    version: int
    contrasts: list[str]
    labels: list[str]
    training: list[str]
    validation: list[str]
    params: dict[str, Any]
    figures: dict[str, Any]
    creator: str
    created_at: UtcDateTime
    updated_at: UtcDateTime


class ModelDetailOut(ModelOut):
    history: list[dict[str, Any]]


def _out(row: SegmentationModel) -> dict[str, Any]:
    fields = ("id", "name", "folder", "kind", "version", "contrasts", "labels", "training", "validation")
    more = ("params", "figures", "creator", "created_at", "updated_at", "history")
    return {name: getattr(row, name) for name in (*fields, *more)}


@router.get("/models", response_model=list[ModelOut])
def list_models(access: ReadAccess, db: DB, state: State) -> list[ModelOut]:
    rows = service.sync(db, access, state.layout)
    db.commit()
    return [ModelOut.model_validate(_out(r)) for r in rows]


@router.get("/models/{model_id}", response_model=ModelDetailOut)
def get_model(model_id: DbInt, access: ReadAccess, db: DB, state: State) -> ModelDetailOut:
    row = service.get_model(db, access, state.layout, model_id)
    db.commit()
    return ModelDetailOut.model_validate(_out(row))


@router.delete("/models/{model_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_model(model_id: DbInt, access: ProjectAccess, db: DB, state: State) -> None:
    service.delete_model(db, access, state.layout, model_id)
    db.commit()
