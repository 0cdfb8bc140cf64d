"""The versioned store behind ROIs and marker sets: every save is kept, a stale save is a conflict.

A save names the version it started from (``base``: 0 for a new object). If that is still the current
version, the content becomes version ``current + 1``: it is kept under ``NORA_HOME/versions/<project>/
<object id>/<number><suffix>``, written to the object's file in the archive (atomically) and the file is
(re)indexed. If someone else saved meanwhile, the content is still kept, as a *rejected* version, and
:class:`SaveConflict` says which version won and where the rejected one is, so nothing is ever lost.
Every write is audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from nora.annotation.models import AnnotationObject, AnnotationVersion
from nora.archive.models import File, Patient, Study
from nora.archive.services import audit, files
from nora.archive.services.access import Access
from nora.archive.storage import Layout, atomic_write, safe_relpath
from nora.core.errors import Conflict, NotFound


class SaveConflict(Conflict):
    """A save based on a version that is no longer the current one (its content is kept as a version)."""

    def __init__(self, message: str, *, current: int, kept: int) -> None:
        super().__init__(message)
        self.current = current
        self.kept = kept


@dataclass(frozen=True)
class Node:
    """The patient (and study) folder an object lives in."""

    patient: Patient
    study: Study | None

    @property
    def study_key(self) -> int:
        return self.study.id if self.study is not None else 0


@dataclass(frozen=True)
class Saved:
    object: AnnotationObject
    version: AnnotationVersion
    file: File


def versions_root(layout: Layout) -> Path:
    return layout.home / "versions"


def find_object(session: Session, access: Access, node: Node, path: str) -> AnnotationObject | None:
    return session.scalar(
        select(AnnotationObject).where(
            AnnotationObject.patient_id == node.patient.id,
            AnnotationObject.study_key == node.study_key,
            AnnotationObject.path == safe_relpath(path),
        )
    )


def get_object(session: Session, access: Access, object_id: int) -> AnnotationObject:
    obj = session.get(AnnotationObject, object_id)
    if obj is None or obj.project_id != access.project.id:
        raise NotFound(f"annotation object {object_id} not found in project {access.project.name!r}")
    return obj


def node_of(session: Session, obj: AnnotationObject) -> Node:
    patient = session.get(Patient, obj.patient_id)
    assert patient is not None
    return Node(patient, session.get(Study, obj.study_id) if obj.study_id else None)


def list_objects(session: Session, access: Access, node: Node, kind: str) -> list[AnnotationObject]:
    query = select(AnnotationObject).where(
        AnnotationObject.patient_id == node.patient.id,
        AnnotationObject.study_key == node.study_key,
        AnnotationObject.kind == kind,
    )
    return list(session.scalars(query.order_by(AnnotationObject.path)))


def list_versions(session: Session, obj: AnnotationObject) -> list[AnnotationVersion]:
    query = select(AnnotationVersion).where(AnnotationVersion.object_id == obj.id)
    return list(session.scalars(query.order_by(AnnotationVersion.number)))


def get_version(session: Session, obj: AnnotationObject, number: int) -> AnnotationVersion:
    row = session.scalar(
        select(AnnotationVersion).where(AnnotationVersion.object_id == obj.id, AnnotationVersion.number == number)
    )
    if row is None:
        raise NotFound(f"{obj.path} has no version {number}")
    return row


def version_content(layout: Layout, version: AnnotationVersion) -> bytes:
    path = versions_root(layout) / version.blob
    if not path.is_file():
        raise NotFound(f"the content of version {version.number} is missing on disk ({version.blob})")
    return path.read_bytes()


def file_of(session: Session, obj: AnnotationObject) -> File | None:
    """The object's indexed file (None when it was deleted)."""
    return session.scalar(
        select(File).where(File.patient_id == obj.patient_id, File.study_id == obj.study_id, File.path == obj.path)
    )


def _keep(
    session: Session,
    layout: Layout,
    access: Access,
    obj: AnnotationObject,
    content: bytes,
    *,
    base: int,
    tool: str,
    rejected: bool,
) -> AnnotationVersion:
    number = (
        int(
            session.scalar(
                select(func.coalesce(func.max(AnnotationVersion.number), 0)).where(
                    AnnotationVersion.object_id == obj.id
                )
            )
            or 0
        )
        + 1
    )
    suffix = "".join(Path(obj.path).suffixes[-2:]) or ".bin"
    blob = f"{access.project.name}/{obj.id}/{number}{suffix}"
    atomic_write(versions_root(layout) / blob, io.BytesIO(content))
    row = AnnotationVersion(
        object_id=obj.id,
        number=number,
        based_on=base,
        rejected=rejected,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        blob=blob,
        tool=tool,
        saved_by=access.actor.username,
        saved_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
    )
    session.add(row)
    session.flush()
    return row


