"""A pure-Python reference implementation of the selection language over in-memory rows.

It states the semantics without SQL, so the property tests can compare the database's answers with it,
and the benchmark uses it as the full-scan baseline. It is not meant for serving requests.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from nora.archive.models import File, FileTag, Job, Patient, PatientTag, Study, StudyTag
from nora.archive.selection.backend import (
    AbsolutePath,
    FilePattern,
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
from nora.archive.selection.patterns import glob_match
from nora.archive.selection.syntax import DescriptionTerm, Filter, JobTerm, PatternTerm, TagTerm, Term


@dataclass(frozen=True, slots=True)
class RefPatient:
    id: int
    pid: str
    name: str = ""
    birth_date: dt.date | None = None
    sex: str = ""
    tags: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class RefStudy:
    id: int
    patient_id: int
    sid: str
    study_date: dt.date | None = None
    description: str = ""
    modality: str = ""
    tags: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class RefFile:
    id: int
    patient_id: int
    study_id: int | None
    path: str
    tags: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class RefJob:
    patient_id: int | None
    study_id: int | None
    state: str


class RefArchive:
    """The rows of one project, with the look-ups the matcher needs."""

    def __init__(
        self,
        patients: Iterable[RefPatient],
        studies: Iterable[RefStudy],
        files: Iterable[RefFile],
        jobs: Iterable[RefJob] = (),
    ) -> None:
        self.patients = {p.id: p for p in patients}
        self.studies = {s.id: s for s in studies}
        self.files = list(files)
        self.jobs = list(jobs)
        self.files_of_study: dict[int, list[RefFile]] = defaultdict(list)
        for f in self.files:
            if f.study_id is not None:
                self.files_of_study[f.study_id].append(f)
        self.studies_of_patient: dict[int, list[RefStudy]] = defaultdict(list)
        for s in self.studies.values():
            self.studies_of_patient[s.patient_id].append(s)
        #: job states of each study, and of each patient's jobs that belong to no study
        self.job_states: dict[tuple[str, int], set[str]] = defaultdict(set)
        for job in self.jobs:
            if job.study_id is not None:
                self.job_states["study", job.study_id].add(job.state)
            elif job.patient_id is not None:
                self.job_states["patient", job.patient_id].add(job.state)


def load_archive(session: Session, project_id: int) -> RefArchive:
    """Read one project's patients, studies, files, tags and jobs into memory."""
    ptags = _tags(
        session, select(PatientTag.patient_id, PatientTag.tag).join(Patient).where(Patient.project_id == project_id)
    )
    stags = _tags(session, select(StudyTag.study_id, StudyTag.tag).join(Study).where(Study.project_id == project_id))
    ftags = _tags(session, select(FileTag.file_id, FileTag.tag).join(File).where(File.project_id == project_id))
    patients = [
        RefPatient(i, pid, name, birth, sex, ptags.get(i, frozenset()))
        for i, pid, name, birth, sex in session.execute(
            select(Patient.id, Patient.pid, Patient.name, Patient.birth_date, Patient.sex).where(
                Patient.project_id == project_id
            )
        ).all()
    ]
    studies = [
        RefStudy(i, patient, sid, date, desc, modality, stags.get(i, frozenset()))
        for i, patient, sid, date, desc, modality in session.execute(
            select(Study.id, Study.patient_id, Study.sid, Study.study_date, Study.description, Study.modality).where(
                Study.project_id == project_id
            )
        ).all()
    ]
    files = [
        RefFile(i, patient, study, path, ftags.get(i, frozenset()))
        for i, patient, study, path in session.execute(
            select(File.id, File.patient_id, File.study_id, File.path).where(File.project_id == project_id)
        ).all()
    ]
    jobs = [
        RefJob(patient, study, state)
        for patient, study, state in session.execute(
            select(Job.patient_id, Job.study_id, Job.state).where(Job.project_id == project_id)
        ).all()
    ]
    return RefArchive(patients, studies, files, jobs)


