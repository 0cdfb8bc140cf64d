"""The record of one import run: its job, who runs it, its counters, its report and its folders.

Everything that changes while an import runs lives here (and nowhere in the policy or the services):
the progress counters, the report being filled, the job's log. The converter threads and the placing
thread share one record; :meth:`ImportRun.series_step` is safe to call from any of them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from nora.archive.services.access import Actor
from nora.importing.report import ImportReport

Progress = Callable[[float, str], None]


class JobTracker(Protocol):
    """What a run needs of its job (:class:`nora.importing.jobs.Tracker`): a folder, a log, progress."""

    @property
    def folder(self) -> Path: ...

    def log(self, message: str) -> None: ...

    def update(self, *, progress: float | None = None, message: str | None = None) -> None: ...


#: the share of the progress bar the header scan takes; converting and placing take the rest
SCAN_SHARE = 0.2


@dataclass
class ImportRun:
    """One import job while it runs."""

    job_id: int
    actor: Actor
    source: Path
    tracker: JobTracker
    report: ImportReport
    work: Path  # the staging folder (below the job folder; removed when the run ends)
    progress: Progress | None = None
    series_total: int = 1
    series_done: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def folder(self) -> Path:
        """The job's folder: log, report and the placement journal."""
        return self.tracker.folder

    def log(self, message: str) -> None:
        self.tracker.log(message)

    def step(self, fraction: float, message: str) -> None:
        """Show progress on the job (at most twice a second) and to the caller's progress callback."""
        self.tracker.update(progress=fraction, message=message)
        if self.progress is not None:
            self.progress(fraction, message)

    def series_step(self, message: str) -> None:
        """One more series staged or skipped."""
        with self._lock:
            self.series_done += 1
            done = self.series_done
        self.step(SCAN_SHARE + (0.98 - SCAN_SHARE) * done / max(1, self.series_total), message)

    def relative(self, path: Path) -> str:
        """``path`` as the report shows it: relative to the source folder."""
        try:
            return str(path.relative_to(self.source)) if self.source.is_dir() else path.name
        except ValueError:
            return str(path)
