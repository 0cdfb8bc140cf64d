"""The local executor: jobs run as processes on this machine, forked by a fork server.

The executor starts one :mod:`nora.processing.forkserver` (a Python process that has imported the runner
once, in a session of its own) and hands it the prepared job folders; the server forks a child per job,
at most ``local_workers`` at a time, and starts the next one the moment one ends. Up to ``backlog`` more
jobs wait in the server (state ``q``, phase ``submitted``), so the daemon claims, records and finishes
jobs in groups instead of one round per job.

What survives a restart of the daemon lives in the job folder:

* ``executor.json`` (written before the job is handed over): the external id ``fs:<job id>``, which
  :meth:`LocalExecutor.adopt` returns after a crash between handing over and recording;
* ``process.json``: the claim (created with ``O_EXCL``, see :mod:`nora.processing.forkserver`), then the
  job's PID and start time, which tell a running job from an ended one (or a reused PID);
* ``result.json`` / ``error.json`` from the runner.

A job that was handed to a server that is gone before it claimed it has no ``process.json``: the next
poll hands it to this executor's server, and the claim makes sure it runs once. External ids of the
older form ``PID:START`` (one runner process per job) are still polled and cancelled.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
import weakref
from collections.abc import Sequence
from pathlib import Path

from nora.core.process import alive, start_time
from nora.core.settings import Settings
from nora.processing.direct import request_kill
from nora.processing.executors.base import Executor, Poll, Submission
from nora.processing.forkserver import claim, read_process

PREFIX = "fs:"
_ENDED = Poll("ended", "the job's process ended")


def _close(server: subprocess.Popen[bytes]) -> None:
    for pipe in (server.stdin, server.stdout):
        with contextlib.suppress(OSError):
            if pipe is not None:
                pipe.close()  # the server sees end-of-file on its stdin and exits; jobs go on
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        server.wait(timeout=5)


class LocalExecutor(Executor):
    name = "local"
    durable_folders = False  # its jobs die with the machine: their folders need no fsync

    def __init__(self, config: Settings) -> None:
        self.workers = config.processing.local_workers
        #: jobs handed to the server beyond the running ones, so it never waits for the daemon
        self.backlog = max(32, 4 * self.workers)
        self.jobs_root = config.home / "jobs"
        self._server: subprocess.Popen[bytes] | None = None
        self._server_id = ""  # PID:START of the server, recorded in executor.json
        self._finalizer: weakref.finalize[[subprocess.Popen[bytes]], LocalExecutor] | None = None
        self._buffer = b""
        self._handed: set[int] = set()  # handed to our server, not answered yet
        self._started: dict[int, tuple[int, str]] = {}  # job id -> (pid, start time)
        self._ended: set[int] = set()
        self._news = False  # a job ended since the last poll

    def capacity(self, active: int) -> int:
        room = max(0, self.workers + self.backlog - active)
        if room:
            self._ensure_server()  # it starts up while the engine writes the job folders
        return room

    # ---------------------------------------------------------------------------------------- server

    def _running_server(self) -> subprocess.Popen[bytes] | None:
        server = self._server
        return server if server is not None and server.poll() is None else None

    def _ensure_server(self) -> subprocess.Popen[bytes]:
        server = self._running_server()
        if server is not None:
            return server
        if self._server is not None:
            self.close()
        self.jobs_root.mkdir(parents=True, exist_ok=True)
        server = subprocess.Popen(
            [sys.executable, "-m", "nora.processing.forkserver", str(self.workers)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=self.jobs_root,
            start_new_session=True,  # the daemon's signals (Ctrl-C) are not the jobs'
        )
        assert server.stdout is not None
        os.set_blocking(server.stdout.fileno(), False)
        self._server, self._buffer = server, b""
        self._server_id = f"{server.pid}:{start_time(server.pid)}"
        self._finalizer = weakref.finalize(self, _close, server)
        return server

    def close(self) -> None:
        """Stop the fork server (running jobs go on; unclaimed ones are taken over by the next poll)."""
        if self._finalizer is not None:
            self._finalizer()
        self._server = self._finalizer = None
        self._handed.clear()
        self._started.clear()  # what that server started is found through the job folders from now on

    def _hand_over(self, jobs: Sequence[tuple[int, Path]]) -> None:
        """Record ``executor.json`` (external id, which server holds the job) in each folder, then hand over."""
        lines = b"".join(f"run {job_id} {folder}\n".encode() for job_id, folder in jobs)
        for attempt in (1, 2):
            server = self._ensure_server()
            assert server.stdin is not None
            for job_id, folder in jobs:
                record = {"executor": self.name, "id": f"{PREFIX}{job_id}", "server": self._server_id}
                # a plain write: a torn record only makes adopt() requeue the job; the claim stops a second run
                (folder / "executor.json").write_text(json.dumps(record))
            try:
                server.stdin.write(lines)
                server.stdin.flush()
                break
            except BrokenPipeError:  # the server died since we looked: start another, once
                self.close()
                if attempt == 2:
                    raise
        self._handed.update(job_id for job_id, _folder in jobs)

    def _drain(self) -> None:
        """Read the server's answers (without blocking)."""
        server = self._server
        if server is None or server.stdout is None:
            return
        while True:
            try:
                chunk = os.read(server.stdout.fileno(), 65536)
            except BlockingIOError:
                return
            if not chunk:  # the server died: what it held is found again through the job folders
                self._news = True
                self.close()
                return
            lines = (self._buffer + chunk).split(b"\n")
            self._buffer = lines.pop()
            for line in lines:
                self._answer(line.decode().split())

    def _answer(self, words: list[str]) -> None:
        if len(words) < 2 or not words[1].isdigit():
            return
        verb, job_id = words[0], int(words[1])
        self._handed.discard(job_id)
        if verb == "started" and len(words) == 4:
            self._started[job_id] = (int(words[2]), words[3])
        elif verb == "exit":
            self._started.pop(job_id, None)
            self._ended.add(job_id)
            self._news = True

    # -------------------------------------------------------------------------------------- interface

    def submit(self, jobs: Sequence[Submission]) -> dict[int, str]:
        self._hand_over([(job.job_id, job.job_dir) for job in jobs])
        return {job.job_id: f"{PREFIX}{job.job_id}" for job in jobs}

    def poll(self, external_ids: Sequence[str]) -> dict[str, Poll]:
        self._drain()
        self._news = False
        answers = {e: self._poll_one(e) for e in external_ids}
        asked = {int(e[len(PREFIX) :]) for e in external_ids if e.startswith(PREFIX)}
        # forget what the engine has finished (a job asked about again is found through its folder)
        self._ended &= asked
        self._started = {k: v for k, v in self._started.items() if k in asked}
        return answers

    def _poll_one(self, external: str) -> Poll:
        if not external.startswith(PREFIX):  # one runner process per job (before the fork server)
            return Poll("running") if _alive_id(external) else _ENDED
        job_id = int(external[len(PREFIX) :])
        if job_id in self._ended:
            return _ENDED
        if job_id in self._started:  # ours: it ended when the server says so (it records a script job first)
            return Poll("running") if self._running_server() is not None else self._from_folder(job_id)
        if job_id in self._handed and self._running_server() is not None:
            return Poll("pending", "waiting for a free local worker")
        return self._from_folder(job_id)

    def _from_folder(self, job_id: int) -> Poll:
        """A job this executor did not start (daemon restarted, server gone): its folder tells."""
        folder = self.jobs_root / str(job_id)
        record = read_process(folder)
        if record is None:  # never claimed: ours to start, unless another daemon's server still holds it
            if not (folder / "spec.json").is_file():
                return Poll("lost", "the job's folder has no spec.json")
            holder = _holder(folder)
            if holder and holder != self._server_id and _alive_id(holder):
                return Poll("pending", "waiting in another daemon's fork server")
            self._hand_over([(job_id, folder)])
            return Poll("pending", "waiting for a free local worker")
        if record.get("cancelled"):
            return Poll("ended", "the job was killed before it started")
        if "pid" in record:
            if alive(int(record["pid"]), str(record.get("start"))):
                return Poll("running")
            recording = "server" in record and not (folder / "result.json").exists()
            # a script job's end is recorded by its server, which outlives the job's process
            return Poll("running") if recording and _alive_id(str(record["server"])) else _ENDED
        if _alive_id(str(record.get("server", ""))):
            return Poll("pending", "starting")
        record = read_process(folder) or {}  # the child may have written its PID meanwhile
        if "pid" in record and alive(int(record["pid"]), str(record.get("start"))):
            return Poll("running")
        return Poll("ended", "the job's process never started (its fork server went away)")

    def wait(self, timeout: float) -> bool | None:
        """Wait for the server to report the end of a job (None when no job of ours is under way)."""
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            self._drain()
            if self._news:
                return True
            server = self._running_server()
            if server is None or server.stdout is None or not (self._handed or self._started):
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            select.select([server.stdout.fileno()], [], [], left)

    def cancel(self, external_ids: Sequence[str]) -> None:
        for external in external_ids:
            if external.startswith(PREFIX):
                self._cancel_job(self.jobs_root / external[len(PREFIX) :])
                continue
            if _alive_id(external):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(int(external.partition(":")[0]), signal.SIGTERM)

    def _cancel_job(self, folder: Path) -> None:
        """Kill the job's process; a job not started yet is claimed as cancelled, so it never starts."""
        with contextlib.suppress(OSError):
            if claim(folder, {"executor": self.name, "cancelled": True}):
                return
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            record = read_process(folder) or {}
            if "pid" in record:
                pid = int(record["pid"])
                if alive(pid, str(record.get("start"))):
                    if "server" in record:  # a script its server runs: it records the kill, SIGKILL after a grace
                        request_kill(folder, str(record["server"]))
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(pid, signal.SIGTERM)  # the job's own session: the job and its children
                return
            if record.get("cancelled"):
                return
            if record and not _alive_id(str(record.get("server", ""))):
                return  # its server went away before forking it: it will never start
            time.sleep(0.01)  # claimed, forking: the child writes its PID within milliseconds

    def adopt(self, job: Submission) -> str | None:
        record = read_json_id(job.job_dir / "executor.json")
        if record:
            return record
        return f"{PREFIX}{job.job_id}" if read_process(job.job_dir) is not None else None


def _alive_id(process: str) -> bool:
    """Whether ``PID:START`` names a running process."""
    pid, _, started = process.partition(":")
    return pid.isdigit() and alive(int(pid), started)


def _holder(folder: Path) -> str:
    """The fork server (``PID:START``) that ``executor.json`` says the job was handed to, or ''."""
    try:
        return str(json.loads((folder / "executor.json").read_text()).get("server", ""))
    except (OSError, ValueError, AttributeError):
        return ""


def read_json_id(path: Path) -> str | None:
    """The external id recorded in ``executor.json``, if any."""
    try:
        return str(json.loads(path.read_text())["id"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
