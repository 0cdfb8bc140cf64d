"""A small test-data builder: inserts archive rows with SQLAlchemy Core and mirrors them in memory.

Every row goes to the database (with its lower-case ``*_lc`` shadow column filled, as the services do)
and to a :class:`~nora.archive.selection.reference.RefArchive`, so a test can compare the SQL answer with
the reference matcher's answer on the very same data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Connection, insert

from nora.archive.models import File, FileTag, Patient, PatientTag, Project, Study, StudyTag
from nora.archive.selection import column_condition, files_condition, parse_filter, tags_condition
from nora.archive.selection.reference import RefArchive, RefFile, RefJob, RefPatient, RefStudy
from nora.processing.models import Job


class ArchiveBuilder:
    """Rows of one project; ``ids`` maps ``"PID"``, ``"PID#SID"`` and ``"PID#SID/path"`` to row ids."""

    def __init__(self, conn: Connection, project: str = "demo") -> None:
        self.conn = conn
        self.project_id = self._insert(Project, name=project)
        self.patients: list[RefPatient] = []
        self.studies: list[RefStudy] = []
        self.files: list[RefFile] = []
        self.jobs: list[RefJob] = []
        self.ids: dict[str, int] = {}
        self._pids: dict[int, str] = {}
        self._studies: dict[int, str] = {}

    def _insert(self, model: Any, **values: Any) -> int:
        result = self.conn.execute(insert(model).values(**values))
        key = result.inserted_primary_key
        return int(key[0]) if key else 0

    def patient(
        self,
        pid: str,
        *,
        name: str = "",
        birth_date: dt.date | None = None,
        sex: str = "",
        tags: Iterable[str] = (),
    ) -> int:
        tags = frozenset(tags)
        pk = self._insert(
            Patient, project_id=self.project_id, pid=pid, pid_lc=pid.lower(), name=name, birth_date=birth_date, sex=sex
        )
        for tag in tags:
            self._insert(PatientTag, patient_id=pk, tag=tag)
        self.patients.append(RefPatient(pk, pid, name, birth_date, sex, tags))
        self.ids[pid] = pk
        self._pids[pk] = pid
        return pk

    def study(
        self,
        patient_id: int,
        sid: str,
        *,
        date: dt.date | None = None,
        description: str = "",
        modality: str = "",
        tags: Iterable[str] = (),
    ) -> int:
        tags = frozenset(tags)
        pk = self._insert(
            Study,
            project_id=self.project_id,
            patient_id=patient_id,
            sid=sid,
            sid_lc=sid.lower(),
            study_date=date,
            description=description,
            modality=modality,
        )
        for tag in tags:
            self._insert(StudyTag, study_id=pk, tag=tag)
        self.studies.append(RefStudy(pk, patient_id, sid, date, description, modality, tags))
        name = f"{self._pids[patient_id]}#{sid}"
        self.ids[name] = pk
        self._studies[pk] = name
        return pk

    def file(self, patient_id: int, study_id: int | None, path: str, *, tags: Iterable[str] = ()) -> int:
        tags = frozenset(tags)
        pk = self._insert(
            File, project_id=self.project_id, patient_id=patient_id, study_id=study_id, path=path, path_lc=path.lower()
        )
        for tag in tags:
            self._insert(FileTag, file_id=pk, tag=tag)
        self.files.append(RefFile(pk, patient_id, study_id, path, tags))
        node = self._studies[study_id] if study_id is not None else self._pids[patient_id]
        self.ids[f"{node}/{path}"] = pk
        return pk

    def job(self, patient_id: int | None, study_id: int | None, state: str) -> int:
        pk = self._insert(Job, project_id=self.project_id, patient_id=patient_id, study_id=study_id, state=state)
        self.jobs.append(RefJob(patient_id, study_id, state))
        return pk

    def reference(self) -> RefArchive:
        return RefArchive(self.patients, self.studies, self.files, self.jobs)

    def name(self, study_id: int) -> str:
        """``"PID#SID"`` of a study id."""
        return self._studies[study_id]


BAR_COLUMNS: dict[str, Any] = {
    "pid": Patient.pid_lc,
    "name": Patient.name,
    "birth_date": Patient.birth_date,
    "sex": Patient.sex,
    "sid": Study.sid_lc,
    "study_date": Study.study_date,
    "sdesc": Study.description,
    "modality": Study.modality,
}


def condition(bar: str, text: str) -> ColumnElement[bool]:
    flt = parse_filter(text)
    if bar == "files":
        return files_condition(flt)
    if bar in ("tags", "stag", "ptag"):
        return tags_condition(flt, study=bar != "ptag", patient=bar != "stag")
    return column_condition(flt, BAR_COLUMNS[bar])
