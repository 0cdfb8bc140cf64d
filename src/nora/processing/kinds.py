"""The registry of job kinds: what the engine does with each ``jobs.kind``.

Every job is a row of ``jobs`` and goes through the phases of :mod:`nora.processing.lifecycle`; its kind
says how it runs:

* ``job`` (processing, built in): the engine hands it to an executor (local pool, Slurm) and polls it;
* a :class:`WorkerKind` (``import`` and ``retrieve`` from :mod:`nora.importing`; the segmentation
  feature's training and apply kinds next): the engine claims it (compare-and-set ``queued -> running``,
  recording this process as its runner) and runs :meth:`WorkerKind.run` on its bounded worker pool;
  after a restart, a job left running by a dead runner goes to :meth:`WorkerKind.recover`.

Features register their kinds where the services are composed (the app factory, the CLI), so the
engine never imports a feature. A registry belongs to one engine; there is no module-level registry.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator

from sqlalchemy.orm import Session

from nora.processing.models import Job

#: the kind of processing jobs (batches), run by the executors
EXECUTOR_KIND = "job"


class WorkerKind(abc.ABC):
    """A kind of job run in the engine's worker pool (a thread of the daemon's process)."""

    #: the ``jobs.kind`` value
    name: str
    #: what the job monitor calls it
    title: str
    #: the queue its jobs are recorded on (imports: ``default_queue_import``)
    queue: str = "import"

    @abc.abstractmethod
    def run(self, job_id: int) -> None:
        """Run a claimed job (phase ``running``) to ``done`` or ``error``.

        Failures of the job are recorded on it; an exception escaping here is treated the same way by the
        engine (the job ends in error with its message), so a bad job never stops the pool.
        """

    @abc.abstractmethod
    def recover(self, session: Session, job: Job) -> str:
        """A job whose runner died mid-way: undo what it left half done; returns the job's error message.

        The engine then moves the job to ``error`` (in the same transaction).
        """

    def sweep(self, session: Session) -> list[str]:
        """At the engine's start: remove what runs of this kind that are over left behind (work folders);
        returns what was removed. Jobs still running are never touched."""
        return []


class JobKinds:
    """The kinds one engine runs, by name (``job`` is always there and needs no entry)."""

    def __init__(self, *kinds: WorkerKind) -> None:
        self._workers: dict[str, WorkerKind] = {}
        for kind in kinds:
            self.register(kind)

    def register(self, kind: WorkerKind) -> None:
        if kind.name == EXECUTOR_KIND or kind.name in self._workers:
            raise ValueError(f"job kind {kind.name!r} is registered already")
        self._workers[kind.name] = kind

    def worker(self, name: str) -> WorkerKind | None:
        return self._workers.get(name)

    def workers(self) -> Iterator[WorkerKind]:
        return iter(self._workers.values())

    def worker_names(self) -> list[str]:
        return sorted(self._workers)

    def names(self) -> list[str]:
        return [EXECUTOR_KIND, *self.worker_names()]
