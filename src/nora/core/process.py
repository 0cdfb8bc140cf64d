"""Process liveness, in one place: a process is named by its PID *and* its start time.

A PID alone is not enough: after a restart (or a long time) the kernel hands the same number to another
process, and a job recorded under it would look alive forever. The start time (field 22 of
``/proc/PID/stat``, clock ticks since boot) tells the two apart. The local executor names its runner
processes this way, and so does the engine for the jobs its worker pool runs in its own process.
"""

from __future__ import annotations

import dataclasses
import os
import socket
from pathlib import Path


def start_time(pid: int) -> str | None:
    """The process's start time in clock ticks, or None if it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):
        return None
    return fields[19]


@dataclasses.dataclass(frozen=True)
class ProcessId:
    """A process on a host: ``host``, ``pid`` and its start time (``started``)."""

    host: str
    pid: int
    started: str

    @classmethod
    def current(cls) -> ProcessId:
        pid = os.getpid()
        return cls(socket.gethostname(), pid, start_time(pid) or "0")

    @classmethod
    def parse(cls, text: str) -> ProcessId | None:
        """From :meth:`format`'s ``"host pid started"``; None for anything else."""
        parts = text.split()
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        return cls(parts[0], int(parts[1]), parts[2])

    def format(self) -> str:
        return f"{self.host} {self.pid} {self.started}"

    def on_this_host(self) -> bool:
        return self.host == socket.gethostname()


def alive(pid: int, started: str) -> bool:
    """Whether process ``pid`` that started at ``started`` (see :func:`start_time`) still runs here."""
    return pid > 0 and start_time(pid) == started


def process_alive(process: ProcessId) -> bool:
    """Whether ``process`` runs; a process of another host counts as alive (that host recovers its jobs)."""
    if not process.on_this_host():
        return True
    return alive(process.pid, process.started)
