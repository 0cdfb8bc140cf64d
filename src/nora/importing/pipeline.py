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

import logging
import os
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from sqlalchemy import select

from nora.dicom.scan import Instance, Scan, Series
from nora.importing.convert_series import Staged, stage_series
from nora.importing.infra import ImportServices
from nora.importing.models import ImportedInstance
from nora.importing.policy import ImportPolicy

log = logging.getLogger(__name__)

#: series staged at the same time (each dcm2niix is single-threaded; most of its time goes to gzip)
CONVERTERS = max(1, min(4, os.cpu_count() or 1))


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

    Staged series go to numbered folders below ``work``.
    """

    def __init__(self, services: ImportServices, policy: ImportPolicy, work: Path) -> None:
        self.services, self.policy, self.work = services, policy, work
        self._pool = ThreadPoolExecutor(max_workers=CONVERTERS, thread_name_prefix="nora-import-stage")
        self._guesses: dict[str, _Guess] = {}
        self._n = 0

    def __enter__(self) -> Stager:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        # after a failure nothing queued is wanted; running staging finishes before the work folder goes
        self._pool.shutdown(wait=True, cancel_futures=kind is not None)

    # -- guesses while scanning ----------------------------------------------------------------------

    def folder_done(self, scan: Scan, folder: Path, touched: Iterable[tuple[str, str]]) -> None:
        """The scan has left ``folder``: guess-stage the series (study UID, series UID) it saw only there."""
        for study_uid, uid in touched:
            series = scan.studies[study_uid][uid]
            if uid in self._guesses or series.first.path.parent != folder:
                continue
            pid = self.policy.study_pid(scan.studies[study_uid])
            snapshot = Series(uid, list(series.instances))
            future = self._pool.submit(self._guess, snapshot, pid, self._folder())
            self._guesses[uid] = _Guess(len(series.instances), pid, future)

    def _guess(self, series: Series, pid: str, work: Path) -> Staging:
        known = known_pairs(self.services, self.policy.project_id, [i.sop_uid for i in series.instances])
        return self._stage(series, new_instances(series, known), pid, work)

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
        future = self._pool.submit(self._stage, series, new, pid, self._folder())
        return future.result

    def _checked(
        self, guess: Future[Staging], series: Series, new: list[Instance], pid: str, wanted: tuple[str, ...]
    ) -> Staging:
        """The guess's result when it staged exactly ``wanted``; otherwise (the project gained some of these
        instances meanwhile, from another import) the series is staged again here."""
        result = guess.result()
        if result.new == wanted:
            return result
        log.info("series %s changed while it was staged; staging it again", series.uid)
        return self._stage(series, new, pid, self._folder())

    def _stage(self, series: Series, new: list[Instance], pid: str, work: Path) -> Staging:
        if not new:
            return Staging((), None)
        policy = self.policy
        staged = stage_series(
            series,
            new,
            work,
            converter=self.services.converter,
            anonymised=policy.anonymised,
            pseudonym=policy.pseudonym_for(pid),
            keep_originals=policy.keep_originals,
            link_originals=policy.link_originals,
        )
        return Staging(tuple(i.sop_uid for i in new), staged)

    def _folder(self) -> Path:
        self._n += 1
        return self.work / f"series-{self._n:06d}"
