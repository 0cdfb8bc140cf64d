"""The subject/study table: rows filtered by the filter bars and the file-search bar, sorted, paged."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from nora.archive.models import File, JobState, Patient, PatientTag, Study, StudyTag
from nora.archive.selection import column_condition, files_condition, parse_filter, tags_condition
from nora.archive.services.access import Access
from nora.archive.services.tags import tags_of
from nora.core.errors import InvalidInput

#: filter-bar parameter → column it filters
STUDY_COLUMNS: dict[str, Any] = {
    "pid": Patient.pid_lc,
    "name": Patient.name,
    "birth_date": Patient.birth_date,
    "sex": Patient.sex,
    "sid": Study.sid_lc,
    "study_date": Study.study_date,
    "sdesc": Study.description,
    "modality": Study.modality,
}
SORTS: dict[str, Any] = {
    "pid": Patient.pid_lc,
    "name": Patient.name,
    "birth_date": Patient.birth_date,
    "sid": Study.sid_lc,
    "study_date": Study.study_date,
    "sdesc": Study.description,
    "modality": Study.modality,
}
IDENTIFYING = ("name", "birth_date")


@dataclass
class TableQuery:
    filters: Mapping[str, str] = field(default_factory=dict)
    files: str = ""
    sort: str = "pid"
    offset: int = 0
    limit: int = 200


def _conditions(access: Access, q: TableQuery) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [Study.project_id == access.project.id]
    for key, text in q.filters.items():
        if not text or not text.strip():
            continue
        if key in IDENTIFYING and not access.sees_identity:
            raise InvalidInput(f"filtering by {key} needs the deanonym right in this anonymised project")
        if key in ("stag", "ptag", "tags"):
            conds.append(tags_condition(parse_filter(text), study=key != "ptag", patient=key != "stag"))
        elif key in STUDY_COLUMNS:
            conds.append(column_condition(parse_filter(text), STUDY_COLUMNS[key]))
        else:
            raise InvalidInput(f"unknown filter {key!r}: use one of {', '.join([*STUDY_COLUMNS, 'stag', 'ptag'])}")
    if q.files and q.files.strip():
        conds.append(files_condition(parse_filter(q.files)))
    return conds


def _order(q: TableQuery) -> list[Any]:
    key = q.sort.lstrip("-") or "pid"
    if key not in SORTS:
        raise InvalidInput(f"unknown sort column {key!r}: use one of {', '.join(SORTS)}")
    col = SORTS[key]
    nulls_last = case((col.is_(None), 1), else_=0)
    primary = col.desc() if q.sort.startswith("-") else col.asc()
    return [nulls_last, primary, Patient.pid_lc, Study.sid_lc, Study.id]


def query_studies(
    session: Session, access: Access, q: TableQuery, max_limit: int = 5000
) -> tuple[int, list[dict[str, Any]]]:
    """(total, rows of the requested page) for the subject/study table."""
    if q.offset < 0 or not 1 <= q.limit <= max_limit:
        raise InvalidInput(f"offset must be >= 0 and limit between 1 and {max_limit}")
    base = select(Study, Patient).join(Patient, Patient.id == Study.patient_id).where(and_(*_conditions(access, q)))
    total = session.scalar(select(func.count()).select_from(base.with_only_columns(Study.id).subquery())) or 0
    page = session.execute(base.order_by(*_order(q)).offset(q.offset).limit(q.limit)).all()
    return total, _rows(session, access, page)


def _rows(session: Session, access: Access, page: Sequence[tuple[Study, Patient]]) -> list[dict[str, Any]]:
    study_ids = [s.id for s, _ in page]
    patient_ids = list({p.id for _, p in page})
    stags = tags_of(session, StudyTag, "study_id", study_ids)
    ptags = tags_of(session, PatientTag, "patient_id", patient_ids)
    n_files = dict(
        session.execute(
            select(File.study_id, func.count()).where(File.study_id.in_(study_ids)).group_by(File.study_id)
        ).all()
    )
    jobs: dict[int, dict[str, int]] = {i: {"q": 0, "r": 0, "e": 0} for i in study_ids}
    for sid, state, n in session.execute(
        select(JobState.study_id, JobState.state, func.count())
        .where(JobState.study_id.in_(study_ids), JobState.state.in_(["q", "r", "e"]))
        .group_by(JobState.study_id, JobState.state)
    ):
        if sid is not None:
            jobs[sid][state] = n
    return [
        {
            **patient_public(access, p),
            "patient_id": p.id,
            "study_id": s.id,
            "sid": s.sid,
            "study_date": s.study_date.isoformat() if s.study_date else None,
            "sdesc": s.description,
            "modality": s.modality,
            "ptags": ptags.get(p.id, []),
            "stags": stags.get(s.id, []),
            "n_files": n_files.get(s.id, 0),
            "jobs": jobs[s.id],
        }
        for s, p in page
    ]


def patient_public(access: Access, p: Patient) -> dict[str, Any]:
    """The patient fields a caller may see: identity only with deanonym in anonymised projects."""
    show = access.sees_identity
    return {
        "pid": p.pid,
        "name": p.name if show else None,
        "birth_date": (p.birth_date.isoformat() if p.birth_date else None) if show else None,
        "orig_pid": p.orig_pid if show else None,
        "sex": p.sex,
    }


def query_patients(
    session: Session, access: Access, q: TableQuery, max_limit: int = 5000
) -> tuple[int, list[dict[str, Any]]]:
    """Patients that have at least one study matching the table filters (or any patient without filters)."""
    if q.offset < 0 or not 1 <= q.limit <= max_limit:
        raise InvalidInput(f"offset must be >= 0 and limit between 1 and {max_limit}")
    active = bool(q.files.strip()) or any(v.strip() for v in q.filters.values())
    query = select(Patient).where(Patient.project_id == access.project.id)
    if active:
        matching = (
            select(Study.patient_id).join(Patient, Patient.id == Study.patient_id).where(and_(*_conditions(access, q)))
        )
        query = query.where(Patient.id.in_(matching))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    patients = list(session.scalars(query.order_by(Patient.pid_lc).offset(q.offset).limit(q.limit)))
    ids = [p.id for p in patients]
    ptags = tags_of(session, PatientTag, "patient_id", ids)
    n_studies = dict(
        session.execute(
            select(Study.patient_id, func.count()).where(Study.patient_id.in_(ids)).group_by(Study.patient_id)
        ).all()
    )
    return total, [
        {**patient_public(access, p), "patient_id": p.id, "ptags": ptags[p.id], "n_studies": n_studies.get(p.id, 0)}
        for p in patients
    ]
