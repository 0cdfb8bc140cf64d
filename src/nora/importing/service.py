"""The import service: a folder (or zip) of DICOM and other files into a project, as a tracked job.

:func:`import_dicom_tree` scans the source, groups instances into studies and series, skips instances the
project already has (keyed on SOP + Series Instance UID), converts each series with dcm2niix (or keeps
non-image objects), and places each study's files and rows in one transaction. Patient IDs are
pseudonymised in anonymised projects; ``--patients_id``, ``--studies_id`` and ``--pattern`` override the
IDs from the headers. Every import is a row of the ``jobs`` table with progress, a log and a report.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from nora.archive.db import transaction
from nora.archive.services.access import Access, Actor, project_access
from nora.archive.services.tags import check_tags
from nora.archive.storage import Layout
from nora.core.errors import InvalidInput, NoraError, NotFound
from nora.core.ids import Psid
from nora.dicom import naming
from nora.dicom.scan import Instance, Scan, Series, iter_files, read_headers
from nora.importing import jobs
from nora.importing.pipeline import Stager, known_pairs
from nora.importing.pseudonym import installation_secret, pseudonym
from nora.importing.report import ImportReport
from nora.importing.safezip import ZipLimits, extract
from nora.importing.study import StudyImport
from nora.processing.autoexec import run_autoexec
from nora.processing.config import ProcessingSettings

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class ImportOptions:
    patients_id: str | None = None  # NORA --patients_id override
    studies_id: str | None = None  # --studies_id override
    pattern: str | None = None  # --pattern regex with named groups patients_id / studies_id, applied to the path
    extrafiles_filter: tuple[str, ...] = ()  # --extrafiles_filter nii,hdr,img: non-DICOM files to import too
    addtag_study: tuple[str, ...] = ()
    addtag_patient: tuple[str, ...] = ()
    keep_originals: bool | None = None  # None = project setting
    handle_job_result: bool = False

    def to_spec(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> ImportOptions:
        names = set(cls.__dataclass_fields__)
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.items() if k in names}
        return cls(**values)


def compile_pattern(pattern: str | None) -> re.Pattern[str] | None:
    """NORA's ``--pattern`` (PCRE ``(?<name>...)`` groups accepted) as a Python regex."""
    if not pattern:
        return None
    python = re.sub(r"\(\?<(?![=!])", "(?P<", pattern)
    try:
        compiled = re.compile(python)
    except re.error as exc:
        raise InvalidInput(f"invalid --pattern {pattern!r}: {exc}") from None
    if not {"patients_id", "studies_id"} & set(compiled.groupindex):
        raise InvalidInput(f"--pattern {pattern!r} needs a named group (?<patients_id>...) or (?<studies_id>...)")
    return compiled


def check_options(options: ImportOptions) -> None:
    naming_check = [("--patients_id", options.patients_id), ("--studies_id", options.studies_id)]
    for flag, value in naming_check:
        if value is not None and naming.sanitise(value, "") != value:
            raise InvalidInput(f"invalid {flag} {value!r}: use letters, digits, '.', '_' or '-'")
    check_tags(options.addtag_study)
    check_tags(options.addtag_patient)
    for ext in options.extrafiles_filter:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.]{0,15}", ext):
            raise InvalidInput(f"invalid --extrafiles_filter extension {ext!r}: use e.g. nii,hdr,img")


