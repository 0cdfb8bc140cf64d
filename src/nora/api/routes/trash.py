"""A project's trash: move a file there, list it, restore an entry or delete it for good."""

from __future__ import annotations

from fastapi import APIRouter, status

from nora.api.deps import DB, ProjectAccess, State
from nora.api.routes.files import files_out
from nora.api.schemas import FileOut, TrashEntryOut
from nora.archive.services import files, trashbin
from nora.core.validation import DbInt

router = APIRouter(prefix="/projects/{project}", tags=["files"])


@router.post("/files/{file_id}/trash", response_model=TrashEntryOut, status_code=status.HTTP_201_CREATED)
def trash_file(file_id: DbInt, access: ProjectAccess, db: DB, state: State) -> TrashEntryOut:
    """Move a file to the project's trash (restorable); needs the write right, as deleting does."""
    entry = trashbin.trash_file(db, access, state.layout, files.get_file(db, access, file_id))
    db.commit()
    return TrashEntryOut.model_validate(entry)


@router.get("/trash", response_model=list[TrashEntryOut])
def list_trash(access: ProjectAccess, db: DB) -> list[TrashEntryOut]:
    return [TrashEntryOut.model_validate(e) for e in trashbin.list_trash(db, access)]


@router.post("/trash/{entry_id}/restore", response_model=FileOut)
def restore(entry_id: DbInt, access: ProjectAccess, db: DB, state: State) -> FileOut:
    """Put a trashed file back where it was; 409 when that name is taken now, 404 when its study is gone."""
    entry = trashbin.get_entry(db, access, entry_id)
    pid, sid = entry.pid, entry.sid
    row = trashbin.restore(db, access, state.layout, entry_id)
    db.commit()
    return files_out(db, access, [row], {row.id: (pid, sid)})[0]


@router.delete("/trash/{entry_id}", status_code=status.HTTP_204_NO_CONTENT)
def purge(entry_id: DbInt, access: ProjectAccess, db: DB, state: State) -> None:
    trashbin.purge(db, access, state.layout, entry_id)
    db.commit()
