""" "Upload with native PID": files placed by their own metadata, creating patient and study if needed.

DICOM files are imported as usual (patient and study from their tags). Every other file needs a JSON
sidecar with the same stem (``t1.nii.gz`` + ``t1.json``) naming ``PatientID`` (or ``patients_id``) and
``StudyID`` (or ``studies_id``); in anonymised projects the patient ID is pseudonymised exactly as for
DICOM, so both kinds land with the same patient. Files without such metadata are listed, not guessed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from nora.archive.db import transaction
from nora.archive.services import files, nodes
from nora.archive.services.access import Actor, project_access
from nora.archive.storage import Layout
from nora.core.errors import NoraError
from nora.core.ids import Psid
from nora.dicom.naming import sanitise
from nora.dicom.scan import iter_files, read_instance
from nora.importing.policy import ImportOptions, ImportPolicy
from nora.importing.report import ImportReport
from nora.importing.service import import_dicom_tree

_EXTS = (".nii.gz", ".nii", ".json", ".hdr", ".img", ".mgz", ".mgh", ".nrrd", ".nhdr", ".gii", ".tck", ".trk", ".stl")
_PID_KEYS = ("PatientID", "patients_id", "pid")
_SID_KEYS = ("StudyID", "studies_id", "sid")


def _stem(path: Path) -> Path:
    name = path.name
    for ext in _EXTS:
        if name.lower().endswith(ext):
            return path.with_name(name[: -len(ext)])
    return path.with_suffix("")


def _metadata(path: Path) -> dict[str, Any]:
    sidecar = _stem(path).with_name(_stem(path).name + ".json")
    try:
        data = json.loads(sidecar.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _first(data: dict[str, Any], keys: tuple[str, ...]) -> str:
    return next((str(data[k]).strip() for k in keys if str(data.get(k, "")).strip()), "")


def import_native(
    sessions: sessionmaker[Session],
    layout: Layout,
    actor: Actor,
    project: str,
    folder: Path,
    *,
    progress: Callable[[float, str], None] | None = None,
    job_id: int | None = None,
) -> ImportReport:
    """Import DICOM by its tags and other files by their sidecars' patient and study IDs."""
    others = [p for p in iter_files(folder) if read_instance(p) is None]
    with sessions() as session:
        found = project_access(session, actor, project).project
        policy = ImportPolicy.for_project(project, found.id, found.settings, ImportOptions(), home=layout.home)

    def place_others(report: ImportReport) -> None:
        report.ignored_files = [line for line in report.ignored_files if "not DICOM" not in line]
        groups: dict[tuple[str, str], list[Path]] = defaultdict(list)
        for path in others:
            meta = _metadata(path)
            pid, sid = _first(meta, _PID_KEYS), _first(meta, _SID_KEYS)
            if not pid or not sid:
                report.ignored_files.append(
                    f"{path.name}: no patient and study ID in its metadata (a JSON sidecar with PatientID and "
                    "StudyID); upload it into a chosen study instead"
                )
                continue
            groups[(policy.patient_folder(pid), sanitise(sid, "study"))].append(path)
        for (pid, sid), paths in groups.items():
            _store(sessions, layout, actor, project, pid, sid, paths, report)

    return import_dicom_tree(
        sessions,
        layout,
        actor,
        project,
        folder,
        ImportOptions(),
        progress=progress,
        job_id=job_id,
        after=place_others,
    )


def _store(
    sessions: sessionmaker[Session],
    layout: Layout,
    actor: Actor,
    project: str,
    pid: str,
    sid: str,
    paths: list[Path],
    report: ImportReport,
) -> None:
    handles = [open(p, "rb") for p in paths]  # noqa: SIM115 - closed below
    try:
        with transaction(sessions) as session:
            access = project_access(session, actor, project)
            patient = nodes.create_patient(session, access, layout, pid, exist_ok=True)
            study = nodes.create_study(session, access, layout, patient, sid, exist_ok=True)
            uploads = [files.Upload(sanitise(p.name, "file"), h) for p, h in zip(paths, handles, strict=True)]
            rows = files.store_uploads(session, access, layout, patient, study, uploads)
        label = str(Psid(pid, sid))
        report.extra_files.extend(f"{label}/{r.path}" for r in rows)
        if label not in report.studies_created + report.studies_updated:
            report.studies_updated.append(label)
    except NoraError as exc:
        report.warnings.append(f"files for {pid}#{sid} not stored: {exc.message}")
    finally:
        for h in handles:
            h.close()