@dataclass
class Context:
    """What every study of one import shares."""

    sessions: sessionmaker[Session]
    layout: Layout
    actor: Actor
    project: str
    project_id: int
    source: Path
    options: ImportOptions
    anonymised: bool
    keep_originals: bool
    template: str
    pattern: re.Pattern[str] | None
    secret: bytes
    work: Path
    tracker: jobs.Tracker
    report: ImportReport
    own_source: bool = False  # the source folder is the import's own (unpacked upload, node spool)
    progress: Progress | None = None
    series_total: int = 1
    series_done: int = 0
    study_ids: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def step(self, fraction: float, message: str) -> None:
        self.tracker.update(progress=fraction, message=message)
        if self.progress is not None:
            self.progress(fraction, message)

    def series_step(self, message: str) -> None:
        with self.lock:
            self.series_done += 1
        self.step(0.2 + 0.78 * self.series_done / max(1, self.series_total), message)

    def groups(self, path: Path) -> dict[str, str]:
        if self.pattern is None:
            return {}
        match = self.pattern.search(str(path))
        return {k: v for k, v in (match.groupdict() if match else {}).items() if v}

    def patient_ids(self, inst: Instance | None, path: Path) -> tuple[str, str]:
        """(folder name, original ID) of the patient of ``inst`` (or of a non-DICOM file at ``path``)."""
        override = self.options.patients_id or self.groups(path).get("patients_id")
        if override:
            return naming.sanitise(override, "unknown"), override
        original = inst.patient_id if inst is not None else ""
        if self.anonymised:
            return pseudonym(self.secret, self.project, original or "unknown"), original
        return naming.sanitise(original, "unknown"), original

    def study_pid(self, series: dict[str, Series]) -> str:
        """The patient folder of a study, from its first instance (as :class:`StudyImport` places it)."""
        first = next(iter(series.values())).first
        return self.patient_ids(first, first.path)[0]

    def study_id(self, inst: Instance) -> tuple[str, bool]:
        """(study folder name, whether it was given explicitly by --studies_id / --pattern)."""
        override = self.options.studies_id or self.groups(inst.path).get("studies_id")
        if override:
            return naming.sanitise(override, "study"), True
        if inst.study_date:
            return naming.sanitise(f"{inst.study_date}_{inst.study_time[:6]}".rstrip("_"), "study"), False
        return naming.sanitise(inst.study_id or "study", "study"), False


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
            job_id = jobs.create_job(session, access, layout, f"import {source.name}", spec).id
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
) -> ImportReport:
    """Import every DICOM instance (and the extra files asked for) under ``source`` into ``project``.

    Runs as import job ``job_id`` (created when None): state ``r`` while running, ``d`` when done, ``e``
    with the error as message when it fails. Errors of the input as a whole (no such folder, a bad
    pattern, no right) raise; a series that cannot be converted is reported, the rest is imported.
    ``own_source``: ``source`` is a folder of the system's own (an unpacked upload, a DICOM node's spool),
    so kept originals may be hard-linked from it; never set it for a user's folder.
    """
    source = Path(source)
    check_options(options)
    pattern = compile_pattern(options.pattern)
    access, job_id = _start(sessions, layout, actor, project, source, options, job_id)
    tracker = jobs.Tracker(sessions, layout, job_id)
    report = ImportReport(job_id=job_id)
    tracker.update(state="r", progress=0.0, message="scanning", force=True)
    tracker.log(f"import of {source} into {project} by {actor.username} started")
    work = Path(tempfile.mkdtemp(prefix="work-", dir=tracker.folder))
    try:
        if not source.exists():
            raise NotFound(f"import source {source} does not exist")
        settings = access.project.settings
        ctx = Context(
            sessions=sessions,
            layout=layout,
            actor=actor,
            project=project,
            project_id=access.project.id,
            source=source,
            options=options,
            anonymised=bool(settings.get("anonymised")),
            keep_originals=bool(
                settings.get("keep_originals", True) if options.keep_originals is None else options.keep_originals
            ),
            template=naming.check_policy(str(settings.get("naming") or naming.DEFAULT)),
            pattern=pattern,
            secret=installation_secret(layout.home) if settings.get("anonymised") else b"",
            work=work,
            tracker=tracker,
            own_source=own_source,
            report=report,
            progress=progress,
        )
        _run(ctx)
        if after is not None:  # further steps of the same job (native-PID uploads) before it is done
            after(report)
    except BaseException as exc:
        message = exc.message if isinstance(exc, NoraError) else f"{exc.__class__.__name__}: {exc}"
        tracker.log(f"FAILED: {message}")
        if not isinstance(exc, NoraError):
            log.exception("import job %s failed", job_id)
        report.warnings.append(f"failed: {message}")
        tracker.save_report(report.to_dict())
        tracker.update(state="e", message=f"failed: {message}", force=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _autoexec(sessions, layout, actor, project, report)
    tracker.save_report(report.to_dict())
    tracker.log(f"done: {report.summary()}")
    for line in report.warnings:
        tracker.log(f"warning: {line}")
    for failed in report.not_converted:
        tracker.log(f"not converted: {failed.study} {failed.name}: {failed.reason}")
    tracker.update(state="d", progress=1.0, message=report.summary(), force=True)
    if progress is not None:
        progress(1.0, report.summary())
    return report


def _autoexec(
    sessions: sessionmaker[Session], layout: Layout, actor: Actor, project: str, report: ImportReport
) -> None:
    """Run the project's autoexecution rules on every study this import created or added to."""
    studies = list(dict.fromkeys(report.studies_created + report.studies_updated))
    if not studies:
        return
    config = ProcessingSettings(home=layout.home)
    for psid in studies:
        try:
            with transaction(sessions) as session:
                batches = run_autoexec(session, actor, layout, config, project, Psid.parse(psid))
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
) -> ImportReport:
    """Check and unpack a zip into the job's folder (see :mod:`nora.importing.safezip`), then import it."""
    check_options(options)
    compile_pattern(options.pattern)
    zip_path = Path(zip_path)
    _access, job_id = _start(sessions, layout, actor, project, zip_path, options, job_id, archive=True)
    tracker = jobs.Tracker(sessions, layout, job_id)
    unpacked = tracker.folder / "unpacked"
    shutil.rmtree(unpacked, ignore_errors=True)
    tracker.update(state="r", progress=0.0, message="unpacking", force=True)
    tracker.log(f"unpacking {zip_path.name}")
    try:
        if not zip_path.is_file():
            raise NotFound(f"zip archive {zip_path} does not exist")
        n = extract(zip_path, unpacked, limits)
        tracker.log(f"{n} files unpacked")
    except BaseException as exc:
        message = exc.message if isinstance(exc, NoraError) else f"{exc.__class__.__name__}: {exc}"
        tracker.log(f"FAILED: {message}")
        tracker.update(state="e", message=f"failed: {message}", force=True)
        raise
    try:
        return import_dicom_tree(
            sessions, layout, actor, project, unpacked, options, progress=progress, job_id=job_id, own_source=True
        )
    finally:
        shutil.rmtree(unpacked, ignore_errors=True)


