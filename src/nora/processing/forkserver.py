"""The local executor's fork server: one pre-imported Python process that starts every local job.

:class:`~nora.processing.executors.local.LocalExecutor` starts it as ``python -m nora.processing.forkserver
WORKERS`` in a session of its own. It starts the next queued job the moment one ends, without waiting for
a round of the daemon. Script jobs (``bash``, ``python``) it runs itself (:mod:`nora.processing.direct`:
the script's interpreter is started with ``posix_spawn`` and the server records its end); built-in jobs
are a ``fork()`` of this process, which has already imported the runner (about a millisecond instead of
a Python start-up of 25 ms and more).

Every job is still its own process: it leads its own session and process group (which ``kill`` and the
timeout signal), appends stdout and stderr to ``log.txt`` in its job folder, and its PID and start time
are in ``process.json``; a forked child runs :class:`~nora.processing.runner.Runner` there.

Protocol, one line per message; the daemon writes on the server's stdin, the server answers on stdout::

    run JOB_ID JOBDIR      ->  started JOB_ID PID START   (or: skipped JOB_ID)   ... later: exit JOB_ID CODE

**Claims.** Before starting a job, the server creates ``process.json`` in the job folder with ``O_EXCL``
(holding the server's ``PID:START``); right after the start it replaces it (rename) with the job's PID
and start time before reporting the start (a forked child writes the same record first thing, in case
the server dies right after the fork). Whoever creates the file first owns the job: a second server (the
next daemon's, after a restart) and a kill before the start (which creates it saying ``cancelled``)
cannot both win, so a job never runs twice. A server whose stdin closes (its daemon went away) takes no
more jobs: queued ones were never claimed and the next daemon hands them to its own server; the running
ones go on in their own sessions, and the server stays until it has recorded the script jobs among them.

This module, like the runner, imports only the standard library, so the children start small.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import selectors
import signal
import sys
import threading
import time
import traceback
from collections import deque
from pathlib import Path
from typing import Any, NoReturn

from nora.core.atomic import TMP_PREFIX, replace_json
from nora.core.process import start_time
from nora.processing.direct import KILL_SIGNAL, Launcher, Recorder, ScriptJob, script_spec
from nora.processing.runner import JobFailed, Runner

PROCESS = "process.json"


def read_process(job_dir: Path) -> dict[str, Any] | None:
    """The job's ``process.json`` (None when nobody claimed it yet)."""
    try:
        data = json.loads((job_dir / PROCESS).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}  # unreadable: claimed, by whom is not known
    return data if isinstance(data, dict) else {}


def claim(job_dir: Path, record: dict[str, Any]) -> bool:
    """Create ``process.json`` holding ``record`` unless it exists; True when this caller created it.

    The record is written under a temporary name and linked into place (``link`` fails on an existing
    name), so the file never exists without its contents.
    """
    tmp = job_dir / f"{TMP_PREFIX}{os.getpid()}-{time.monotonic_ns()}-{PROCESS}"
    tmp.write_text(json.dumps(record))
    try:
        os.link(tmp, job_dir / PROCESS)
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)
    return True


