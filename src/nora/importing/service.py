"""The import service: a folder (or zip) of DICOM and other files into a project, as a tracked job.

:func:`import_dicom_tree` scans the source, groups instances into studies and series, skips instances the
project already has (keyed on SOP + Series Instance UID), converts each series with dcm2niix (or keeps
non-image objects), and places each study's files and rows in one transaction. Patient IDs are
pseudonymised in anonymised projects; ``--patients_id``, ``--studies_id`` and ``--pattern`` override the
IDs from the headers. Every import is a row of the ``jobs`` table with progress, a log and a report.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from nora.archive.db import transaction
from nora.archive.services.access import Access, Actor, project_access
from nora.archive.storage import Layout
from nora.core.errors import InvalidInput, NoraError, NotFound
from nora.core.ids import Psid
from nora.core.settings import ProcessingConfig
from nora.dicom.convert import Converter
from nora.dicom.scan import Scan, iter_files, read_headers
from nora.importing import jobs
from nora.importing.extras import import_extra_files
from nora.importing.infra import ImportServices
from nora.importing.pipeline import Stager, known_pairs
from nora.importing.policy import ImportOptions, ImportPolicy, check_options, compile_pattern
from nora.importing.record import SCAN_SHARE, ImportRun
from nora.importing.report import ImportReport
from nora.importing.safezip import ZipLimits, extract
from nora.importing.study import StudyImport
from nora.processing.autoexec import run_autoexec
from nora.processing.lifecycle import JobPhase

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]


def _start(
    sessions: sessionmaker[Session],
    layout: Layout,
    actor: Actor,
    project: str,
    source: Path,
    options: ImportOptions,
    job_id: int | None,
    *,
    archive: bool = False,
) -> tuple[Access, int]:
    with transaction(sessions) as session:
        access = project_access(session, actor, project)
        access.require_write()
        if job_id is None:
            spec = {"source": str(source), "archive": archive, "options": options.to_spec()}
            job_id = jobs.create_job(session, access, layout, f"import {source.name}", spec, run_here=True).id
        return access, job_id


def import_dicom_tree(
    sessions: sessionmaker[Session],
    layout: Layout,
    actor: Actor,
    project: str,
    source: Path,
    options: ImportOptions = ImportOptions(),
    *,
    progress: Callable[[float, str], None] | None = None,
    job_id: int | None = None,
    after: Callable[[ImportReport], None] | None = None,
    own_source: bool = False,
    converter: Converter | None = None,
    processing: ProcessingConfig | None = None,
) -> ImportReport:
    """Import every DICOM instance (and the extra files asked for) under ``source`` into ``project``.

    Runs as import job ``job_id`` (created when None): state ``r`` while running, ``d`` when done, ``e``
    with the error as message when it fails. Errors of the input as a whole (no such folder, a bad
    pattern, no right) raise; a series that cannot be converted is reported, the rest is imported.
    ``own_source``: ``source`` is a folder of the system's own (an unpacked upload, a DICOM node's spool),
    so kept originals may be hard-linked from it; never set it for a user's folder. ``converter``: the
    DICOM converter (dcm2niix unless given). ``processing``: the configuration the project's
    autoexecution launches with (the defaults when not given).
    """
    source = Path(source)
    check_options(options)
    services = ImportServices(sessions, layout) if converter is None else ImportServices(sessions, layout, converter)
    access, job_id = _start(sessions, layout, actor, project, source, options, job_id)
    tracker = jobs.Tracker(sessions, layout, job_id)
    report = ImportReport(job_id=job_id)
    tracker.update(phase=JobPhase.RUNNING, progress=0.0, message="scanning", force=True)
    tracker.log(f"import of {source} into {project} by {actor.username} started")
    work = Path(tempfile.mkdtemp(prefix="work-", dir=tracker.folder))
    try:
        if not source.exists():
            raise NotFound(f"import source {source} does not exist")
        policy = ImportPolicy.for_project(
            project,
            access.project.id,
            access.project.settings,
            options,
            home=layout.home,
            link_originals=own_source,
        )
        run = ImportRun(job_id, actor, source, tracker, report, work, progress)
        _run(services, policy, run)
        if after is not None:  # further steps of the same job (native-PID uploads) before it is done
            after(report)
    except BaseException as exc:
        message = exc.message if isinstance(exc, NoraError) else f"{exc.__class__.__name__}: {exc}"
        tracker.log(f"FAILED: {message}")
        if not isinstance(exc, NoraError):
            log.exception("import job %s failed", job_id)
        report.warnings.append(f"failed: {message}")
        tracker.save_report(report.to_dict())
        tracker.update(phase=JobPhase.ERROR, message=f"failed: {message}", force=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _feature_steps(sessions, layout, actor, project, report)
    _autoexec(sessions, layout, actor, project, report, processing or ProcessingConfig())
    tracker.save_report(report.to_dict())
    tracker.log(f"done: {report.summary()}")
    for line in report.warnings:
        tracker.log(f"warning: {line}")
    for failed in report.not_converted:
        tracker.log(f"not converted: {failed.study} {failed.name}: {failed.reason}")
    tracker.update(phase=JobPhase.DONE, progress=1.0, message=report.summary(), force=True)
    if progress is not None:
        progress(1.0, report.summary())
    return report


#: the entry-point group of the features' steps after an import (``pyproject.toml``): each is a callable
#: ``(sessions, layout, actor, project, report)`` that may add warnings to the report (annotation turns
#: DICOM SEG objects into ROIs); importing never imports a feature
IMPORT_STEPS = "nora.import_steps"


def _feature_steps(
    sessions: sessionmaker[Session], layout: Layout, actor: Actor, project: str, report: ImportReport
) -> None:
    from importlib.metadata import entry_points

    for point in entry_points(group=IMPORT_STEPS):
        try:
            point.load()(sessions, layout, actor, project, report)
        except NoraError as exc:
            report.warnings.append(f"{point.name}: {exc.message}")
        except Exception as exc:  # a feature's step must not fail an import that is already placed
            log.exception("import step %s failed", point.name)
            report.warnings.append(f"{point.name} failed: {exc.__class__.__name__}: {exc}")


def _autoexec(
    sessions: sessionmaker[Session],
    layout: Layout,
    actor: Actor,
    project: str,
    report: ImportReport,
    processing: ProcessingConfig,
) -> None:
    """Run the project's autoexecution rules on every study this import created or added to."""
    studies = list(dict.fromkeys(report.studies_created + report.studies_updated))
    if not studies:
        return
    for psid in studies:
        try:
            with transaction(sessions) as session:
                batches = run_autoexec(session, actor, layout, processing, project, Psid.parse(psid))
            if batches:
                report.warnings.append(f"autoexecution started {len(batches)} batch(es) for {psid}")
        except NoraError as exc:
            report.warnings.append(f"autoexecution for {psid} failed: {exc.message}")


