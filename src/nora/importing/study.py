"""One study of an import: stage its new series, then place files and rows in one transaction."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, object_session

from nora.archive.db import transaction
from nora.archive.models import File, Patient, Study, utcnow
from nora.archive.services import audit, nodes
from nora.archive.services.access import Access, project_access
from nora.archive.services.tags import change_patient_tags, change_study_tags
from nora.core.fsync import fsync_files
from nora.dicom import naming
from nora.dicom.scan import Instance, Series
from nora.importing.convert_series import Staged
from nora.importing.fragments import Fragment, find_fragments, fragment_files, set_aside
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
    new: list[Instance]  # the instances converted (all of the series when it replaces a fragment)
    staged: Staged
    replaces: Fragment | None = None
    record: list[Instance] | None = None  # the instances to record as imported (None: ``new``)
    base: str = ""  # where its files went (set when placed)


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
        self._fragments: dict[str, tuple[Fragment, list[Instance]]] = {}  # series uid -> (fragment, new ones)

    def submit(self, stager: Stager) -> None:
        """Queue the new instances of each series (in series-number order) for staging.

        A series the project already holds part of is staged from all its instances when the source has
        the fragment's instances again (see :mod:`nora.importing.fragments`).
        """
        with self.services.sessions() as session:  # one query for the study's series
            fragments = find_fragments(session, self.policy.project_id, self.series)
        for _uid, series in sorted(self.series.items(), key=lambda kv: _order(kv[1])):
            new = new_instances(series, self.known)
            fragment = fragments.get(series.uid)
            if new and fragment is not None and fragment.sops <= {i.sop_uid for i in series.instances}:
                every = list({i.sop_uid: i for i in series.instances}.values())
                self._fragments[series.uid] = (fragment, new)
                self._pending.append((series, every, stager.stage(series, every, self.pid)))
                continue
            if new and fragment is not None:
                self.run.report.warnings.append(
                    f"{self.label} {series.description}: {len(new)} instances continue a series imported before, "
                    "whose instances are not all in this import: stored beside it; send the whole series again"
                )
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
            fragment, really_new = self._fragments.get(series.uid, (None, None))
            ready.append(_Ready(series, new, staged, fragment, really_new))
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
        fragment_study = next((f.study_id for f, _new in self._fragments.values()), None)
        if fragment_study is not None and (existing := session.get(Study, fragment_study)) is not None:
            return existing, False  # the study of the series being completed
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
        asides: list[tuple[str, str]] = []  # (aside, original) of replaced fragments' files
        try:
            with transaction(services.sessions) as session:
                access = project_access(session, run.actor, policy.project)
                patient = self._patient(session, access)
                study, created = self._study(session, access, patient)
                folder = services.layout.study_dir(policy.project, patient.pid, study.sid)
                taken = taken_paths(session, study, folder)
                old = self._old_files(session, ready, study)
                moves = self._plan(ready, taken, folder)
                fsync_files(src for src, *_ in moves)  # the staged data is durable before any rename
                for row in old.values():
                    if (folder / row.path).exists():
                        asides.append((str(set_aside(folder / row.path)), str(folder / row.path)))
                marker = next((i.sop_uid for item in ready for i in (item.record or item.new)), "")
                extra = {"asides": asides, "committed_sop": marker} if asides else None
                write_journal(run.folder, [dest for _, dest, *_ in moves], extra)
                for parent in dict.fromkeys(dest.parent for _, dest, *_ in moves):
                    parent.mkdir(parents=True, exist_ok=True)
                for src, dest, *_ in moves:
                    os.replace(src, dest)
                    placed.append(dest)
                now = utcnow()
                rows = [file_row(access, patient, study, rel, facts, now) for _, _, rel, facts in moves]
                insert_rows(session, File, self._replace_rows(session, old, rows))
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
            for moved, original in asides:
                os.replace(moved, original)
            clear_journal(run.folder)
            raise
        for moved, _original in asides:
            Path(moved).unlink(missing_ok=True)
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
            base = item.replaces.base if item.replaces is not None else free_base(taken, rendered, item.staged.files)
            item.base = base
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
            notes = list(staged.notes)
            if item.replaces is not None:
                line = (
                    f"completes the series imported before with {len(item.replaces.sops)} of its instances: converted "
                    f"again from all {len(item.new)} and stored under the same name {base}, replacing the fragment"
                )
                notes.append(line)
                report.warnings.append(f"{self.label} {staged.name}: {line}")
            converted = ConvertedSeries(self.label, staged.name, item.series.uid, len(item.new), shown, notes)
            report.converted.append(converted)

    def _old_files(self, session: Session, ready: list[_Ready], study: Study) -> dict[str, File]:
        """The files of the fragments this placement replaces (by lower-case path).

        Their names stay taken for the other series: only the series they belong to reuses them.
        """
        old: dict[str, File] = {}
        for item in ready:
            if item.replaces is not None and item.replaces.study_id == study.id:
                for row in fragment_files(session, study.id, item.replaces.base):
                    old[row.path.lower()] = row
        return old

    def _replace_rows(self, session: Session, old: dict[str, File], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Update the rows of replaced files in place (id and tags kept), delete those of files the whole
        series no longer has; the rows left to insert."""
        fresh = []
        for row in rows:
            existing = old.pop(row["path_lc"], None)
            if existing is None:
                fresh.append(row)
                continue
            for key in ("format", "header", "size", "sha256", "modified_at"):
                setattr(existing, key, row[key])
        for gone in old.values():
            session.delete(gone)
        session.flush()
        return fresh

    def _record(self, study: Study, item: _Ready) -> list[dict[str, object]]:
        """The ``imported_instances`` rows of a placed series."""
        series_path = item.base  # the series' base name (``fragments.base_of`` reads older rows too)
        if item.replaces is not None:  # the fragment's rows now point at the whole series' files
            session = object_session(study)
            if session is not None:
                session.execute(
                    update(ImportedInstance)
                    .where(
                        ImportedInstance.project_id == self.policy.project_id,
                        ImportedInstance.series_uid == item.series.uid,
                        ImportedInstance.study_id == study.id,
                    )
                    .values(series_path=series_path[:1024])
                )
        return [
            {
                "project_id": self.policy.project_id,
                "study_id": study.id,
                "sop_uid": inst.sop_uid,
                "series_uid": item.series.uid,
                "series_path": series_path[:1024],
                "job_id": self.run.job_id,
            }
            for inst in (item.record if item.record is not None else item.new)
        ]

    def _tags(self, session: Session, access: Access, patient: Patient, study: Study) -> None:
        opts = self.policy.options
        if opts.addtag_patient:
            change_patient_tags(session, access, [patient], add=list(opts.addtag_patient))
        if opts.addtag_study:
            change_study_tags(session, access, [study], add=list(opts.addtag_study))


def _order(series: Series) -> tuple[int, str]:
    return (series.first.series_number or 0, series.uid)
