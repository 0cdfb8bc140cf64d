"""The DICOM header viewer's route: a file's header (or its kept originals') and its JSON sidecar."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from nora.api.deps import DB, ReadAccess, State
from nora.api.schemas import DicomHeaderOut
from nora.archive.services import files
from nora.core.validation import MAX_INT, DbInt
from nora.viewer.dicomheader import header_view

router = APIRouter(prefix="/projects/{project}", tags=["viewer"])


@router.get("/files/{file_id}/dicom-header", response_model=DicomHeaderOut)
def dicom_header(
    file_id: DbInt,
    access: ReadAccess,
    db: DB,
    state: State,
    index: Annotated[
        int, Query(ge=0, le=MAX_INT, description="which instance of the series (default: the file itself)")
    ] = 0,
) -> DicomHeaderOut:
    """The header of a DICOM file (or instance ``index`` of its series), or of a converted image's kept
    originals, with the image's JSON sidecar; what is missing is said in ``note``."""
    view = header_view(db, access, state.layout, files.get_file(db, access, file_id), index)
    return DicomHeaderOut.model_validate(view)
