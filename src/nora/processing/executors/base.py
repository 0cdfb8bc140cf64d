"""The executor interface: submit prepared job folders, poll them, cancel them, find lost submissions."""

from __future__ import annotations

import abc
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import nora

State = Literal["pending", "running", "ended", "lost"]


@dataclass(frozen=True)
class Submission:
    """One job ready to run: its folder (with spec.json), queue, and place in its batch."""

    job_id: int
    job_dir: Path
    queue: str
    batch_id: int
    step: int
    chain: int
    timeout_s: float
    #: the external id of the job it must wait for (same chain, previous step), if still unfinished
    after: str = ""


@dataclass(frozen=True)
class Poll:
    """What the executor knows about a submitted job; ``reason`` explains an end without a result."""

    state: State
    reason: str = ""


def runner_command(job_dir: Path) -> list[str]:
    """``python -m nora.processing.runner JOBDIR``, started lean: without ``site`` (``-S``; the runner
    needs only the standard library and loads ``site`` itself before a built-in job imports the catalog)
    and without ``runpy``, with the folder that holds the ``nora`` package first on ``sys.path``.
    """
    root = str(Path(nora.__file__).resolve().parents[1])
    code = f"import sys; sys.path.insert(0, {root!r}); from nora.processing.runner import main; sys.exit(main())"
    return [sys.executable, "-S", "-c", code, str(job_dir)]


class Executor(abc.ABC):
    name: str
    #: whether jobs of one chain may be submitted before their predecessor ended (Slurm dependencies)
    chains_dependencies: bool = False
    #: whether a job folder must survive a crash of this machine (a Slurm job may start after one; a local
    #: job cannot outlive it, so its spec need not be fsynced)
    durable_folders: bool = True

    @abc.abstractmethod
    def capacity(self, active: int) -> int:
        """How many more jobs to submit now, given ``active`` submitted and unfinished ones."""

    @abc.abstractmethod
    def submit(self, jobs: Sequence[Submission]) -> dict[int, str]:
        """Start ``jobs``; returns job id -> external id. Jobs not in the answer were not submitted."""

    @abc.abstractmethod
    def poll(self, external_ids: Sequence[str]) -> dict[str, Poll]:
        """The state of each external id (``lost`` when the executor knows nothing of it)."""

    @abc.abstractmethod
    def cancel(self, external_ids: Sequence[str]) -> None:
        """Stop the jobs (the runner records them as killed)."""

    def adopt(self, job: Submission) -> str | None:
        """After a crash between submitting and recording: the external id if ``job`` was submitted."""
        return None

    def wait(self, timeout: float) -> bool | None:
        """Block up to ``timeout`` seconds until one of this executor's jobs ends.

        True when one ended, False when none did in time; None when the executor cannot tell (the caller
        then sleeps its polling interval).
        """
        return None