def _tags(session: Session, query: Select[int, str]) -> dict[int, frozenset[str]]:
    out: dict[int, set[str]] = defaultdict(set)
    for node, tag in session.execute(query).all():
        out[node].add(tag)
    return {node: frozenset(tags) for node, tags in out.items()}


# ------------------------------------------------------------------------------------------ filter bars

#: the bars of the subject/study table: ``files`` is the file-search bar, the others filter a column
BARS = ("files", "pid", "name", "birth_date", "sex", "sid", "study_date", "sdesc", "modality", "tags", "stag", "ptag")


def _any_tag(tags: Iterable[str], pattern: str, *, trailing: bool) -> bool:
    return any(glob_match(pattern, tag, trailing=trailing) for tag in tags)


def _iso(date: dt.date | None) -> str | None:
    return date.isoformat() if date else None


def _plain(pattern: str, archive: RefArchive, study: RefStudy, bar: str) -> bool:
    patient = archive.patients[study.patient_id]
    if bar == "files":
        return any(glob_match(pattern, f.path, trailing=True) for f in archive.files_of_study.get(study.id, ()))
    if bar in ("tags", "stag", "ptag"):
        tags = (study.tags if bar != "ptag" else frozenset()) | (patient.tags if bar != "stag" else frozenset())
        return _any_tag(tags, pattern, trailing=True)
    values = {
        "pid": patient.pid,
        "name": patient.name,
        "birth_date": _iso(patient.birth_date),
        "sex": patient.sex,
        "sid": study.sid,
        "study_date": _iso(study.study_date),
        "sdesc": study.description,
        "modality": study.modality,
    }
    return glob_match(pattern, values[bar], trailing=True)


def _term(term: Term, archive: RefArchive, study: RefStudy, bar: str) -> bool:
    if isinstance(term, PatternTerm):
        return _plain(term.pattern, archive, study, bar)
    if isinstance(term, TagTerm):
        if term.level == "study":
            return _any_tag(study.tags, term.pattern, trailing=True)
        if term.level == "patient":
            return _any_tag(archive.patients[study.patient_id].tags, term.pattern, trailing=True)
        return any(_any_tag(f.tags, term.pattern, trailing=True) for f in archive.files_of_study.get(study.id, ()))
    if isinstance(term, JobTerm):
        states = archive.job_states.get(("study", study.id), set()) | archive.job_states.get(
            ("patient", study.patient_id), set()
        )
        return not states.isdisjoint(term.states)
    assert isinstance(term, DescriptionTerm)
    return glob_match(term.pattern, study.description, trailing=True)


def study_matches(flt: Filter, archive: RefArchive, study: RefStudy, bar: str = "files") -> bool:
    """Whether ``study`` (a row of the table) passes ``flt`` typed into ``bar`` (one of :data:`BARS`)."""
    if bar not in BARS:
        raise ValueError(f"unknown bar {bar!r}")
    return all(any(_term(t, archive, study, bar) for t in conjunct) for conjunct in flt.conjuncts)


def filter_studies(flt: Filter, archive: RefArchive, bar: str = "files") -> list[int]:
    """The ids of the studies that pass ``flt`` typed into ``bar``."""
    return sorted(s.id for s in archive.studies.values() if study_matches(flt, archive, s, bar))


# -------------------------------------------------------------------------------------- backend selector


def _pid(pattern: str, patient: RefPatient) -> bool:
    return glob_match(pattern, patient.pid, trailing=False)


def _patient_term(term: PatientTerm, archive: RefArchive, patient: RefPatient) -> bool:
    if isinstance(term, PatientPattern):
        return _pid(term.pattern, patient)
    if isinstance(term, PatientTagged):
        return _any_tag(patient.tags, term.tag, trailing=False) != term.negate
    if isinstance(term, PatientIds):
        return patient.id in term.ids
    assert isinstance(term, PatientList)
    return patient.pid.lower() in {pid.lower() for pid in term.pids}


