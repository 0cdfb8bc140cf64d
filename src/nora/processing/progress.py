"""The daemon's side of a job's progress: running jobs' ``progress.json`` (:mod:`nora.core.progress`) into
their rows' ``progress`` and ``message`` on every round of the engine.

Only files that changed since the last round are read (their modification time is remembered per job), and
a row is written only for a job still running, with ``updated_at``: that is what the project's live stamp
(``monitor`` part, :mod:`nora.archive.events`) sees, so an open job monitor refetches without polling. A
job's phase is never touched here; when it ends the engine writes its final progress and message.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from nora.archive.models import utcnow
from nora.core.progress import PROGRESS_FILE, read_progress
from nora.processing.lifecycle import JobPhase
from nora.processing.models import Job


class ProgressReader:
    """Reads the progress files of the jobs an engine polls (one per engine: it remembers what it read)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._seen: dict[int, int] = {}  # job id -> modification time (ns) of the file last read

    def changed(self, jobs: Iterable[tuple[int, str]]) -> dict[int, tuple[int, float, str]]:
        """job id -> (modification time, fraction, message) of the ``(id, job folder)`` whose file changed."""
        found: dict[int, tuple[int, float, str]] = {}
        polled = set()
        for job_id, folder in jobs:
            polled.add(job_id)
            try:
                mtime = os.stat(Path(folder) / PROGRESS_FILE).st_mtime_ns if folder else None
            except OSError:
                continue
            if mtime is None or self._seen.get(job_id) == mtime:
                continue
            value = read_progress(Path(folder))
            if value is not None:
                found[job_id] = (mtime, *value)
        self._seen = {k: v for k, v in self._seen.items() if k in polled}  # jobs no longer polled are forgotten
        return found

    def record(self, jobs: Iterable[tuple[int, str]]) -> int:
        """Write the changed progress of the running ones among ``jobs``; how many rows changed.

        A file is remembered as read only once its job's row took it (a job Slurm has started before the
        engine saw it running is read again on the next round)."""
        found = self.changed(jobs)
        if not found:
            return 0
        written = 0
        with self.sessions() as s:
            for job_id, (mtime, fraction, message) in found.items():
                statement = (
                    update(Job)
                    .where(Job.id == job_id, Job.phase == str(JobPhase.RUNNING))
                    .values(progress=fraction, message=message, updated_at=utcnow())
                    .execution_options(synchronize_session=False)
                )
                if getattr(s.execute(statement), "rowcount", 0):
                    self._seen[job_id] = mtime
                    written += 1
            s.commit()
        return written
