"""Script jobs the fork server starts itself: ``bash`` and ``python`` jobs without a Python child per job.

For a script job the runner's own work is small (read the spec, stage the outputs, write the script, wait,
commit the outputs, write the records), so :mod:`nora.processing.forkserver` does it in its own process and
starts the script with ``posix_spawn`` (no Python runner process per job, no second ``fork`` for the script):
that is what makes a trivial job cost about what the script itself costs. (``fork`` + ``exec`` from the
server was measured too: it does not hold the server while the new process is scheduled, as a spawn does
with the interpreter lock held, but it cost 4.5 ms of CPU per job against 1.5 ms.) Built-in jobs (Python code of
the catalog) are still forked children running :class:`~nora.processing.runner.Runner`.

The job's process is the script's interpreter (``bash``, ``python``): it leads its own session and process
group (so ``kill`` and the timeout reach its children), its stdout and stderr append to ``log.txt``, and
its PID and start time are in ``process.json`` beside the server's (``server``), so a restarted daemon
knows that a job whose process ended may still be waiting for the server to record it.

The records (``error.json``, ``result.json``) say the same as the runner's and are written the same way
(:func:`~nora.core.atomic.atomic_write_json`), by the threads of :class:`Recorder`, so the server goes on
starting jobs meanwhile; only then does the server report the end to the daemon. One after the other the
fsyncs took 15 to 30 ms per record on this machine, more than a trivial job.

Like the runner, this module imports only the standard library and stdlib-only parts of nora.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nora.core.atomic import atomic_write_json
from nora.core.process import alive
from nora.processing.runner import EXIT_FAILED, EXIT_KILLED, EXIT_TIMEOUT, JobFailed, Records, Runner, script_failure

#: jobs the server runs itself
SCRIPT_JOBS = ("bash", "python")
#: seconds between SIGTERM and SIGKILL for a job that is timed out or killed (as the runner waits)
GRACE_S = 5.0
#: the file that asks the server to kill a job, and the signal that makes it look
KILL_REQUEST, KILL_SIGNAL = "kill-requested", signal.SIGUSR1
_RESTORED = (signal.SIGPIPE, signal.SIGXFSZ)  # ignored by Python, default for the script (as subprocess does)


def script_spec(folder: Path) -> dict[str, Any] | None:
    """The job's spec when it is a script job the server may start itself, else None (the runner decides)."""
    try:
        spec = json.loads((folder / "spec.json").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(spec, dict) or spec.get("job") not in SCRIPT_JOBS or not isinstance(spec.get("values", {}), dict):
        return None
    return spec


@dataclass
class ScriptJob:
    """A script job started by the server: what its end needs to be recorded."""

    job_id: str
    folder: Path
    runner: Runner
    log: int  # the job's log.txt, open for appending
    kind: str
    timeout: float | None
    pid: int = 0
    started: float = field(default_factory=time.time)
    #: monotonic time of the next signal the server sends it (timeout, or SIGKILL after SIGTERM)
    deadline: float | None = None
    stopping: str = ""  # "", "timeout", "kill": why the server signalled it
    code: int = 0  # exit status (negative: the signal that ended it)

    def write(self, text: str) -> None:
        os.write(self.log, (text + "\n").encode())

    def signal_due(self, now: float) -> None:
        """The deadline passed: SIGTERM for a timeout, then SIGKILL if it is still there after the grace."""
        if self.stopping:
            self._signal(signal.SIGKILL)
            self.deadline = None
            return
        self.stop("timeout", now)

    def stop(self, why: str, now: float) -> None:
        self.stopping = why
        self._signal(signal.SIGTERM)
        self.deadline = now + GRACE_S

    def check_kill(self, now: float) -> None:
        """A kill was requested of some job: stop this one if it was."""
        if self.stopping != "kill" and (self.folder / KILL_REQUEST).exists():
            self.stop("kill", now)

    def _signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)

    def records(self) -> Records:
        """How it ended, as the runner records it (commits its outputs when it succeeded)."""
        runner, started = self.runner, self.started
        if self.stopping == "kill" or (not self.stopping and self.code in (-signal.SIGTERM, -signal.SIGINT)):
            return runner.failed("the job was killed", EXIT_KILLED, started)
        if self.stopping == "timeout":
            return runner.failed(f"timed out after {self.timeout:g} s", EXIT_TIMEOUT, started)
        if self.code != 0:
            return runner.failed(script_failure(self.kind, self.code), EXIT_FAILED, started)
        try:
            return runner.succeeded(started)
        except JobFailed as exc:
            return runner.failed(str(exc), exc.exit_code, started)
        except Exception as exc:
            return runner.failed(f"{type(exc).__name__}: {exc}", EXIT_FAILED, started, traceback.format_exc())


