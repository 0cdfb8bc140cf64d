"""The local executor: a bounded pool of runner processes on this machine.

Each job runs as its own detached process (a new session), so it survives a restart of the daemon; the
executor writes ``executor.json`` (PID and the process's start time, to tell a reused PID apart) in the
job folder right after starting it, which is how a restarted daemon adopts it. The pool's bound is
``local_workers``: the engine submits only as many jobs as there are free workers.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
from collections.abc import Sequence

from nora.core.process import alive, start_time
from nora.core.settings import Settings
from nora.processing.executors.base import Executor, Poll, Submission, runner_command


class LocalExecutor(Executor):
    name = "local"

    def __init__(self, config: Settings) -> None:
        self.workers = config.processing.local_workers
        self._children: dict[int, subprocess.Popen[bytes]] = {}
        #: a pidfd per running child (Linux), so the daemon wakes the moment one ends
        self._pidfds: dict[int, int] = {}

    def capacity(self, active: int) -> int:
        return max(0, self.workers - active)

    def submit(self, jobs: Sequence[Submission]) -> dict[int, str]:
        out = {}
        for job in jobs:
            with open(job.job_dir / "log.txt", "ab") as log:
                proc = subprocess.Popen(
                    runner_command(job.job_dir),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    cwd=job.job_dir,
                    start_new_session=True,
                )
            external = f"{proc.pid}:{start_time(proc.pid) or 0}"
            (job.job_dir / "executor.json").write_text(json.dumps({"executor": self.name, "id": external}))
            self._children[proc.pid] = proc
            with contextlib.suppress(OSError, AttributeError):
                self._pidfds[proc.pid] = os.pidfd_open(proc.pid)
            out[job.job_id] = external
        return out

    def _alive(self, external: str) -> bool:
        pid_text, _, started = external.partition(":")
        pid = int(pid_text)
        child = self._children.get(pid)
        if child is not None and child.poll() is not None:  # reaps our own children
            del self._children[pid]
            self._close_pidfd(pid)
            return False
        return alive(pid, started)

    def _close_pidfd(self, pid: int) -> None:
        fd = self._pidfds.pop(pid, None)
        if fd is not None:
            os.close(fd)

    def wait(self, timeout: float) -> bool | None:
        """Wait on the children's pidfds: returns as soon as one ends (None without pidfd support)."""
        if any(child.poll() is not None for child in self._children.values()):
            return True  # one ended already and was not polled yet
        if not self._pidfds:
            return None
        ready, _, _ = select.select(list(self._pidfds.values()), [], [], max(0.0, timeout))
        for pid, fd in list(self._pidfds.items()):
            if fd in ready:  # ended: stop watching it (poll() reaps the child and reports it)
                self._close_pidfd(pid)
        return bool(ready)

    def poll(self, external_ids: Sequence[str]) -> dict[str, Poll]:
        return {
            e: Poll("running") if self._alive(e) else Poll("ended", "the job's process ended") for e in external_ids
        }

    def cancel(self, external_ids: Sequence[str]) -> None:
        for external in external_ids:
            if self._alive(external):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(int(external.partition(":")[0]), signal.SIGTERM)

    def adopt(self, job: Submission) -> str | None:
        record = job.job_dir / "executor.json"
        try:
            external = str(json.loads(record.read_text())["id"])
        except (OSError, ValueError, KeyError):
            return None
        return external
