"""Files in the archive: storing uploads, registering files already in place, listing and deleting.

Uploads are staged in a hidden folder inside the target folder, every file is inspected there (so
``.hdr``/``.img`` pairs are checked together), and only when all are valid are they renamed into place and
indexed. A refused upload leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.archive.models import File, Patient, Study, utcnow
from nora.archive.services import audit
from nora.archive.services.access import Access
from nora.archive.services.trash import remove_after_commit
from nora.archive.storage import TMP_PREFIX, Layout, atomic_write, file_digest, safe_relpath
from nora.core.errors import Conflict, CorruptFile, InvalidInput, NotFound, UnsafePath
from nora.core.ids import Psid
from nora.core.leftovers import staging_folder
from nora.imaging.formats import inspect_file


@dataclass(frozen=True)
class Upload:
    """One incoming file: its path relative to the study (or patient) folder and a readable stream."""

    relpath: str
    stream: IO[bytes]


def _upsert_row(
    session: Session,
    access: Access,
    patient: Patient,
    study: Study | None,
    relpath: str,
    path: Path,
    fmt: str,
    header: dict[str, object],
    size: int,
    sha: str,
) -> File:
    row = session.scalar(
        select(File).where(
            File.patient_id == patient.id, File.study_id == (study.id if study else None), File.path == relpath
        )
    )
    if row is None:
        row = File(
            project_id=access.project.id,
            patient_id=patient.id,
            study_id=study.id if study else None,
            path=relpath,
            path_lc=relpath.lower(),
        )
        session.add(row)
    row.format, row.header, row.size, row.sha256 = fmt, dict(header), size, sha
    row.modified_at = utcnow()
    return row


def store_uploads(
    session: Session,
    access: Access,
    layout: Layout,
    patient: Patient,
    study: Study | None,
    uploads: Sequence[Upload],
    *,
    overwrite: bool = False,
    max_bytes: int | None = None,
) -> list[File]:
    """Store several uploaded files into one study (or patient) folder, all or nothing."""
    access.require_write()
    if not uploads:
        raise InvalidInput("no files in the upload")
    rels = [safe_relpath(u.relpath) for u in uploads]
    if len(set(r.lower() for r in rels)) != len(rels):
        raise InvalidInput("the upload names the same file twice")
    folder = layout.node_dir(access.project.name, patient.pid, study.sid if study else None)
    existing = set(
        session.scalars(
            select(File.path).where(
                File.patient_id == patient.id, File.study_id == (study.id if study else None), File.path.in_(rels)
            )
        )
    )
    clash = [r for r in rels if r in existing or (folder / r).exists()]
    if clash and not overwrite:
        raise Conflict(f"file(s) already exist: {', '.join(clash[:5])} (upload again with overwrite)")
    with staging_folder(layout.home, folder) as staging:  # leased: a killed upload's folder is swept
        for rel, upload in zip(rels, uploads, strict=True):
            atomic_write(staging / rel, upload.stream, max_bytes=max_bytes)
        summaries = {rel: inspect_file(staging / rel, name=rel) for rel in rels}
        rows = []
        for rel in rels:
            size, sha = file_digest(staging / rel)
            dest = folder / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, dest)
            summary = summaries[rel]
            rows.append(
                _upsert_row(session, access, patient, study, rel, dest, summary.format, summary.header, size, sha)
            )
        session.flush()
    target = str(Psid(patient.pid, study.sid if study else None))
    audit.record(session, access.actor, "file.upload", project=access.project.name, target=target, files=rels)
    return rows


def register_existing(session: Session, access: Access, layout: Layout, path: Path) -> File:
    """Index a file that is already inside the project folder (NORA's ``--add``)."""
    from nora.archive.services.nodes import create_patient, create_study

    access.require_write()
    project, pid, sid, rel = layout.locate(path)
    if project != access.project.name:
        raise UnsafePath(f"{path} is not inside project {access.project.name!r}")
    if not path.is_file():
        raise NotFound(f"{path} is not a file")
    if rel.startswith(TMP_PREFIX) or os.path.basename(rel).startswith("."):
        raise UnsafePath(f"{path} is a hidden or temporary file")
    summary = inspect_file(path, name=rel)
    patient = create_patient(session, access, layout, pid, exist_ok=True)
    study = create_study(session, access, layout, patient, sid, exist_ok=True) if sid else None
    size, sha = file_digest(path)
    row = _upsert_row(session, access, patient, study, rel, path, summary.format, summary.header, size, sha)
    session.flush()
    audit.record(session, access.actor, "file.add", project=access.project.name, target=str(path))
    return row


def get_file(session: Session, access: Access, file_id: int) -> File:
    row = session.get(File, file_id)
    if row is None or row.project_id != access.project.id:
        raise NotFound(f"file {file_id} not found in project {access.project.name!r}")
    return row


def file_location(session: Session, layout: Layout, access: Access, row: File) -> Path:
    patient = session.get(Patient, row.patient_id)
    study = session.get(Study, row.study_id) if row.study_id else None
    assert patient is not None
    return layout.file_path(access.project.name, patient.pid, study.sid if study else None, row.path)


def list_files(session: Session, access: Access, patient: Patient, study: Study | None) -> list[File]:
    query = select(File).where(File.patient_id == patient.id, File.study_id == (study.id if study else None))
    return list(session.scalars(query.order_by(File.path)))


def delete_file(session: Session, access: Access, layout: Layout, row: File) -> None:
    """Remove a file's row and, once that is committed, the file itself."""
    access.require_write()
    remove_after_commit(session, file_location(session, layout, access, row))
    session.delete(row)
    session.flush()
    audit.record(session, access.actor, "file.delete", project=access.project.name, target=row.path, file_id=row.id)


def etag(row: File) -> str:
    stamp = row.sha256[:16] or str(int(row.modified_at.replace(tzinfo=dt.UTC).timestamp()))
    return f'"{row.id}-{row.size}-{stamp}"'


__all__ = [
    "CorruptFile",
    "Upload",
    "delete_file",
    "etag",
    "file_location",
    "get_file",
    "list_files",
    "register_existing",
    "store_uploads",
]
