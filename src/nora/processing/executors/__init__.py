"""Executors: where jobs run. One interface (:class:`~.base.Executor`), two implementations.

* ``local`` (:mod:`.local`): a process per job on this machine, forked by a fork server, ``local_workers`` at a time;
* ``slurm`` (:mod:`.slurm`): ``sbatch`` job arrays per batch step with dependencies, ``squeue``/``sacct``
  polling, ``scancel``.
"""

from __future__ import annotations

from nora.core.settings import Settings
from nora.processing.executors.base import Executor, Poll, Submission


def make_executor(name: str, config: Settings) -> Executor:
    if name == "slurm":
        from nora.processing.executors.slurm import SlurmExecutor

        return SlurmExecutor(config)
    from nora.processing.executors.local import LocalExecutor

    return LocalExecutor(config)


__all__ = ["Executor", "Poll", "Submission", "make_executor"]
