"""Resolving a backend selector (subject part + file part) to the files (or studies) it selects.

A small subject selection is looked up first and passed to the files query by id; otherwise one query.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true, tuple_
from sqlalchemy.orm import QueryableAttribute, Session, aliased

from nora.archive.models import File, FileTag, Patient, Study
from nora.archive.selection.backend import (
    FilePattern,
    FileSelector,
    FileTagged,
    FileTerm,
    PatientIds,
    PatientList,
    PatientPattern,
    PatientTagged,
    PatientTerm,
    SelectionHit,
    StudyIds,
    StudyList,
    StudyPattern,
    StudyRank,
    StudyTagged,
    StudyTerm,
    SubjectSelector,
    absolute_candidates,
    order_hits,
    parse_file_selectors,
    parse_subject_selector,
)
from nora.archive.selection.compile import file_path_matches, patient_has_tag, study_has_tag, tag_match
from nora.archive.selection.patterns import binary_order, like, match_all
from nora.core.errors import SelectionSyntaxError


def _any(conditions: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    if not conditions:
        return false()
    return conditions[0] if len(conditions) == 1 else or_(*conditions)


def _pid(pattern: str) -> ColumnElement[bool]:
    return true() if match_all(pattern) else like(Patient.pid_lc, pattern, trailing=False)


def _patient_term(term: PatientTerm) -> ColumnElement[bool]:
    if isinstance(term, PatientPattern):
        return _pid(term.pattern)
    if isinstance(term, PatientTagged):
        tagged = patient_has_tag(Patient.id, [term.tag], trailing=False)
        return ~tagged if term.negate else tagged
    if isinstance(term, PatientList):
        return Patient.pid_lc.in_(sorted({pid.lower() for pid in term.pids}))
    assert isinstance(term, PatientIds)
    return Patient.id.in_(sorted(set(term.ids)))


def ranked_study(latest: bool, offset: int) -> ColumnElement[bool]:
    """The study is its patient's latest (or oldest) one after skipping ``offset`` studies."""
    other = aliased(Study)
    date = other.study_date.desc() if latest else other.study_date.asc()
    sid = binary_order(other.sid)
    order: list[ColumnElement[Any]] = [
        other.study_date.is_(None),
        date,
        sid.desc() if latest else sid.asc(),
        other.id.asc(),
    ]
    pick = (
        select(other.id)
        .where(other.patient_id == Study.patient_id)
        .order_by(*order)
        .limit(1)
        .offset(offset)
        .scalar_subquery()
    )
    return Study.id == pick


def study_condition(term: StudyTerm) -> ColumnElement[bool]:
    """A condition on ``studies`` rows (joined to their patient): the study is one that ``term`` selects."""
    if isinstance(term, StudyPattern):
        return and_(_pid(term.pid), like(Study.sid_lc, term.sid, trailing=False))
    if isinstance(term, StudyRank):
        return and_(_pid(term.pid), ranked_study(term.latest, term.offset))
    if isinstance(term, StudyTagged):
        tagged = study_has_tag([term.tag], trailing=False)
        return and_(_pid(term.pid), ~tagged if term.negate else tagged)
    if isinstance(term, StudyList):
        pairs = sorted({(pid.lower(), sid.lower()) for pid, sid in term.pairs})
        return tuple_(Patient.pid_lc, Study.sid_lc).in_(pairs)
    assert isinstance(term, StudyIds)
    return Study.id.in_(sorted(set(term.ids)))


def subject_conditions(selector: SubjectSelector) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """``(whole patients, single studies)``: a condition on ``patients`` rows and one on ``studies`` rows
    (joined to their patient). A file is selected when its patient is, or its study is."""
    patients = _any([_patient_term(t) for t in selector.patient_terms])
    studies = _any([study_condition(t) for t in selector.study_terms])
    return patients, studies


def _file_term(term: FileTerm, project_dir: Path | None) -> ColumnElement[bool]:
    if isinstance(term, FilePattern):
        return file_path_matches(term.pattern, trailing=False)
    if isinstance(term, FileTagged):
        return File.id.in_(select(FileTag.file_id).where(tag_match(FileTag.tag, [term.tag], trailing=False)))
    readings = []
    for pid, sid, rel in absolute_candidates(term.path, project_dir):
        node = File.study_id.is_(None) if sid is None else Study.sid == sid
        readings.append(and_(Patient.pid == pid, node, File.path == rel))
    return _any(readings)


#: up to this many selected patients / studies are looked up first and handed to the files query by id
SMALL_SELECTION = 2000


