"""``--extrafiles_filter``: non-DICOM files of an import stored in their patient's folder (as NORA does)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from nora.archive.db import transaction
from nora.archive.services import files, nodes
from nora.archive.services.access import project_access
from nora.core.errors import NoraError
from nora.core.ids import Psid
from nora.dicom.naming import sanitise
from nora.importing.infra import ImportServices
from nora.importing.policy import ImportPolicy
from nora.importing.record import ImportRun


def _relpath(run: ImportRun, path: Path) -> str:
    rel = path.relative_to(run.source).parts if run.source.is_dir() else (path.name,)
    return "/".join(sanitise(p, "file") for p in rel[-8:])


def import_extra_files(services: ImportServices, policy: ImportPolicy, run: ImportRun, paths: list[Path]) -> None:
    """Store each file under the patient named by the overrides, or the import's only patient."""
    report = run.report
    imported = {Psid.parse(label).pid for label in report.studies_created + report.studies_updated}
    by_patient: dict[str, list[Path]] = defaultdict(list)
    for path in paths:
        explicit = policy.explicit_patient(path)
        pid = policy.patient_ids(None, path)[0] if explicit else (next(iter(imported)) if len(imported) == 1 else None)
        if pid is None:
            report.ignored_files.append(
                f"{path.name}: extra file not imported: the import has {len(imported)} patients, so it is not "
                "clear whose file it is (give --patients_id or --pattern)"
            )
            continue
        by_patient[pid].append(path)
    for pid, group in by_patient.items():
        handles = [open(p, "rb") for p in group]  # noqa: SIM115 - closed below
        try:
            uploads = [files.Upload(_relpath(run, p), h) for p, h in zip(group, handles, strict=True)]
            with transaction(services.sessions) as session:
                access = project_access(session, run.actor, policy.project)
                patient = nodes.create_patient(session, access, services.layout, pid, exist_ok=True)
                rows = files.store_uploads(session, access, services.layout, patient, None, uploads)
            report.extra_files.extend(f"{pid}/{r.path}" for r in rows)
        except NoraError as exc:
            report.warnings.append(f"extra files for patient {pid} not imported: {exc.message}")
        finally:
            for h in handles:
                h.close()
