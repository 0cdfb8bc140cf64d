"""The engine's worker pool: jobs of the registered :class:`~nora.processing.kinds.WorkerKind` s.

Import and retrieve jobs (and the kinds features add) run in threads of the daemon's process, at most
``import_workers`` at a time, on their kind's queue (imports: ``default_queue_import``, NORA's
``DEFAULTQUEUE_IMPORT``). A job is claimed like every other (compare-and-set ``queued -> running``, in one
statement for all the jobs a round takes), with this process recorded as its ``runner`` (host, PID and
start time: :mod:`nora.core.process`). After a restart, :meth:`WorkerPool.recover` hands every job left
running by a dead runner to its kind's ``recover`` and marks it failed; queued jobs simply run.

The pool belongs to one engine and is started and stopped with it (the app's lifespan, ``nora daemon``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from nora.archive.models import utcnow
from nora.core.errors import NoraError
from nora.core.process import ProcessId, process_alive
from nora.processing.kinds import JobKinds
from nora.processing.lifecycle import JobPhase, advance, move
from nora.processing.models import Job

log = logging.getLogger(__name__)

P = JobPhase
#: ``jobs.executor`` of jobs run by the worker pool
WORKER = "worker"


def runner_alive(job: Job) -> bool:
    """Whether the process that claimed a running worker job lives (another host's counts as alive)."""
    process = ProcessId.parse(job.runner)
    return process is not None and process_alive(process)


class WorkerPool:
    """A bounded thread pool running claimed jobs of the worker kinds."""

    def __init__(
        self, sessions: sessionmaker[Session], kinds: JobKinds, size: int, on_end: Callable[[], None] | None = None
    ) -> None:
        self.sessions, self.kinds, self.size = sessions, kinds, size
        self.on_end = on_end
        self._pool: ThreadPoolExecutor | None = None
        self._running: dict[int, Future[None]] = {}
        self._lock = threading.Lock()
        self.me = ProcessId.current().format()

    def busy(self) -> int:
        with self._lock:
            for job_id in [j for j, f in self._running.items() if f.done()]:
                del self._running[job_id]
            return len(self._running)

    def recover(self) -> list[int]:
        """Jobs of the worker kinds left running by a runner that died: recovered by their kind, failed."""
        names = self.kinds.worker_names()
        if not names:
            return []
        recovered = []
        with self.sessions() as s:
            running = s.scalars(select(Job).where(Job.kind.in_(names), Job.phase == P.RUNNING))
            stale = [job for job in running if not runner_alive(job)]
        for job in stale:
            kind = self.kinds.worker(job.kind)
            assert kind is not None
            with self.sessions() as s:
                row = s.get(Job, job.id)
                if row is None or row.phase != P.RUNNING or row.runner != job.runner:
                    continue  # another engine recovered it meanwhile
                move(row, P.ERROR, message=kind.recover(s, row))
                s.commit()
            recovered.append(job.id)
        if recovered:
            log.warning("jobs %s were interrupted (their process ended) and are marked as failed", recovered)
        return recovered

    def dispatch(self) -> int:
        """Claim the oldest queued jobs of the worker kinds, as many as there are free threads; start them."""
        free = self.size - self.busy()
        names = self.kinds.worker_names()
        if free <= 0 or not names:
            return 0
        with self.sessions() as s:
            queued = list(
                s.execute(
                    select(Job.id, Job.kind)
                    .where(Job.kind.in_(names), Job.phase == P.QUEUED)
                    .order_by(Job.id)
                    .limit(free)
                ).all()
            )
            if not queued:
                return 0
            kind_of = dict(queued)
            claimed: list[int] = []
            for name in {k for _, k in queued}:
                kind = self.kinds.worker(name)
                assert kind is not None
                ids = [j for j, k in queued if k == name]
                claimed += advance(
                    s,
                    ids,
                    [P.QUEUED],
                    P.RUNNING,
                    runner=self.me,
                    executor=WORKER,
                    queue=kind.queue,
                    started_at=utcnow(),
                )
            s.commit()
        for job_id in sorted(claimed):
            self._start(job_id, kind_of[job_id])
        return len(claimed)

    def start(self) -> None:
        """Start the threads (a pool not started explicitly starts with its first job)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix="nora-worker")

    def _start(self, job_id: int, name: str) -> None:
        self.start()
        assert self._pool is not None
        future = self._pool.submit(self._run, job_id, name)
        with self._lock:
            self._running[job_id] = future

    def _run(self, job_id: int, name: str) -> None:
        kind = self.kinds.worker(name)
        assert kind is not None
        try:
            kind.run(job_id)
        except NoraError as exc:
            self._fail(job_id, exc.message)
        except Exception as exc:  # the pool's boundary: a broken job must not stop the others
            log.exception("%s job %s failed", name, job_id)
            self._fail(job_id, f"{exc.__class__.__name__}: {exc}")
        finally:
            if self.on_end is not None:
                self.on_end()

    def _fail(self, job_id: int, message: str) -> None:
        """A job whose run raised: error with the message, unless the kind recorded the outcome already."""
        with self.sessions() as s:
            advance(s, job_id, [P.RUNNING], P.ERROR, message=f"failed: {message}"[:4000])
            s.commit()

    def close(self, wait: bool = True) -> None:
        """Stop taking jobs; with ``wait``, let the running ones end (their jobs stay consistent)."""
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)
            self._pool = None