class Server:
    """At most ``workers`` jobs at a time; the rest wait in order in memory (unclaimed)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.me = f"{os.getpid()}:{start_time(os.getpid())}"
        self.backlog: deque[tuple[str, Path]] = deque()
        self.running: dict[int, str] = {}  # pid -> job id
        self.scripts: dict[int, ScriptJob] = {}  # pid -> the script jobs among them (this server records them)
        self.launcher = Launcher()
        self.root = os.getcwd()  # job folders are named relative to it (script jobs change the cwd)
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        os.set_blocking(0, False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(0, selectors.EVENT_READ, "commands")
        self.selector.register(self.wake_r, selectors.EVENT_READ, "children")
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda _s, _f: None)
        signal.signal(KILL_SIGNAL, lambda _s, _f: None)  # a kill was requested (see direct.request_kill)
        self.pending = b""
        self.listening = True
        self._sending = threading.Lock()
        self.recorder = Recorder(lambda job_id, code: self.send(f"exit {job_id} {code}"))

    def send(self, line: str) -> None:
        data = (line + "\n").encode()
        with self._sending:
            try:
                while data:  # stdout is blocking; a full pipe waits for the daemon to read
                    data = data[os.write(1, data) :]
            except BrokenPipeError:
                pass  # the daemon went away: its successor reads the job folders

    def serve(self) -> int:
        """Run jobs until the daemon goes away (stdin closes); then finish and record the running ones."""
        while self.listening or self.running:
            while self.listening and self.backlog and len(self.running) < self.workers:
                self.start(*self.backlog.popleft())
            for key, _events in self.selector.select(self._timeout()):
                if key.data == "children":
                    self.reap()
                elif not self.read_commands():  # the daemon went away: queued jobs stay unclaimed
                    self.listening = False
                    self.backlog.clear()
                    self.selector.unregister(0)
            self._signal_due()
        self.recorder.close()
        return 0

    def _timeout(self) -> float | None:
        deadlines = [job.deadline for job in self.scripts.values() if job.deadline is not None]
        return max(0.0, min(deadlines) - time.monotonic()) if deadlines else None

    def _signal_due(self) -> None:
        now = time.monotonic()
        for job in self.scripts.values():
            if job.deadline is not None and job.deadline <= now:
                job.signal_due(now)

    def read_commands(self) -> bool:
        try:
            chunk = os.read(0, 65536)
        except BlockingIOError:
            return True
        if not chunk:
            return False
        lines = (self.pending + chunk).split(b"\n")
        self.pending = lines.pop()
        for raw in lines:
            verb, _, rest = raw.decode().partition(" ")
            if verb == "run":
                job_id, _, folder = rest.partition(" ")
                self.backlog.append((job_id, Path(self.root, folder)))
        return True

    def reap(self) -> None:
        while True:
            with contextlib.suppress(BlockingIOError):
                if KILL_SIGNAL in os.read(self.wake_r, 4096):  # the numbers of the signals that came
                    for job in self.scripts.values():
                        job.check_kill(time.monotonic())
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            job_id = self.running.pop(pid, None)
            if job_id is None:
                continue
            script = self.scripts.pop(pid, None)
            if script is None:
                self.send(f"exit {job_id} {os.waitstatus_to_exitcode(status)}")
            else:  # recorded first, reported when its records are in place
                script.code = os.waitstatus_to_exitcode(status)
                self.recorder.put(script)

    def start(self, job_id: str, folder: Path) -> None:
        try:
            mine = claim(folder, {"executor": "local", "server": self.me})
        except OSError:
            mine = False  # the folder went away
        if not mine:
            self.send(f"skipped {job_id}")
            return
        spec = script_spec(folder)
        script = None
        if spec is not None:
            try:
                script = self.launcher.start(job_id, folder, spec)
            except (OSError, JobFailed):
                script = None  # a forked runner tries again and records why it cannot
        if script is not None:
            pid = script.pid
            self.scripts[pid] = script
        else:
            try:
                pid = os.fork()
            except OSError:  # no process to be had now: give the claim back, the daemon hands it over again
                (folder / PROCESS).unlink(missing_ok=True)
                self.send(f"skipped {job_id}")
                return
            if pid == 0:
                self.child(folder)
        self.running[pid] = job_id
        started = start_time(pid) or "0"
        # recorded before the start is reported, so a daemon that learns of the start finds the PID (a forked
        # child writes the same record first thing, in case this server dies right after the fork); the
        # server's id tells a restarted daemon that a script job whose process ended may be being recorded
        record = {"executor": "local", "pid": pid, "start": started}
        replace_json(folder / PROCESS, {**record, "server": self.me} if script is not None else record)
        self.send(f"started {job_id} {pid} {started}")

    def child(self, folder: Path) -> NoReturn:
        code = 1
        try:
            os.setsid()
            signal.set_wakeup_fd(-1)
            for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, KILL_SIGNAL):
                signal.signal(sig, signal.SIG_DFL)
            null = os.open(os.devnull, os.O_RDONLY)
            log = os.open(folder / "log.txt", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.dup2(null, 0)
            os.dup2(log, 1)
            os.dup2(log, 2)
            for fd in [int(name) for name in os.listdir("/proc/self/fd")]:  # not closerange: 65k calls, 1 ms
                if fd > 2:  # the server's pipes and selector are not the job's
                    with contextlib.suppress(OSError):
                        os.close(fd)
            os.chdir(folder)
            pid = os.getpid()
            replace_json(folder / PROCESS, {"executor": "local", "pid": pid, "start": start_time(pid)})
            code = Runner(folder).run()
        except BaseException:
            traceback.print_exc()
        finally:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):  # nothing left to report it to
                    stream.flush()
            os._exit(code)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not args[0].isdigit() or int(args[0]) < 1:
        print("usage: python -m nora.processing.forkserver WORKERS", file=sys.stderr)
        return 2
    server = Server(int(args[0]))
    gc.freeze()  # what is imported now stays untouched by the collector: the children copy fewer pages
    try:
        return server.serve()
    except BrokenPipeError:
        return 0  # the daemon went away while we answered


if __name__ == "__main__":
    sys.exit(main())