def import_zip(
    sessions: sessionmaker[Session],
    layout: Layout,
    actor: Actor,
    project: str,
    zip_path: Path,
    options: ImportOptions = ImportOptions(),
    *,
    progress: Callable[[float, str], None] | None = None,
    job_id: int | None = None,
    limits: ZipLimits | None = None,
    processing: ProcessingConfig | None = None,
) -> ImportReport:
    """Check and unpack a zip into the job's folder (see :mod:`nora.importing.safezip`), then import it."""
    check_options(options)
    compile_pattern(options.pattern)
    zip_path = Path(zip_path)
    _access, job_id = _start(sessions, layout, actor, project, zip_path, options, job_id, archive=True)
    tracker = jobs.Tracker(sessions, layout, job_id)
    unpacked = tracker.folder / "unpacked"
    shutil.rmtree(unpacked, ignore_errors=True)
    tracker.update(phase=JobPhase.RUNNING, progress=0.0, message="unpacking", force=True)
    tracker.log(f"unpacking {zip_path.name}")
    try:
        if not zip_path.is_file():
            raise NotFound(f"zip archive {zip_path} does not exist")
        n = extract(zip_path, unpacked, limits)
        tracker.log(f"{n} files unpacked")
    except BaseException as exc:
        message = exc.message if isinstance(exc, NoraError) else f"{exc.__class__.__name__}: {exc}"
        if isinstance(exc, InvalidInput):  # a refused archive (zip slip, bomb, ...): nothing of it is kept
            shutil.rmtree(unpacked, ignore_errors=True)
            if zip_path.parent == tracker.folder:  # the job's own copy of an upload, never a user's file
                zip_path.unlink(missing_ok=True)
                message += " (the uploaded archive was deleted)"
        tracker.log(f"FAILED: {message}")
        tracker.update(phase=JobPhase.ERROR, message=f"failed: {message}", force=True)
        raise
    try:
        return import_dicom_tree(
            sessions,
            layout,
            actor,
            project,
            unpacked,
            options,
            progress=progress,
            job_id=job_id,
            own_source=True,
            processing=processing,
        )
    finally:
        shutil.rmtree(unpacked, ignore_errors=True)