def _run(ctx: Context) -> None:
    files = list(iter_files(ctx.source))
    ctx.tracker.log(f"{len(files)} files found")
    with Stager(ctx) as stager:
        scan = _scan(ctx, files, stager)
        for path, reason in scan.problems:
            ctx.report.ignored_files.append(f"{_rel(ctx, path)}: {reason}")
        ctx.series_total = sum(len(s) for s in scan.studies.values())
        ctx.tracker.log(
            f"{scan.n_instances} DICOM instances in {ctx.series_total} series of {len(scan.studies)} studies"
        )
        known = _known(ctx, scan)
        studies = [StudyImport(ctx, study_uid, series, known) for study_uid, series in scan.studies.items()]
        for study in studies:  # every study's series queued first, so converting overlaps with placing
            study.submit(stager)
        for study in studies:
            study.finish()
    _extra_files(ctx, scan)


def _scan(ctx: Context, files: list[Path], stager: Stager) -> Scan:
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
            ctx.step(0.2 * done / max(1, len(files)), f"reading {done}/{len(files)}")
    return scan


def _known(ctx: Context, scan: Scan) -> set[tuple[str, str]]:
    """(SOP, series UID) pairs of the scan that the project already has."""
    return known_pairs(
        ctx, [i.sop_uid for series in scan.studies.values() for s in series.values() for i in s.instances]
    )


def _rel(ctx: Context, path: Path) -> str:
    try:
        return str(path.relative_to(ctx.source)) if ctx.source.is_dir() else path.name
    except ValueError:
        return str(path)


def _extra_files(ctx: Context, scan: Scan) -> None:
    from nora.importing.extras import import_extra_files

    wanted = {e.lower().lstrip(".") for e in ctx.options.extrafiles_filter}
    chosen, ignored = [], []
    for path in scan.other_files:
        name = path.name.lower()
        if wanted and any(name.endswith("." + ext) for ext in wanted):
            chosen.append(path)
        else:
            ignored.append(path)
    for path in ignored:
        ctx.report.ignored_files.append(f"{_rel(ctx, path)}: not DICOM (use --extrafiles_filter to import it)")
    if chosen:
        import_extra_files(ctx, chosen)


__all__ = [
    "ImportOptions",
    "ImportReport",
    "ZipLimits",
    "check_options",
    "compile_pattern",
    "import_dicom_tree",
    "import_zip",
]