def ranked(studies: Iterable[RefStudy], *, latest: bool) -> list[RefStudy]:
    """A patient's studies from latest (or oldest) on: by date, then SID; undated ones last."""
    dated = sorted((s for s in studies if s.study_date), key=lambda s: (s.study_date, s.sid), reverse=latest)
    undated = sorted((s for s in studies if not s.study_date), key=lambda s: s.sid, reverse=latest)
    return dated + undated


def _study_term(term: StudyTerm, archive: RefArchive, study: RefStudy) -> bool:
    patient = archive.patients[study.patient_id]
    if isinstance(term, StudyPattern):
        return _pid(term.pid, patient) and glob_match(term.sid, study.sid, trailing=False)
    if isinstance(term, StudyRank):
        order = ranked(archive.studies_of_patient[patient.id], latest=term.latest)
        return _pid(term.pid, patient) and term.offset < len(order) and order[term.offset].id == study.id
    if isinstance(term, StudyTagged):
        return _pid(term.pid, patient) and _any_tag(study.tags, term.tag, trailing=False) != term.negate
    if isinstance(term, StudyIds):
        return study.id in term.ids
    assert isinstance(term, StudyList)
    return (patient.pid.lower(), study.sid.lower()) in {(p.lower(), s.lower()) for p, s in term.pairs}


def referenced(archive: RefArchive, patient_id: int, reference: StudyTerm) -> list[tuple[int, str]]:
    """What :func:`nora.archive.selection.referenced_studies` returns, by scanning the patient's studies."""
    studies = [s for s in archive.studies_of_patient.get(patient_id, []) if _study_term(reference, archive, s)]
    return [(s.id, s.sid) for s in sorted(studies, key=lambda s: s.sid)]


def _file_term(term: FileTerm, archive: RefArchive, f: RefFile, absolute: set[tuple[str, str | None, str]]) -> bool:
    if isinstance(term, FilePattern):
        return glob_match(term.pattern, f.path, trailing=False)
    if isinstance(term, FileTagged):
        return _any_tag(f.tags, term.tag, trailing=False)
    assert isinstance(term, AbsolutePath)
    pid = archive.patients[f.patient_id].pid
    sid = archive.studies[f.study_id].sid if f.study_id is not None else None
    return (pid, sid, f.path) in absolute


def resolve(
    archive: RefArchive, subject: str | SubjectSelector, files: str, project_dir: Path | None = None
) -> list[SelectionHit]:
    """What :func:`nora.archive.selection.resolve_selection` returns, computed by scanning every row."""
    subject_selector = parse_subject_selector(subject) if isinstance(subject, str) else subject
    file_selector = parse_file_selectors(files)
    whole = {
        p.id
        for p in archive.patients.values()
        if any(_patient_term(t, archive, p) for t in subject_selector.patient_terms)
    }
    single = {
        s.id for s in archive.studies.values() if any(_study_term(t, archive, s) for t in subject_selector.study_terms)
    }
    hits: list[SelectionHit] = []
    if file_selector.info:
        for s in archive.studies.values():
            if s.patient_id in whole or s.id in single:
                hits.append(SelectionHit(archive.patients[s.patient_id].pid, s.sid, None, None, s.patient_id, s.id))
        for pid in whole:
            if not archive.studies_of_patient.get(pid):
                hits.append(SelectionHit(archive.patients[pid].pid, None, None, None, pid, None))
        return order_hits(hits, file_selector)
    absolute = {
        reading
        for t in file_selector.terms
        if isinstance(t, AbsolutePath)
        for reading in absolute_candidates(t.path, project_dir)
    }
    for f in archive.files:
        if f.patient_id not in whole and (f.study_id is None or f.study_id not in single):
            continue
        if any(_file_term(t, archive, f, absolute) for t in file_selector.terms):
            sid = archive.studies[f.study_id].sid if f.study_id is not None else None
            hits.append(SelectionHit(archive.patients[f.patient_id].pid, sid, f.path, f.id, f.patient_id, f.study_id))
    return order_hits(hits, file_selector)
