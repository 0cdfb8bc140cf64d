"""Tags on patients, studies and files (exact membership, stored one row per tag)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from nora.archive.db import id_in
from nora.archive.models import File, FileTag, Patient, PatientTag, Study, StudyTag
from nora.archive.services import audit
from nora.archive.services.access import Access
from nora.core.errors import InvalidInput

_TAG = re.compile(r"^[^\x00-\x1f\x7f/,&\s*%]{1,128}$")


def check_tags(tags: Iterable[str]) -> list[str]:
    """Validate tags: 1-128 characters, none of ``/ , & * %`` or white space (they are syntax elsewhere)."""
    out = []
    for tag in tags:
        if not isinstance(tag, str) or not _TAG.match(tag):
            raise InvalidInput(f"invalid tag {tag!r}: 1-128 characters without '/', ',', '&', '*', '%' or spaces")
        if tag not in out:
            out.append(tag)
    return out


def split_tags(text: str) -> list[str]:
    """``a,b`` or ``/a/b/`` (NORA's stored form) → ``['a', 'b']``."""
    return check_tags([t for t in re.split(r"[,/]", text) if t.strip()])


def _change(
    session: Session,
    access: Access,
    model: type[PatientTag] | type[StudyTag] | type[FileTag],
    key: str,
    ids: Sequence[int],
    add: Sequence[str],
    remove: Sequence[str],
) -> None:
    access.require_write()
    add, remove = check_tags(add), check_tags(remove)
    column = getattr(model, key)
    if remove and ids:
        session.execute(delete(model).where(column.in_(ids), model.tag.in_(remove)))
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        have = set(session.execute(select(column, model.tag).where(column.in_(chunk), model.tag.in_(add))))
        for node_id in chunk:
            for tag in add:
                if (node_id, tag) not in have:
                    session.add(model(**{key: node_id, "tag": tag}))
    session.flush()


def change_patient_tags(
    session: Session, access: Access, patients: Sequence[Patient], add: Sequence[str] = (), remove: Sequence[str] = ()
) -> None:
    _change(session, access, PatientTag, "patient_id", [p.id for p in patients], add, remove)
    audit.record(
        session,
        access.actor,
        "tag.patient",
        project=access.project.name,
        target=",".join(p.pid for p in patients[:20]),
        add=list(add),
        remove=list(remove),
        n=len(patients),
    )


def change_study_tags(
    session: Session, access: Access, studies: Sequence[Study], add: Sequence[str] = (), remove: Sequence[str] = ()
) -> None:
    _change(session, access, StudyTag, "study_id", [s.id for s in studies], add, remove)
    audit.record(
        session,
        access.actor,
        "tag.study",
        project=access.project.name,
        target=",".join(str(s.id) for s in studies[:20]),
        add=list(add),
        remove=list(remove),
        n=len(studies),
    )


def change_file_tags(
    session: Session, access: Access, file_ids: Sequence[int], add: Sequence[str] = (), remove: Sequence[str] = ()
) -> None:
    _change(session, access, FileTag, "file_id", list(file_ids), add, remove)
    audit.record(
        session,
        access.actor,
        "tag.file",
        project=access.project.name,
        target=",".join(map(str, file_ids[:20])),
        add=list(add),
        remove=list(remove),
        n=len(file_ids),
    )


def tags_of(
    session: Session, model: type[PatientTag] | type[StudyTag] | type[FileTag], key: str, ids: Sequence[int]
) -> dict[int, list[str]]:
    column = getattr(model, key)
    out: dict[int, list[str]] = {i: [] for i in ids}
    for node_id, tag in session.execute(
        select(column, model.tag).where(id_in(session, column, ids)).order_by(model.tag)
    ):
        out[node_id].append(tag)
    return out


def tag_stats(session: Session, access: Access) -> dict[str, dict[str, int]]:
    """Tag counts per domain in the project (NORA's ``--tagstats``)."""
    pid = access.project.id
    return {
        "patient": dict(
            session.execute(
                select(PatientTag.tag, func.count())
                .join(Patient)
                .where(Patient.project_id == pid)
                .group_by(PatientTag.tag)
            ).all()
        ),
        "study": dict(
            session.execute(
                select(StudyTag.tag, func.count()).join(Study).where(Study.project_id == pid).group_by(StudyTag.tag)
            ).all()
        ),
        "file": dict(
            session.execute(
                select(FileTag.tag, func.count()).join(File).where(File.project_id == pid).group_by(FileTag.tag)
            ).all()
        ),
    }
