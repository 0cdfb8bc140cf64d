"""How the jobs an executor ran ended, recorded in the database: ``finishing`` -> ``done`` / ``error``.

The engine (:mod:`nora.processing.engine`) claims ended jobs for finishing; :class:`OutcomeRecorder` reads
each one's ``result.json`` (written by the runner or the fork server), registers its outputs in the archive
with their tags and writes the new phases of a group of jobs together. A job whose records are missing gets
an ``error.json`` saying why (killed, its predecessor failed, its process went away).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from nora.archive.models import Project, User, utcnow
from nora.archive.services.access import SYSTEM, Access, Actor, project_access
from nora.archive.storage import Layout, atomic_write_json
from nora.core.errors import NoraError
from nora.processing.executors import Poll
from nora.processing.lifecycle import JobPhase, advance_each
from nora.processing.models import Job
from nora.processing.outputs import register_outputs

P = JobPhase


class OutcomeRecorder:
    """Records the outcomes of claimed ``finishing`` jobs (see :meth:`record`)."""

    def __init__(self, sessions: sessionmaker[Session], layout: Layout, job_dir: Callable[[int], Path]) -> None:
        self.sessions = sessions
        self.layout = layout
        self.job_dir = job_dir

    def record(self, claimed: Sequence[tuple[Job, Poll]]) -> int:
        """Record how the claimed jobs ended, in one transaction for all of them.

        What makes a job survive a crash is kept: a job in ``finishing`` and not yet recorded is finished
        again by the engine's ``recover`` (registering outputs is idempotent). When one job's outputs are refused,
        the batch is rolled back and each job is recorded on its own, so only that job fails. The jobs'
        new phases are written together at the end (one statement per kind of change).
        """
        if not claimed:
            return 0
        try:
            with self.sessions() as s:
                outcomes = _Outcomes()
                for job, state in claimed:
                    self._outcome(s, job, state, outcomes, strict=True)
                outcomes.write(s)
                s.commit()
        except _Refused:
            for job, state in claimed:
                with self.sessions() as s:
                    outcomes = _Outcomes()
                    self._outcome(s, job, state, outcomes, strict=False)
                    outcomes.write(s)
                    s.commit()
        return len(claimed)

    def _outcome(self, s: Session, job: Job, state: Poll, outcomes: _Outcomes, *, strict: bool) -> None:
        """Add how a job in ``finishing`` ended to ``outcomes``; ``strict``: raise :class:`_Refused` instead
        of failing the job when its outputs cannot be registered."""
        folder = Path(job.job_dir or self.job_dir(job.id))
        result = _read_json(folder / "result.json")
        if result is None:
            if job.kill_requested:  # killed before the runner could record it
                message = "the job was killed"
            else:
                message = self._predecessor_failed(s, job, outcomes) or (
                    f"{state.reason or 'the job ended'} without a result (its process or node went away)"
                )
            self.write_error(folder, message)
            outcomes.add(job.id, P.ERROR, message=message, finished_at=utcnow())
            return
        code = result.get("exit_code")
        if result.get("status") != "done":
            message = str(result.get("message") or "the job failed")
            outcomes.add(job.id, P.ERROR, message=message, exit_code=code, finished_at=utcnow())
            return
        try:
            outputs = job.spec.get("outputs", [])
            notes = register_outputs(s, outcomes.access(s, job, self._access), self.layout, outputs, job.spec)
        except NoraError as exc:
            if strict:
                raise _Refused from exc
            message = f"the outputs could not be registered: {exc.message}"
            self.write_error(folder, message)
            outcomes.add(job.id, P.ERROR, message=message, exit_code=code, finished_at=utcnow())
            return
        outcomes.add(job.id, P.DONE, exit_code=code, finished_at=utcnow(), progress=1.0, message="; ".join(notes))

    def _predecessor_failed(self, s: Session, job: Job, outcomes: _Outcomes) -> str:
        """The reason a chained job never ran (Slurm cancels it when its dependency fails), else ''.

        Its predecessor may have failed in the same group of outcomes, not written yet: ``outcomes`` says.
        """
        if job.step == 0:
            return ""
        before = s.execute(
            select(Job.id, Job.phase).where(
                Job.batch_id == job.batch_id, Job.chain == job.chain, Job.step == job.step - 1
            )
        ).first()
        if before is not None and outcomes.phase(before.id, before.phase) in (P.ERROR, P.DISMISSED):
            return f"not run: the previous job of this subject (job {before.id}) failed"
        return ""

    def _access(self, s: Session, job: Job) -> Access:
        return project_access(s, self._actor(s, job), self._project_name(s, job))

    def _actor(self, s: Session, job: Job) -> Actor:
        user = s.get(User, job.user_id) if job.user_id else None
        return Actor.of(user) if user else SYSTEM

    def _project_name(self, s: Session, job: Job) -> str:
        project = s.get(Project, job.project_id)
        assert project is not None
        return project.name

    def write_error(self, folder: Path, message: str) -> None:
        if folder.is_dir() and not (folder / "error.json").exists():
            atomic_write_json(folder / "error.json", {"status": "error", "message": message, "by": "daemon"})


class _Outcomes:
    """The outcomes of a group of finishing jobs, written together (:func:`advance_each`); the access of
    each (user, project) is looked up once for the group (it is the same for every job of a batch)."""

    def __init__(self) -> None:
        self.changes: dict[JobPhase, dict[int, dict[str, Any]]] = {}
        self._phases: dict[int, JobPhase] = {}
        self._access: dict[tuple[int | None, int], Access] = {}

    def add(self, job_id: int, to: JobPhase, **values: Any) -> None:
        self.changes.setdefault(to, {})[job_id] = values
        self._phases[job_id] = to

    def phase(self, job_id: int, recorded: str) -> str:
        """A job's phase, counting the outcomes not written yet."""
        return self._phases.get(job_id, recorded)

    def access(self, s: Session, job: Job, find: Callable[[Session, Job], Access]) -> Access:
        key = (job.user_id, job.project_id)
        if key not in self._access:
            self._access[key] = find(s, job)
        return self._access[key]

    def write(self, s: Session) -> None:
        for to, changes in self.changes.items():
            advance_each(s, changes, [P.FINISHING], to)


class _Refused(Exception):
    """A job's outputs were refused while recording a batch of outcomes (the batch is then recorded job by job)."""


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
