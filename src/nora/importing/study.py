"""One study of an import: stage its new series, then place files and rows in one transaction."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.archive.db import transaction
from nora.archive.models import File, Patient, Study, utcnow
from nora.archive.services import audit, nodes
from nora.archive.services.access import Access, project_access
from nora.archive.services.tags import change_patient_tags, change_study_tags
from nora.core.fsync import fsync_files
from nora.dicom import naming
from nora.dicom.scan import Instance, Series
from nora.importing.convert_series import Staged
from nora.importing.infra import ImportServices
from nora.importing.models import ImportedInstance
from nora.importing.pipeline import Stager, Staging, new_instances
from nora.importing.placement import (
    FileFacts,
    clear_journal,
    file_row,
    free_base,
    insert_rows,
    taken_paths,
    write_journal,
)
from nora.importing.policy import ImportPolicy
from nora.importing.record import ImportRun
from nora.importing.report import ConvertedSeries, FailedSeries, KeptObject
from nora.processing.models import Job

log = logging.getLogger(__name__)


@dataclass
class _Ready:
    series: Series
    new: list[Instance]
    staged: Staged


def _date(value: str) -> str | None:
    return value if len(value) == 8 and value.isdigit() else None


class StudyImport:
    """:meth:`submit` hands the study's new series to the stager; :meth:`finish` waits and places them."""

    def __init__(
        self,
        services: ImportServices,
        policy: ImportPolicy,
        run: ImportRun,
        study_uid: str,
        series: dict[str, Series],
        known: set[tuple[str, str]],
    ) -> None:
        self.services, self.policy, self.run = services, policy, run
        self.study_uid, self.series, self.known = study_uid, series, known
        self.first = next(iter(series.values())).first
        self.pid, self.orig_pid = policy.patient_ids(self.first, self.first.path)
        self.sid, self.sid_given = policy.study_id(self.first)
        self.label = f"{self.pid}#{self.sid}"
        self._pending: list[tuple[Series, list[Instance], Callable[[], Staging]]] = []

    def submit(self, stager: Stager) -> None:
        """Queue the new instances of each series (in series-number order) for staging."""
        for _uid, series in sorted(self.series.items(), key=lambda kv: _order(kv[1])):
            new = new_instances(series, self.known)
            self.run.report.duplicates_skipped += len(series.instances) - len(new)
            if new:
                self._pending.append((series, new, stager.stage(series, new, self.pid)))
            else:
                self.run.series_step(f"{series.description}: already imported")

    def finish(self) -> None:
        """Wait for the study's staged series, report the failed ones, place the rest together."""
        ready: list[_Ready] = []
        for series, new, wait in self._pending:
            staged = wait().staged
            assert staged is not None  # new instances were given
            self.run.series_step(f"{self.label} {staged.name}: {staged.kind}")
            ready.append(_Ready(series, new, staged))
        for item in ready:
            if item.staged.kind == "failed":
                failure = FailedSeries(self.label, item.staged.name, item.series.uid, item.staged.reason)
                self.run.report.not_converted.append(failure)
                self.run.log(f"{self.label} {item.staged.name}: not converted: {item.staged.reason}")
        if any(r.staged.kind != "failed" for r in ready):
            self._place([r for r in ready if r.staged.kind != "failed"])

    # -- placement ---------------------------------------------------------------------------------

    def _patient(self, session: Session, access: Access) -> Patient:
        first = self.first
        return nodes.create_patient(
            session,
            access,
            self.services.layout,
            self.pid,
            name=first.patient_name[:255],
            birth_date=_date(first.birth_date),
            sex=first.sex[:8],
            orig_pid=self.orig_pid[:128],
            exist_ok=True,
        )

    def _study(self, session: Session, access: Access, patient: Patient) -> tuple[Study, bool]:
        """The study this import adds to (same Study Instance UID, or the explicit study ID) or a new one."""
        if not self.sid_given:
            existing = session.scalar(
                select(Study).where(Study.patient_id == patient.id, Study.study_uid == self.study_uid)
            )
            if existing is not None:
                return existing, False
        sid, n = self.sid, 1
        while (
            other := session.scalar(select(Study).where(Study.patient_id == patient.id, Study.sid == sid))
        ) is not None:
            if self.sid_given:
                return other, False
            n += 1
            sid = f"{self.sid}_{n}"
        modalities = sorted({s.first.modality for s in self.series.values() if s.first.modality})
        first = self.first
        study = nodes.create_study(
            session,
            access,
            self.services.layout,
            patient,
            sid,
            study_date=_date(self.policy.study_date(first)),
            description=first.study_description[:255],
            modality=",".join(modalities)[:64],
            study_uid=self.study_uid,
        )
        if not self.policy.anonymised:
            study.accession = first.accession[:64]
        self.sid, self.label = sid, f"{self.pid}#{sid}"
        return study, True

    def _place(self, ready: list[_Ready]) -> None:
        """Rename the staged files into the study and write their rows, all in one transaction.

        The journal names every destination before the first rename; if anything fails before the
        commit, the renamed files are removed again (and a crash leaves the journal for recovery).
        """
        services, policy, run = self.services, self.policy, self.run
        placed: list[Path] = []
        try:
            with transaction(services.sessions) as session:
                access = project_access(session, run.actor, policy.project)
                patient = self._patient(session, access)
                study, created = self._study(session, access, patient)
                folder = services.layout.study_dir(policy.project, patient.pid, study.sid)
                taken = taken_paths(session, study, folder)
                moves = self._plan(ready, taken, folder)
                fsync_files(src for src, *_ in moves)  # the staged data is durable before any rename
                write_journal(run.folder, [dest for _, dest, *_ in moves])
                for parent in dict.fromkeys(dest.parent for _, dest, *_ in moves):
                    parent.mkdir(parents=True, exist_ok=True)
                for src, dest, *_ in moves:
                    os.replace(src, dest)
                    placed.append(dest)
                now = utcnow()
                rows = [file_row(access, patient, study, rel, facts, now) for _, _, rel, facts in moves]
                insert_rows(session, File, rows)
                insert_rows(session, ImportedInstance, [row for item in ready for row in self._record(study, item)])
                self._tags(session, access, patient, study)
                job = session.get(Job, run.job_id)
                if job is not None and job.study_id is None:
                    job.patient_id, job.study_id = patient.id, study.id
                audit.record(
                    session,
                    run.actor,
                    "import.study",
                    project=policy.project,
                    target=self.label,
                    series=len(ready),
                    files=len(moves),
                )
                session.flush()
        except BaseException:
            for dest in placed:
                dest.unlink(missing_ok=True)
            clear_journal(run.folder)
            raise
        clear_journal(run.folder)
        (run.report.studies_created if created else run.report.studies_updated).append(self.label)
        run.log(f"{self.label}: {len(ready)} series placed ({len(moves)} files)")

    def _plan(self, ready: list[_Ready], taken: set[str], folder: Path) -> list[tuple[Path, Path, str, FileFacts]]:
        """(staged file, destination, relative path, facts for its row) for every staged file."""
        moves: list[tuple[Path, Path, str, FileFacts]] = []
        for item in ready:
            first = item.series.first
            rendered = naming.render(
                self.policy.template,
                {
                    "series_description": first.series_description,
                    "protocol": first.protocol,
                    "series_number": first.series_number,
                    "modality": first.modality,
                    "series_uid": item.series.uid,
                    "study_date": self.policy.study_date(first),
                },
            )
            base = free_base(taken, rendered, item.staged.files)
            rels = []
            for suffix, src in sorted(item.staged.files.items()):
                rel = base + suffix
                taken.add(rel.lower())
                rels.append(rel)
                moves.append((src, folder / rel, rel, item.staged.facts[suffix]))
            item.staged.files = dict(zip(sorted(item.staged.files), [Path(r) for r in rels], strict=True))
            self._report(item, base, rels)
        return moves

    def _report(self, item: _Ready, base: str, rels: list[str]) -> None:
        staged, report = item.staged, self.run.report
        if staged.kind == "object":
            report.objects.append(KeptObject(self.label, staged.name, staged.object_kind, len(item.new), rels))
        else:
            shown = [r for r in rels if "_dicom/" not in r]
            report.converted.append(
                ConvertedSeries(self.label, staged.name, item.series.uid, len(item.new), shown, staged.notes)
            )
        self._series_path = base

    def _record(self, study: Study, item: _Ready) -> list[dict[str, object]]:
        """The ``imported_instances`` rows of a placed series."""
        paths = sorted(str(p) for p in item.staged.files.values())
        series_path = paths[0] if paths else ""
        return [
            {
                "project_id": self.policy.project_id,
                "study_id": study.id,
                "sop_uid": inst.sop_uid,
                "series_uid": item.series.uid,
                "series_path": series_path[:1024],
                "job_id": self.run.job_id,
            }
            for inst in item.new
        ]

    def _tags(self, session: Session, access: Access, patient: Patient, study: Study) -> None:
        opts = self.policy.options
        if opts.addtag_patient:
            change_patient_tags(session, access, [patient], add=list(opts.addtag_patient))
        if opts.addtag_study:
            change_study_tags(session, access, [study], add=list(opts.addtag_study))


def _order(series: Series) -> tuple[int, str]:
    return (series.first.series_number or 0, series.uid)
