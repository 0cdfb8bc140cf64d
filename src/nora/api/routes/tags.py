"""Tags on patients, studies and files."""

from __future__ import annotations

from fastapi import APIRouter

from nora.api.deps import DB, ProjectAccess, ReadAccess
from nora.api.schemas import TagChange, TagsOut, TagStats
from nora.archive.models import FileTag, PatientTag, StudyTag
from nora.archive.services import files, nodes, tags
from nora.core.validation import DbInt

router = APIRouter(prefix="/projects/{project}", tags=["tags"])


@router.post("/patients/{pid}/tags", response_model=TagsOut)
def patient_tags(pid: str, body: TagChange, access: ProjectAccess, db: DB) -> TagsOut:
    patient = nodes.get_patient(db, access, pid)
    tags.change_patient_tags(db, access, [patient], body.add, body.remove)
    db.commit()
    return TagsOut(tags=tags.tags_of(db, PatientTag, "patient_id", [patient.id])[patient.id])


@router.post("/patients/{pid}/studies/{sid}/tags", response_model=TagsOut)
def study_tags(pid: str, sid: str, body: TagChange, access: ProjectAccess, db: DB) -> TagsOut:
    study = nodes.get_study(db, access, pid, sid)
    tags.change_study_tags(db, access, [study], body.add, body.remove)
    db.commit()
    return TagsOut(tags=tags.tags_of(db, StudyTag, "study_id", [study.id])[study.id])


@router.post("/files/{file_id}/tags", response_model=TagsOut)
def file_tags(file_id: DbInt, body: TagChange, access: ProjectAccess, db: DB) -> TagsOut:
    row = files.get_file(db, access, file_id)
    tags.change_file_tags(db, access, [row.id], body.add, body.remove)
    db.commit()
    return TagsOut(tags=tags.tags_of(db, FileTag, "file_id", [row.id])[row.id])


@router.get("/tags", response_model=TagStats)
def tag_stats(access: ReadAccess, db: DB) -> TagStats:
    return TagStats.model_validate(tags.tag_stats(db, access))