def _scope(session: Session, project_id: int, subject: SubjectSelector) -> ColumnElement[bool]:
    """The files of the selected patients and studies, as a condition on ``files`` rows.

    A small selection (a PID, a PID list, a tag on a few studies) is resolved first and passed by id, so
    the files query starts from those patients' files whatever the planner thinks of the file pattern;
    a large one stays a subquery. ``*`` needs no condition at all.
    """
    if any(isinstance(t, PatientPattern) and match_all(t.pattern) for t in subject.patient_terms):
        return true()
    patients, studies = subject_conditions(subject)
    parts: list[ColumnElement[bool]] = []
    if subject.patient_terms:
        ids = select(Patient.id).where(Patient.project_id == project_id, patients)
        parts.append(_by_id(session, File.patient_id, ids))
    if subject.study_terms:
        ids = (
            select(Study.id)
            .join(Patient, Patient.id == Study.patient_id)
            .where(Study.project_id == project_id, studies)
        )
        parts.append(_by_id(session, File.study_id, ids))
    return _any(parts)


def _by_id(session: Session, column: QueryableAttribute[Any], ids: Select[int]) -> ColumnElement[bool]:
    found = list(session.scalars(ids.limit(SMALL_SELECTION + 1)))
    return column.in_(ids if len(found) > SMALL_SELECTION else found)


def _files(
    session: Session, project_id: int, subject: SubjectSelector, files: FileSelector, project_dir: Path | None
) -> list[SelectionHit]:
    wanted = _any([_file_term(t, project_dir) for t in files.terms])
    query = (
        select(File.id, File.path, File.patient_id, File.study_id, Patient.pid, Study.sid)
        .join(Patient, Patient.id == File.patient_id)
        .outerjoin(Study, Study.id == File.study_id)
        .where(File.project_id == project_id, _scope(session, project_id, subject), wanted)
    )
    return [
        SelectionHit(pid=pid, sid=sid, path=path, file_id=fid, patient_id=patient_id, study_id=study_id)
        for fid, path, patient_id, study_id, pid, sid in session.execute(query).all()
    ]


def _info(session: Session, project_id: int, subject: SubjectSelector) -> list[SelectionHit]:
    patients, studies = subject_conditions(subject)
    study_rows = (
        select(Study.id, Study.sid, Study.patient_id, Patient.pid)
        .join(Patient, Patient.id == Study.patient_id)
        .where(Study.project_id == project_id, or_(patients, studies))
    )
    hits = [
        SelectionHit(pid=pid, sid=sid, path=None, file_id=None, patient_id=patient_id, study_id=study_id)
        for study_id, sid, patient_id, pid in session.execute(study_rows).all()
    ]
    lonely = select(Patient.id, Patient.pid).where(
        Patient.project_id == project_id, patients, Patient.id.not_in(select(Study.patient_id))
    )
    hits += [
        SelectionHit(pid=pid, sid=None, path=None, file_id=None, patient_id=patient_id, study_id=None)
        for patient_id, pid in session.execute(lonely).all()
    ]
    return hits


def resolve_selection(
    session: Session,
    project_id: int,
    subject: str | SubjectSelector,
    files: str | FileSelector,
    project_dir: Path | None = None,
) -> list[SelectionHit]:
    """The files of project ``project_id`` selected by a backend selector, ordered by PID, SID, path.

    ``subject`` and ``files`` are the two parts (``'10*'``, ``'ROIS/mask*.nii.gz SORTDESC NTH(1)'``), as
    text or parsed. Patient-level files are selected only by terms that select whole patients.
    ``project_dir`` is needed for ``ABS:`` paths, which must lie inside it. With ``[info]`` the hits are
    the selected studies (and selected patients without any study) with ``path`` and ``file_id`` None.
    Raises :class:`~nora.core.errors.SelectionSyntaxError` or :class:`~nora.core.errors.UnsafePath`.
    """
    subject_selector = parse_subject_selector(subject) if isinstance(subject, str) else subject
    file_selector = parse_file_selectors(files) if isinstance(files, str) else files
    if file_selector.reading is not None:
        raise SelectionSyntaxError(
            f"reading:{file_selector.reading} selects reading results, not files: not supported here "
            "(nora -s SUBJECT reading:NAME prints them)"
        )
    if file_selector.info:
        hits = _info(session, project_id, subject_selector)
    else:
        hits = _files(session, project_id, subject_selector, file_selector, project_dir)
    return order_hits(hits, file_selector)


__all__ = ["ranked_study", "resolve_selection", "study_condition", "subject_conditions"]