def _run(services: ImportServices, policy: ImportPolicy, run: ImportRun) -> None:
    files = list(iter_files(run.source))
    run.log(f"{len(files)} files found")
    with Stager(services, policy, run.work) as stager:
        scan = _scan(policy, run, files, stager)
        for path, reason in scan.problems:
            run.report.ignored_files.append(f"{run.relative(path)}: {reason}")
        run.series_total = sum(len(s) for s in scan.studies.values())
        run.log(f"{scan.n_instances} DICOM instances in {run.series_total} series of {len(scan.studies)} studies")
        known = _known(services, policy, scan)
        studies = [
            StudyImport(services, policy, run, study_uid, series, known) for study_uid, series in scan.studies.items()
        ]
        for study in studies:  # every study's series queued first, so converting overlaps with placing
            study.submit(stager)
        for study in studies:
            study.finish()
    _extra_files(services, policy, run, scan)


def _scan(policy: ImportPolicy, run: ImportRun, files: list[Path], stager: Stager) -> Scan:
    """Read the headers of ``files``; each folder the scan leaves has its series staged meanwhile."""
    scan = Scan()
    folder: Path | None = None
    touched: dict[tuple[str, str], None] = {}
    for done, (path, result) in enumerate(read_headers(files), 1):
        if path.parent != folder:
            if folder is not None:
                stager.folder_done(scan, folder, touched)
            folder, touched = path.parent, {}
        series = scan.add(path, result)
        if series is not None:
            touched[(series.first.study_uid, series.uid)] = None
        if done % 50 == 0 or done == len(files):
            run.step(SCAN_SHARE * done / max(1, len(files)), f"reading {done}/{len(files)}")
    return scan


def _known(services: ImportServices, policy: ImportPolicy, scan: Scan) -> set[tuple[str, str]]:
    """(SOP, series UID) pairs of the scan that the project already has."""
    sops = [i.sop_uid for series in scan.studies.values() for s in series.values() for i in s.instances]
    return known_pairs(services, policy.project_id, sops)


def _extra_files(services: ImportServices, policy: ImportPolicy, run: ImportRun, scan: Scan) -> None:
    wanted = {e.lower().lstrip(".") for e in policy.options.extrafiles_filter}
    chosen, ignored = [], []
    for path in scan.other_files:
        name = path.name.lower()
        if wanted and any(name.endswith("." + ext) for ext in wanted):
            chosen.append(path)
        else:
            ignored.append(path)
    for path in ignored:
        run.report.ignored_files.append(f"{run.relative(path)}: not DICOM (use --extrafiles_filter to import it)")
    if chosen:
        import_extra_files(services, policy, run, chosen)


__all__ = [
    "ImportOptions",
    "ImportPolicy",
    "ImportReport",
    "ZipLimits",
    "check_options",
    "compile_pattern",
    "import_dicom_tree",
    "import_zip",
]
