"""Staging series in a few converter threads, starting while the header scan is still running.

The scan reads files folder by folder, in order. When it leaves a folder, each series whose instances all
lay in that folder is probably complete (exports, CDs and our node's spool keep a series together), so it
is staged at once (:func:`nora.importing.convert_series.stage_series`: dcm2niix, kept originals, file
facts) while the scan goes on. Such a guess is used only if, when the scan has ended, its series got no
further instance, its patient folder is the same and its new instances (those the project does not have
yet) are the same; otherwise it is thrown away and the series staged again. A series is guessed at most
once, so a layout that spreads series over folders costs at most one wasted conversion per series, and a
flat folder gets no guesses at all. Staged files stay in the job's work folder until a study is placed,
so a discarded guess never reaches the archive.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from sqlalchemy import select

from nora.dicom import classify, convert
from nora.dicom.scan import Instance, Scan, Series
from nora.importing.batchpool import Batch, BatchPool
from nora.importing.convert_series import Staged, converter_inputs, stage_converted, stage_series
from nora.importing.infra import ImportServices
from nora.importing.models import ImportedInstance
from nora.importing.policy import ImportPolicy

log = logging.getLogger(__name__)

#: series staged at the same time (each dcm2niix is single-threaded; most of its time goes to gzip)
CONVERTERS = max(1, min(4, os.cpu_count() or 1))
#: the most series one converter run takes (when they pile up; a lone series starts at once)
MAX_BATCH = 16


@dataclass(frozen=True)
class Staging:
    """What staging a series produced: the new instances it converted (or kept) and the staged files."""

    new: tuple[str, ...]  # SOP Instance UIDs, in the order given to the stager
    staged: Staged | None  # None: nothing new


@dataclass(frozen=True)
class _Guess:
    n_instances: int
    pid: str
    future: Future[Staging]


@dataclass
class _Request:
    """A series to stage: its new instances (None for a guess: found out when it is staged)."""

    series: Series
    new: list[Instance] | None
    pid: str
    work: Path


def known_pairs(services: ImportServices, project_id: int, sops: list[str]) -> set[tuple[str, str]]:
    """(SOP, series UID) pairs among ``sops`` that project ``project_id`` already has."""
    found: set[tuple[str, str]] = set()
    with services.sessions() as session:
        for k in range(0, len(sops), 500):
            rows = session.execute(
                select(ImportedInstance.sop_uid, ImportedInstance.series_uid).where(
                    ImportedInstance.project_id == project_id, ImportedInstance.sop_uid.in_(sops[k : k + 500])
                )
            )
            found.update((a, b) for a, b in rows)
    return found


def new_instances(series: Series, known: set[tuple[str, str]]) -> list[Instance]:
    """The instances of ``series`` the project does not have, each SOP once (a source may hold one twice)."""
    new = [i for i in series.instances if (i.sop_uid, series.uid) not in known]
    return list({i.sop_uid: i for i in new}.values())


class Stager:
    """The import's converter threads; use as a context manager (leaving it waits for running work).

    Staged series go to numbered folders below ``work``. The threads take queued series a batch at a
    time (:mod:`nora.importing.batchpool`), and the image series of a batch share one converter run.
    """

    def __init__(self, services: ImportServices, policy: ImportPolicy, work: Path) -> None:
        self.services, self.policy, self.work = services, policy, work
        self._pool: BatchPool[_Request, Staging] = BatchPool(
            self._stage_batch, workers=CONVERTERS, max_batch=MAX_BATCH, name="nora-import-stage"
        )
        self._guesses: dict[str, _Guess] = {}
        self._numbers = itertools.count(1)

    def __enter__(self) -> Stager:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        # after a failure nothing queued is wanted; running staging finishes before the work folder goes
        self._pool.shutdown(cancel=kind is not None)

    # -- guesses while scanning ----------------------------------------------------------------------

    def folder_done(self, scan: Scan, folder: Path, touched: Iterable[tuple[str, str]]) -> None:
        """The scan has left ``folder``: guess-stage the series (study UID, series UID) it saw only there."""
        for study_uid, uid in touched:
            series = scan.studies[study_uid][uid]
            if uid in self._guesses or series.first.path.parent != folder:
                continue
            pid = self.policy.study_pid(scan.studies[study_uid])
            snapshot = Series(uid, list(series.instances))
            future = self._pool.submit(_Request(snapshot, None, pid, self._folder()))
            self._guesses[uid] = _Guess(len(series.instances), pid, future)

    # -- staging for real ----------------------------------------------------------------------------

    def stage(self, series: Series, new: list[Instance], pid: str) -> Callable[[], Staging]:
        """Stage ``new`` (the final new instances of ``series``); call the result to wait for it.

        A matching guess is reused; a guess that does not match is dropped (its files stay in the work
        folder, which is removed at the end of the job).
        """
        wanted = tuple(i.sop_uid for i in new)
        guess = self._guesses.pop(series.uid, None)
        if guess is not None and guess.n_instances == len(series.instances) and guess.pid == pid:
            chosen = guess.future
            return lambda: self._checked(chosen, series, new, pid, wanted)
        if guess is not None:
            guess.future.cancel()
        return self._pool.submit(_Request(series, new, pid, self._folder())).result

    def _checked(
        self, guess: Future[Staging], series: Series, new: list[Instance], pid: str, wanted: tuple[str, ...]
    ) -> Staging:
        """The guess's result when it staged exactly ``wanted``; otherwise (the project gained some of these
        instances meanwhile, from another import) the series is staged again here."""
        result = guess.result()
        if result.new == wanted:
            return result
        log.info("series %s changed while it was staged; staging it again", series.uid)
        return self._stage_one(_Request(series, new, pid, self._folder()), None)

    # -- in the converter threads --------------------------------------------------------------------

    def _stage_batch(self, batch: Batch[_Request, Staging]) -> None:
        """Stage every request of ``batch``; its image series share one converter run."""
        requests = [request for request, _future in batch]
        self._resolve_guesses([r for r in requests if r.new is None])
        shared: dict[str, _Request] = {}
        for r in requests:
            if r.new and convert.batchable(r.series.uid) and classify.non_image_kind(r.series) is None:
                shared.setdefault(r.series.uid, r)
        conversions: dict[str, convert.Conversion] = {}
        if len(shared) > 1:
            inputs = {uid: converter_inputs(r.new or []) for uid, r in shared.items()}
            conversions = self.services.converter.convert_many(inputs, self._folder(), anonymise=True)
        for request, future in batch:
            uid = request.series.uid
            conv = conversions.get(uid) if shared.get(uid) is request else None
            try:
                future.set_result(self._stage_one(request, conv))
            except Exception as exc:  # this series' failure is its caller's to raise
                future.set_exception(exc)

    def _resolve_guesses(self, guesses: list[_Request]) -> None:
        """The new instances of guessed series (one look-up for all of them)."""
        if guesses:
            sops = [i.sop_uid for r in guesses for i in r.series.instances]
            known = known_pairs(self.services, self.policy.project_id, sops)
            for r in guesses:
                r.new = new_instances(r.series, known)

    def _stage_one(self, request: _Request, conv: convert.Conversion | None) -> Staging:
        """Stage one series; ``conv``: its share of a converter run (None: converted here on its own)."""
        new = request.new or []
        if not new:
            return Staging((), None)
        policy, series, work = self.policy, request.series, request.work
        pseudonym, keep, link = policy.pseudonym_for(request.pid), policy.keep_originals, policy.link_originals
        if conv is None:  # converted here on its own, or kept as DICOM objects
            staged = stage_series(
                series,
                new,
                work,
                converter=self.services.converter,
                anonymised=policy.anonymised,
                pseudonym=pseudonym,
                keep_originals=keep,
                link_originals=link,
            )
        else:
            staged = stage_converted(
                series,
                new,
                work,
                conv,
                anonymised=policy.anonymised,
                pseudonym=pseudonym,
                keep_originals=keep,
                link_originals=link,
            )
        return Staging(tuple(i.sop_uid for i in new), staged)

    def _folder(self) -> Path:
        return self.work / f"series-{next(self._numbers):06d}"
