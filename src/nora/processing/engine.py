"""The dispatch/poll engine the daemon runs: queued jobs to the executor, executor states to the database.

Every state change is a compare-and-set (``UPDATE ... WHERE phase = <expected>``) in its own short
transaction, so two engines (``nora serve`` and ``nora daemon``, or a daemon and ``nora --launch
--handle_job_result``) never submit or finish a job twice, and a restart loses nothing:

* ``queued`` -> ``submitting``: the job folder and spec are written, then the executor starts it;
* ``submitting`` -> ``submitted`` with its external id; after a crash in between, :meth:`Engine.recover`
  asks the executor (``adopt``) whether it was started, else puts it back to ``queued``;
* ``submitted``/``running`` -> ``finishing`` when the executor says it ended: the runner's
  ``result.json`` decides; outputs are registered in the archive with their tags;
* ``finishing`` -> ``done`` / ``error``; a crash while finishing is redone (registration is idempotent).

A job whose predecessor in its chain failed is not run (error, saying why).

Jobs of the other registered kinds (:mod:`nora.processing.kinds`: import, retrieve ...) go to the engine's
worker pool (:mod:`nora.processing.workers`) in the same rounds, with the same phases and recovery.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from nora.archive.models import Project, User, utcnow
from nora.archive.services.access import SYSTEM, Access, Actor, project_access
from nora.archive.storage import Layout, atomic_write_json
from nora.core.atomic import replace_json
from nora.core.errors import NoraError
from nora.core.leftovers import sweep_leases
from nora.core.progress import PROGRESS_FILE
from nora.core.settings import Settings
from nora.processing.executors import Executor, Poll, Submission, make_executor
from nora.processing.kinds import EXECUTOR_KIND, JobKinds
from nora.processing.lifecycle import ACTIVE, JobPhase, advance, advance_each
from nora.processing.models import Job
from nora.processing.outputs import register_outputs
from nora.processing.progress import ProgressReader
from nora.processing.workers import WorkerPool

log = logging.getLogger(__name__)

P = JobPhase
_LOST = Poll("lost", "the executor does not know the job")


@dataclass
class TickReport:
    submitted: int = 0
    finished: int = 0
    errors: int = 0
    skipped: int = 0
    #: jobs of the worker kinds (import, retrieve ...) started in the worker pool
    started: int = 0
    active: int = 0
    queued: int = 0
    notes: list[str] = field(default_factory=list)


class Engine:
    """Dispatch and poll the jobs of every project (optionally only some batches)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        config: Settings,
        batches: Sequence[int] | None = None,
        kinds: JobKinds | None = None,
    ) -> None:
        self.sessions = sessions
        self.config = config
        self.layout = Layout(config.home)
        self.batches = list(batches) if batches is not None else None
        self._executors: dict[str, Executor] = {}
        self._wake = threading.Event()
        self._swept = time.monotonic()  # the first sweep is :meth:`recover`'s
        self.progress = ProgressReader(sessions)
        #: the worker kinds' pool (an engine limited to some batches runs only those batches' jobs)
        self.workers = WorkerPool(
            sessions,
            kinds if kinds is not None and batches is None else JobKinds(),
            config.processing.import_workers,
            self.notify,
        )

    def notify(self) -> None:
        """Wake the engine's wait (a job was queued, or a worker job ended)."""
        self._wake.set()

    def close(self) -> None:
        """Stop the worker pool, letting running worker jobs end."""
        self.workers.close()

    def executor(self, name: str) -> Executor:
        if name not in self._executors:
            self._executors[name] = make_executor(name, self.config)
        return self._executors[name]

    def job_dir(self, job_id: int) -> Path:
        return self.config.home / "jobs" / str(job_id)

    def wait(self, stop: threading.Event, timeout: float) -> None:
        """Idle between rounds: until ``stop``, ``timeout`` seconds, or (sooner) the end of a local job."""
        deadline = time.monotonic() + timeout
        while not stop.is_set() and not self._wake.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            answers = [e.wait(min(left, 0.25)) for e in self._executors.values()]
            if any(answers):
                break
            if all(a is None for a in answers):  # no executor can wake us early: wait for a notification
                self._wake.wait(min(left, 0.25))
        self._wake.clear()

    def _scope(self, query: Any) -> Any:
        # import and retrieve jobs share the jobs table (for the table's JOB: filter) but run elsewhere
        query = query.where(Job.kind == EXECUTOR_KIND)
        return query if self.batches is None else query.where(Job.batch_id.in_(self.batches))

    # ------------------------------------------------------------------------------------------- tick

    def tick(self) -> TickReport:
        """One round: finish ended jobs, skip jobs whose chain failed, submit what may run."""
        report = TickReport()
        if time.monotonic() - self._swept >= self.config.processing.leftover_sweep_s:
            self.sweep()
        self.poll(report)
        self.dispatch(report)
        report.started = self.workers.dispatch()
        with self.sessions() as s:
            report.active = s.scalar(self._scope(select(func.count()).where(Job.phase.in_(ACTIVE)))) or 0
            report.queued = s.scalar(self._scope(select(func.count()).where(Job.phase == P.QUEUED))) or 0
        return report

    def sweep(self) -> None:
        """Leftovers of processes proven dead (PID and start time): worker jobs they left running (a killed
        ``nora --import``: recovered by their kind and failed) and upload staging folders they leased.
        Run by :meth:`recover` and then every ``leftover_sweep_s`` by :meth:`tick`."""
        self._swept = time.monotonic()
        self.workers.recover()
        removed = sweep_leases(self.config.home)
        if removed:
            log.warning("removed %d staging folders of dead uploads", len(removed))

    def recover(self) -> None:
        """After a restart: adopt or requeue submissions cut short, redo finishing ones, fail worker jobs
        whose process died (their kind undoes what they left half done), remove leftovers of dead runs."""
        self.sweep()
        with self.sessions() as s:
            for kind in self.workers.kinds.workers():
                for what in kind.sweep(s):
                    log.warning("removed %s, left by a %s job that is over", what, kind.name)
        with self.sessions() as s:
            stuck = list(s.scalars(self._scope(select(Job).where(Job.phase == P.SUBMITTING))))
        for job in stuck:
            external = None
            try:
                external = self.executor(job.executor or "local").adopt(self._submission(job, ""))
            except NoraError as exc:
                log.warning("job %s: cannot ask the executor about it: %s", job.id, exc)
                continue
            with self.sessions() as s:
                if external:
                    advance(s, job.id, [P.SUBMITTING], P.SUBMITTED, external_id=external, **self._paths(job.id))
                else:
                    advance(s, job.id, [P.SUBMITTING], P.QUEUED)
                s.commit()
        with self.sessions() as s:
            ordered = select(Job).where(Job.phase == P.FINISHING).order_by(Job.step, Job.id)  # predecessors first
            finishing = list(s.scalars(self._scope(ordered)))
        self._finish_many([(job, Poll("ended", "the daemon restarted while finishing the job")) for job in finishing])

    # --------------------------------------------------------------------------------------- dispatch

    def dispatch(self, report: TickReport) -> None:
        """Submit the oldest queued jobs that may run, as many as each executor has room for.

        Queued jobs are read page by page only until the free slots are filled, so a long queue behind a
        full pool costs nothing per round (reading the whole queue every round made 1,000 jobs quadratic).
        """
        with self.sessions() as s:
            names = set(s.scalars(self._scope(select(Job.executor).where(Job.phase == P.QUEUED).distinct())))
            if not names:
                return
            active = {
                name: n
                for name, n in s.execute(
                    select(Job.executor, func.count()).where(Job.phase.in_(ACTIVE)).group_by(Job.executor)
                ).all()
            }
        rooms = {}
        for name in names:
            executor = self.executor(name or "local")
            rooms[executor.name] = executor.capacity(active.get(executor.name, 0))
        if not any(rooms.values()):
            return
        ready: dict[str, list[Job]] = {}
        previous: dict[int, tuple[str, int, str]] = {}
        after_id, page = 0, max(16, 2 * sum(rooms.values()))
        while any(len(ready.get(n, [])) < room for n, room in rooms.items()):
            with self.sessions() as s:
                queued = list(
                    s.scalars(
                        self._scope(
                            select(Job).where(Job.phase == P.QUEUED, Job.id > after_id).order_by(Job.id).limit(page)
                        )
                    )
                )
                if not queued:
                    break
                previous.update(self._previous_phases(s, queued))
            after_id = queued[-1].id
            for job in queued:
                before = previous.get(job.id)
                if before is not None and before[0] in (P.ERROR, P.DISMISSED):
                    self._skip(job, before[1], report)
                    continue
                executor = self.executor(job.executor or "local")
                chained = executor.chains_dependencies and before is not None and before[0] in (P.SUBMITTED, P.RUNNING)
                if before is not None and before[0] != P.DONE and not (chained and before[2]):
                    continue
                if len(ready.get(executor.name, [])) < rooms.get(executor.name, 0):
                    ready.setdefault(executor.name, []).append(job)
        for name, jobs in ready.items():
            self._submit(self.executor(name), jobs, previous, report)

    def _previous_phases(self, s: Session, jobs: Sequence[Job]) -> dict[int, tuple[str, int, str]]:
        """job id -> (phase, id, external id) of the job before it in its chain."""
        wanted = {(j.batch_id, j.chain, j.step - 1): j.id for j in jobs if j.step > 0}
        if not wanted:
            return {}
        batch_ids = sorted({b for b, _c, _s in wanted if b is not None})
        rows = s.execute(
            select(Job.batch_id, Job.chain, Job.step, Job.phase, Job.id, Job.external_id).where(
                Job.batch_id.in_(batch_ids)
            )
        ).all()
        out = {}
        for batch_id, chain, step, phase, jid, external in rows:
            key = (batch_id, chain, step)
            if key in wanted:
                out[wanted[key]] = (phase, jid, external)
        return out

    def _skip(self, job: Job, failed_id: int, report: TickReport) -> None:
        with self.sessions() as s:
            if advance(
                s,
                job.id,
                [P.QUEUED],
                P.ERROR,
                finished_at=utcnow(),
                message=f"not run: the previous job of this subject (job {failed_id}) failed",
            ):
                report.skipped += 1
            s.commit()

    def _submission(self, job: Job, after: str) -> Submission:
        timeout = float(job.spec.get("timeout_s") or self.config.processing.job_timeout_s)
        return Submission(
            job.id, self.job_dir(job.id), job.queue, job.batch_id or 0, job.step, job.chain, timeout, after
        )

    def _submit(
        self, executor: Executor, jobs: Sequence[Job], previous: dict[int, tuple[str, int, str]], report: TickReport
    ) -> None:
        # claim them all in one transaction (compare-and-set: another engine may have taken some)
        with self.sessions() as s:
            claimed_ids = set(advance(s, [j.id for j in jobs], [P.QUEUED], P.SUBMITTING, executor=executor.name))
            s.commit()
            mine = [j for j in jobs if j.id in claimed_ids]
            names = self._names(s, mine)
        claimed: list[Submission] = []
        for job in mine:
            try:
                project, user = names(job)
                self._write_job_dir(job, project, user, durable=executor.durable_folders)
            except (OSError, NoraError) as exc:
                self._error(job.id, [P.SUBMITTING], f"cannot prepare the job folder: {exc}")
                report.errors += 1
                continue
            before = previous.get(job.id)
            claimed.append(self._submission(job, before[2] if before else ""))
        if not claimed:
            return
        try:
            started = executor.submit(claimed)
        except (OSError, NoraError) as exc:
            log.error("submitting %d jobs to %s failed: %s", len(claimed), executor.name, exc)
            for sub in claimed:
                self._error(sub.job_id, [P.SUBMITTING], f"submission to {executor.name} failed: {exc}")
                report.errors += 1
            return
        with self.sessions() as s:
            advance(s, [sub.job_id for sub in claimed if sub.job_id not in started], [P.SUBMITTING], P.QUEUED)
            submitted = {
                sub.job_id: {"external_id": started[sub.job_id], **self._paths(sub.job_id)}
                for sub in claimed
                if sub.job_id in started
            }
            advance_each(s, submitted, [P.SUBMITTING], P.SUBMITTED)
            report.submitted += len(submitted)
            s.commit()

    def _names(self, s: Session, jobs: Sequence[Job]) -> Any:
        """job -> (project name, user name), looked up once for a group of jobs."""
        project_ids = {j.project_id for j in jobs}
        projects = dict(s.execute(select(Project.id, Project.name).where(Project.id.in_(project_ids))).all())
        user_ids = {j.user_id for j in jobs if j.user_id}
        users = dict(s.execute(select(User.id, User.username).where(User.id.in_(user_ids))).all())
        return lambda job: (projects[job.project_id], users.get(job.user_id, "") if job.user_id else "")

    def _paths(self, job_id: int) -> dict[str, str]:
        folder = self.job_dir(job_id)
        return {"job_dir": str(folder), "log_path": str(folder / "log.txt")}

    def _write_job_dir(self, job: Job, project: str | None = None, user: str = "", durable: bool = True) -> None:
        """The job's folder and ``spec.json``; ``durable``: fsynced (folders that outlive this machine's boot)."""
        if project is None:
            with self.sessions() as s:
                project, user = self._names(s, [job])(job)
        folder = self.job_dir(job.id)
        try:
            folder.mkdir(parents=True)
        except FileExistsError:  # a job put back in the queue: the records of its last try go
            for stale in ("result.json", "error.json", "executor.json", PROGRESS_FILE):
                (folder / stale).unlink(missing_ok=True)
        env = {
            "NORA_HOME": str(self.config.home),
            "NORA_DATABASE_URL": self.config.effective_database_url,
            "NORA_PROJECT": project,
            "NORA_USER": user,
            "NORA_JOB_ID": str(job.id),
            "NORA_PSID": str(job.spec.get("psid", "")),
            "DPXproject": project,
            "DPXpsid": str(job.spec.get("psid", "")),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        }
        spec = {**job.spec, "job_id": job.id, "env": env}
        spec["timeout_s"] = spec.get("timeout_s") or self.config.processing.job_timeout_s
        (atomic_write_json if durable else replace_json)(folder / "spec.json", spec)

    # ------------------------------------------------------------------------------------------- poll

    def poll(self, report: TickReport) -> None:
        """Ask the executors about the jobs they run; record the starts, the ends and the progress of the others.

        Only the columns polling needs are read every round; the whole rows of the jobs that ended.
        """
        with self.sessions() as s:
            active = select(Job.id, Job.phase, Job.executor, Job.external_id, Job.job_dir).where(
                Job.phase.in_((P.SUBMITTED, P.RUNNING))
            )
            rows = s.execute(self._scope(active)).all()
        self.progress.record((r.id, r.job_dir) for r in rows)
        by_executor: dict[str, list[Any]] = {}
        for row in rows:
            by_executor.setdefault(row.executor or "local", []).append(row)
        for name, group in by_executor.items():
            try:
                states = self.executor(name).poll([r.external_id for r in group])
            except (OSError, NoraError) as exc:
                report.notes.append(f"polling {name} failed: {exc}")
                log.warning("polling %s failed: %s", name, exc)
                continue
            polled = [(r, states.get(r.external_id, _LOST)) for r in group]
            started = [r.id for r, st in polled if r.phase == P.SUBMITTED and st.state == "running"]
            ended = {r.id: st for r, st in polled if st.state in ("ended", "lost")}
            if not started and not ended:
                continue
            with self.sessions() as s:  # one commit: the jobs that started and the claims of those that ended
                advance(s, started, [P.SUBMITTED], P.RUNNING, started_at=utcnow())
                mine = advance(s, list(ended), [P.SUBMITTED, P.RUNNING], P.FINISHING)
                s.commit()
                jobs = list(s.scalars(select(Job).where(Job.id.in_(mine)).order_by(Job.step, Job.id))) if mine else []
            report.finished += self._record_outcomes([(job, ended[job.id]) for job in jobs])

    def _claim_finishing(self, s: Session, ended: Sequence[tuple[Job, Poll]]) -> set[int]:
        """``-> finishing`` for the ended jobs (one statement); the ids this engine is to finish."""
        fresh = [job.id for job, _ in ended if job.phase != P.FINISHING]
        return set(advance(s, fresh, [P.SUBMITTED, P.RUNNING], P.FINISHING)) | {
            job.id for job, _ in ended if job.phase == P.FINISHING
        }

    def _finish_many(self, ended: Sequence[tuple[Job, Poll]]) -> int:
        """Claim ended jobs for finishing (one commit), then record their outcomes (:meth:`_record_outcomes`)."""
        if not ended:
            return 0
        with self.sessions() as s:
            mine = self._claim_finishing(s, ended)
            s.commit()
        return self._record_outcomes([(j, st) for j, st in ended if j.id in mine])

    def _record_outcomes(self, claimed: Sequence[tuple[Job, Poll]]) -> int:
        """Record how the claimed jobs ended, in one transaction for all of them.

        What makes a job survive a crash is kept: a job in ``finishing`` and not yet recorded is finished
        again by :meth:`recover` (registering outputs is idempotent). When one job's outputs are refused,
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
            self._write_error(folder, message)
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
            self._write_error(folder, message)
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

    def _write_error(self, folder: Path, message: str) -> None:
        if folder.is_dir() and not (folder / "error.json").exists():
            atomic_write_json(folder / "error.json", {"status": "error", "message": message, "by": "daemon"})

    def _error(self, job_id: int, expected: Sequence[JobPhase], message: str, code: int | None = None) -> None:
        with self.sessions() as s:
            advance(s, job_id, expected, P.ERROR, message=message, exit_code=code, finished_at=utcnow())
            s.commit()


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
