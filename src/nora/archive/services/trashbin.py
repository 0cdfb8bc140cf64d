"""A project's trash: move a file out of the archive, list what is there, restore it, or purge it.

Moving to the trash takes the file's row out of ``files`` (the table, the selection language and jobs
no longer see it) into ``trashed_files`` with its place, index facts and tags, and moves the bytes to
``<NORA_HOME>/trash/<project>/<entry id>-<name>``. Restoring puts both back where they were, refusing when
something else now has that name. Every step needs the write right, as deleting does.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.archive.models import File, FileTag, Patient, Study, utcnow
from nora.archive.services import audit, nodes
from nora.archive.services.access import Access
from nora.archive.services.files import file_location
from nora.archive.services.trash import move_until_rollback, remove_after_commit
from nora.archive.storage import Layout
from nora.archive.trashmodels import TrashedFile
from nora.core.errors import Conflict, NotFound
from nora.core.ids import Psid


def stored_path(layout: Layout, project: str, entry: TrashedFile) -> Path:
    """Where the bytes of one trash entry lie (outside ``projects/``, so never taken for archive files)."""
    return layout.home / "trash" / layout.project_dir(project).name / f"{entry.id}-{entry.path.rsplit('/', 1)[-1]}"


def _stored(layout: Layout, access: Access, entry: TrashedFile) -> Path:
    return stored_path(layout, access.project.name, entry)


def trash_file(session: Session, access: Access, layout: Layout, row: File) -> TrashedFile:
    """Move one file (row and bytes) to the project's trash."""
    access.require_write()
    patient = session.get(Patient, row.patient_id)
    study = session.get(Study, row.study_id) if row.study_id else None
    assert patient is not None
    source = file_location(session, layout, access, row)
    if not source.is_file():
        raise NotFound(f"file {row.path} is indexed but missing on disk; delete it instead")
    tags = sorted(session.scalars(select(FileTag.tag).where(FileTag.file_id == row.id)))
    entry = TrashedFile(
        project_id=access.project.id,
        pid=patient.pid,
        sid=study.sid if study else None,
        path=row.path,
        format=row.format,
        size=row.size,
        sha256=row.sha256,
        header=dict(row.header),
        tags=tags,
        created_at=row.created_at,
        trashed_by=access.actor.username,
    )
    session.add(entry)
    session.delete(row)
    session.flush()
    move_until_rollback(session, source, _stored(layout, access, entry))
    target = str(Psid(patient.pid, study.sid if study else None))
    audit.record(session, access.actor, "file.trash", project=access.project.name, target=target, path=row.path)
    return entry


def list_trash(session: Session, access: Access) -> list[TrashedFile]:
    """The project's trash, newest first."""
    query = select(TrashedFile).where(TrashedFile.project_id == access.project.id)
    return list(session.scalars(query.order_by(TrashedFile.trashed_at.desc(), TrashedFile.id.desc())))


def get_entry(session: Session, access: Access, entry_id: int) -> TrashedFile:
    entry = session.get(TrashedFile, entry_id)
    if entry is None or entry.project_id != access.project.id:
        raise NotFound(f"trash entry {entry_id} not found in project {access.project.name!r}")
    return entry


def restore(session: Session, access: Access, layout: Layout, entry_id: int) -> File:
    """Put a trashed file back at its place; its study must exist and the name must be free."""
    access.require_write()
    entry = get_entry(session, access, entry_id)
    where = str(Psid(entry.pid, entry.sid))
    try:
        patient = nodes.get_patient(session, access, entry.pid)
        study = nodes.get_study(session, access, entry.pid, entry.sid) if entry.sid else None
    except NotFound:
        raise NotFound(f"cannot restore {entry.path}: {where} no longer exists (create it again first)") from None
    dest = layout.file_path(access.project.name, entry.pid, entry.sid, entry.path)
    taken = session.scalar(
        select(File.id).where(
            File.patient_id == patient.id, File.study_id == (study.id if study else None), File.path == entry.path
        )
    )
    if taken is not None or dest.exists():
        raise Conflict(f"cannot restore {entry.path}: {where} has a file of that name now; rename it first")
    row = File(
        project_id=access.project.id,
        patient_id=patient.id,
        study_id=study.id if study else None,
        path=entry.path,
        path_lc=entry.path.lower(),
        format=entry.format,
        size=entry.size,
        sha256=entry.sha256,
        header=dict(entry.header),
        created_at=entry.created_at,
        modified_at=utcnow(),
        tags=[FileTag(tag=t) for t in entry.tags],
    )
    session.add(row)
    stored = _stored(layout, access, entry)
    session.delete(entry)
    session.flush()
    move_until_rollback(session, stored, dest)
    audit.record(session, access.actor, "file.restore", project=access.project.name, target=where, path=entry.path)
    return row


def purge(session: Session, access: Access, layout: Layout, entry_id: int) -> None:
    """Delete a trash entry for good (its bytes once the deletion is committed)."""
    access.require_write()
    entry = get_entry(session, access, entry_id)
    stored = _stored(layout, access, entry)
    session.delete(entry)
    session.flush()
    remove_after_commit(session, stored)
    where = str(Psid(entry.pid, entry.sid))
    audit.record(session, access.actor, "file.purge", project=access.project.name, target=where, path=entry.path)


__all__ = ["stored_path", "get_entry", "list_trash", "purge", "restore", "trash_file"]
