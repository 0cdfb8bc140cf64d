"""Patients and studies: creation, lookup, metadata and deletion."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.archive.models import File, Patient, Study, utcnow
from nora.archive.services import audit
from nora.archive.services.access import Access
from nora.archive.services.trash import remove_after_commit
from nora.archive.storage import Layout, atomic_write_json
from nora.core.errors import Conflict, InvalidInput, NotFound
from nora.core.ids import Psid, check_name

METAFILE = "nodeinfo.json"


def parse_date(value: str | dt.date | None, what: str) -> dt.date | None:
    """Accept ISO ``YYYY-MM-DD``, DICOM ``YYYYMMDD`` or a date; empty means unknown."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise InvalidInput(f"invalid {what} {value!r}: use YYYY-MM-DD or YYYYMMDD")


def get_patient(session: Session, access: Access, pid: str) -> Patient:
    patient = session.scalar(select(Patient).where(Patient.project_id == access.project.id, Patient.pid == pid))
    if patient is None:
        raise NotFound(f"patient {pid!r} not found in project {access.project.name!r}")
    return patient


def get_study(session: Session, access: Access, pid: str, sid: str) -> Study:
    patient = get_patient(session, access, pid)
    study = session.scalar(select(Study).where(Study.patient_id == patient.id, Study.sid == sid))
    if study is None:
        raise NotFound(f"study {pid}#{sid} not found in project {access.project.name!r}")
    return study


def create_patient(
    session: Session,
    access: Access,
    layout: Layout,
    pid: str,
    *,
    name: str = "",
    birth_date: Any = None,
    sex: str = "",
    orig_pid: str = "",
    exist_ok: bool = False,
) -> Patient:
    access.require_write()
    check_name(pid, "patient ID")
    existing = session.scalar(select(Patient).where(Patient.project_id == access.project.id, Patient.pid == pid))
    if existing is not None:
        if exist_ok:
            return existing
        raise Conflict(f"patient {pid!r} already exists in project {access.project.name!r}")
    if len(name) > 255 or len(sex) > 8:
        raise InvalidInput("patient name (255) or sex (8 characters) too long")
    patient = Patient(
        project_id=access.project.id,
        pid=pid,
        pid_lc=pid.lower(),
        name=name,
        birth_date=parse_date(birth_date, "birth date"),
        sex=sex,
        orig_pid=orig_pid or pid,
    )
    session.add(patient)
    session.flush()
    layout.patient_dir(access.project.name, pid).mkdir(parents=True, exist_ok=True)
    audit.record(session, access.actor, "patient.create", project=access.project.name, target=pid)
    return patient


def create_study(
    session: Session,
    access: Access,
    layout: Layout,
    patient: Patient,
    sid: str,
    *,
    study_date: Any = None,
    description: str = "",
    modality: str = "",
    study_uid: str = "",
    exist_ok: bool = False,
) -> Study:
    access.require_write()
    check_name(sid, "study ID")
    existing = session.scalar(select(Study).where(Study.patient_id == patient.id, Study.sid == sid))
    if existing is not None:
        if exist_ok:
            return existing
        raise Conflict(f"study {Psid(patient.pid, sid)} already exists")
    if len(description) > 255 or len(modality) > 64:
        raise InvalidInput("study description (255) or modality (64 characters) too long")
    study = Study(
        project_id=access.project.id,
        patient_id=patient.id,
        sid=sid,
        sid_lc=sid.lower(),
        study_date=parse_date(study_date, "study date"),
        description=description,
        modality=modality,
        study_uid=study_uid,
    )
    session.add(study)
    session.flush()
    layout.study_dir(access.project.name, patient.pid, sid).mkdir(parents=True, exist_ok=True)
    audit.record(session, access.actor, "study.create", project=access.project.name, target=str(Psid(patient.pid, sid)))
    return study


def set_meta(
    session: Session, access: Access, layout: Layout, patient: Patient, study: Study | None, meta: dict[str, Any]
) -> dict[str, Any]:
    """Replace a patient's or study's metadata document; mirrored to ``nodeinfo.json`` in its folder."""
    access.require_write()
    if not isinstance(meta, dict):
        raise InvalidInput("metadata must be a JSON object")
    node: Patient | Study = study if study is not None else patient
    node.meta = meta
    folder = layout.node_dir(access.project.name, patient.pid, study.sid if study else None)
    written = atomic_write_json(folder / METAFILE, meta)
    _index_metafile(session, access, patient, study, written.size, written.sha256, meta)
    target = str(Psid(patient.pid, study.sid if study else None))
    audit.record(session, access.actor, "meta.set", project=access.project.name, target=target)
    return meta


def _index_metafile(
    session: Session, access: Access, patient: Patient, study: Study | None, size: int, sha: str, meta: dict[str, Any]
) -> None:
    """``nodeinfo.json`` is a file of the node like any other, so selectors and exportmeta find it."""
    study_id = study.id if study else None
    row = session.scalar(
        select(File).where(File.patient_id == patient.id, File.study_id == study_id, File.path == METAFILE)
    )
    if row is None:
        row = File(
            project_id=access.project.id, patient_id=patient.id, study_id=study_id, path=METAFILE, path_lc=METAFILE
        )
        session.add(row)
    row.format, row.size, row.sha256, row.modified_at = "json", size, sha, utcnow()
    row.header = {"type": "object", "n_keys": len(meta)}


def delete_patient(session: Session, access: Access, layout: Layout, pid: str) -> None:
    access.require_write()
    patient = get_patient(session, access, pid)
    session.delete(patient)
    session.flush()
    remove_after_commit(session, layout.patient_dir(access.project.name, pid))
    audit.record(session, access.actor, "patient.delete", project=access.project.name, target=pid)


def delete_study(session: Session, access: Access, layout: Layout, pid: str, sid: str) -> None:
    access.require_write()
    study = get_study(session, access, pid, sid)
    session.delete(study)
    session.flush()
    remove_after_commit(session, layout.study_dir(access.project.name, pid, sid))
    audit.record(session, access.actor, "study.delete", project=access.project.name, target=str(Psid(pid, sid)))