def save(
    session: Session,
    access: Access,
    layout: Layout,
    node: Node,
    kind: str,
    path: str,
    content: bytes,
    *,
    base: int,
    tool: str = "",
    extra: dict[str, bytes] | None = None,
    reference_id: int | None = None,
) -> Saved:
    """Save ``content`` as the next version of the object at ``path`` (created when ``base`` is 0).

    ``extra`` files (a sidecar) are written beside it and indexed, unversioned. Raises
    :class:`SaveConflict` (content kept as a rejected version, committed by the caller) when ``base`` is
    not the current version, and :class:`Conflict` when a new object's path is taken.
    """
    access.require_write()
    rel = safe_relpath(path)
    obj = find_object(session, access, node, rel)
    if obj is None:
        if base != 0:
            raise NotFound(f"{rel} does not exist (yet): save it as a new object (base version 0)")
        clash = session.scalar(
            select(File.id).where(
                File.patient_id == node.patient.id,
                File.study_id == (node.study.id if node.study else None),
                File.path == rel,
            )
        )
        if clash is not None:
            raise Conflict(f"{rel} already exists as a file that is not an annotation: choose another name")
        obj = AnnotationObject(
            project_id=access.project.id,
            patient_id=node.patient.id,
            study_id=node.study.id if node.study else None,
            study_key=node.study_key,
            kind=kind,
            path=rel,
            current=0,
            created_by=access.actor.username,
        )
        session.add(obj)
        session.flush()
    elif base == 0 and obj.current != 0:  # current 0: deleted, a new save (or a restore) brings it back
        raise Conflict(f"{rel} already exists (version {obj.current}): open it, or choose another name")
    # compare-and-set on the current version: two saves from the same base cannot both win
    claim = update(AnnotationObject).where(AnnotationObject.id == obj.id, AnnotationObject.current == base)
    # a row lock on PostgreSQL, the write lock on SQLite: a second save from the same base waits, then loses
    won = cast("CursorResult[Any]", session.execute(claim.values(current=AnnotationObject.current))).rowcount
    if won != 1:
        session.refresh(obj)
        kept = _keep(session, layout, access, obj, content, base=base, tool=tool, rejected=True)
        audit.record(
            session,
            access.actor,
            "annotation.conflict",
            project=access.project.name,
            target=rel,
            object_id=obj.id,
            base=base,
            current=obj.current,
            kept=kept.number,
        )
        raise SaveConflict(
            f"{rel} was saved by someone else meanwhile (version {obj.current}; you started from version "
            f"{base}): your content is kept as version {kept.number}; open both and save again",
            current=obj.current,
            kept=kept.number,
        )
    version = _keep(session, layout, access, obj, content, base=base, tool=tool, rejected=False)
    obj.current = version.number
    if reference_id is not None:
        obj.reference_id = reference_id
    folder = layout.node_dir(access.project.name, node.patient.pid, node.study.sid if node.study else None)
    for name, data in {rel: content, **(extra or {})}.items():
        atomic_write(folder / safe_relpath(name), io.BytesIO(data))
    rows = [files.register_existing(session, access, layout, folder / safe_relpath(n)) for n in [rel, *(extra or {})]]
    session.flush()
    audit.record(
        session,
        access.actor,
        f"{kind}.save",
        project=access.project.name,
        target=rel,
        object_id=obj.id,
        version=version.number,
        base=base,
        tool=tool,
    )
    return Saved(obj, version, rows[0])


def delete(
    session: Session, access: Access, layout: Layout, obj: AnnotationObject, *, extra: tuple[str, ...] = ()
) -> None:
    """Remove the object's file (and ``extra`` files beside it, a sidecar) from the archive; its versions stay
    (restoring one brings it back)."""
    access.require_write()
    for path in (obj.path, *extra):
        row = session.scalar(
            select(File).where(File.patient_id == obj.patient_id, File.study_id == obj.study_id, File.path == path)
        )
        if row is not None:
            files.delete_file(session, access, layout, row)
    obj.current = 0
    session.flush()
    audit.record(session, access.actor, f"{obj.kind}.delete", project=access.project.name, target=obj.path)