def request_kill(folder: Path, server: str) -> None:
    """Ask the server (``PID:START``) that runs the job in ``folder`` to kill it: it signals the job's group
    (SIGTERM, SIGKILL after :data:`GRACE_S`) and records the job killed, however its script ends."""
    (folder / KILL_REQUEST).touch()
    pid, _, started = server.partition(":")
    if pid.isdigit() and alive(int(pid), started):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(int(pid), KILL_SIGNAL)


class Launcher:
    """Starts script jobs (the interpreter looked up on the job's ``PATH`` once)."""

    def __init__(self) -> None:
        self._paths: dict[tuple[str, str], str] = {}

    def start(self, job_id: str, folder: Path, spec: dict[str, Any]) -> ScriptJob:
        """Prepare and start the job; raises OSError or :class:`JobFailed` before anything was started
        (its staged outputs removed), so the caller can leave it to a forked runner instead."""
        log = os.open(folder / "log.txt", os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
        job = ScriptJob(job_id, folder, Runner(folder), log, str(spec["job"]), None)
        job.runner.write = job.write
        try:
            values = job.runner._stage_outputs(spec)
            argv, env = job.runner.script_command(spec, values)
            executable = self._which(argv[0], env.get("PATH", os.defpath))
            actions = [
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, log, 1),
                (os.POSIX_SPAWN_DUP2, log, 2),
            ]
            os.chdir(folder)  # the server has one thread that starts jobs: the script starts in its folder
            job.pid = os.posix_spawn(executable, argv, env, file_actions=actions, setsid=True, setsigdef=_RESTORED)
        except BaseException:
            for tmp, _final, _out in job.runner.staged:
                shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink(missing_ok=True)
            os.close(log)
            raise
        job.timeout = float(spec.get("timeout_s") or 0) or None
        if job.timeout:
            job.deadline = time.monotonic() + job.timeout
        job.runner.say(Runner.header(spec, job.pid))
        return job

    def _which(self, name: str, path: str) -> str:
        if os.sep in name:
            return name
        key = (name, path)
        if key not in self._paths:
            found = shutil.which(name, path=path)
            if found is None:
                raise FileNotFoundError(f"{name} is not on the job's PATH")
            self._paths[key] = found
        return self._paths[key]


class Recorder:
    """Records ended script jobs on a few threads, then reports each one's end.

    Each job's records are written by :func:`~nora.core.atomic.atomic_write_json` (fsync of the file and
    of its folder), the jobs that ended meanwhile on threads of their own: concurrent fsyncs share the
    filesystem's journal commits, so a group costs about what one record does (one after the other, each
    fsync waited for its own commit; a ``syncfs`` waits for every dirty file of the filesystem, often
    hundreds of milliseconds on a shared machine).
    """

    def __init__(self, report: Callable[[str, int], None], threads: int = 16) -> None:
        self.report = report
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="nora-records")

    def put(self, job: ScriptJob) -> None:
        self._pool.submit(self._record, job)

    def close(self) -> None:
        """Record what is queued, then stop."""
        self._pool.shutdown(wait=True)

    def _record(self, job: ScriptJob) -> None:
        code = EXIT_FAILED
        try:
            records = job.records()
            for name, data in records:
                atomic_write_json(job.folder / name, data)
            code = int(records[-1][1]["exit_code"])
        except Exception:  # its records are missing: the daemon says it ended without a result
            traceback.print_exc()
        finally:
            os.close(job.log)
        self.report(job.job_id, code)
