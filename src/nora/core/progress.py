"""A running job's progress: the one channel from a job, wherever it runs, to the job monitor.

The job writes ``progress.json`` in its job folder, ``{"fraction": 0.42, "message": "iteration 420 of
1000, loss 0.81"}``, replacing it as it goes: a built-in job through :func:`job_progress` (rate-limited),
a Bash or Python script by writing ``$NORA_JOB_DIR/progress.json`` itself. The daemon reads the file of
every running job on its rounds (:mod:`nora.processing.progress`) into the job row's ``progress`` and
``message``, which the web page's live events show in the monitor. The file lies in the job folder, so
the channel is the same on the local executor and on Slurm (a shared filesystem), and needs no connection
from a compute node to the database.

Only the standard library (and :mod:`nora.core.atomic`), so the runner on a compute node pays nothing for it.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from pathlib import Path

from nora.core.atomic import replace_json

PROGRESS_FILE = "progress.json"
#: the job folder, set by the runner for the job it runs (built-ins and scripts)
JOB_DIR_ENV = "NORA_JOB_DIR"
#: the longest message kept (the monitor shows one line)
MAX_MESSAGE = 300
#: the largest progress file read (anything longer is not ours)
MAX_BYTES = 4096


class Progress:
    """Writes a job's progress file, at most once every ``every_s`` seconds unless ``force`` (the last one
    of a phase). Without a job folder (a job function called outside a job: tests, the demo) it does nothing."""

    def __init__(self, folder: Path | None, every_s: float = 1.0) -> None:
        self.folder = folder
        self.every_s = every_s
        self._last = -math.inf

    def __call__(self, fraction: float, message: str = "", *, force: bool = False) -> None:
        if self.folder is None:
            return
        now = time.monotonic()
        if not force and now - self._last < self.every_s:
            return
        self._last = now
        value = min(1.0, max(0.0, float(fraction))) if math.isfinite(fraction) else 0.0
        with contextlib.suppress(OSError):  # a courtesy: a full or vanished job folder must not fail the job
            replace_json(self.folder / PROGRESS_FILE, {"fraction": value, "message": message[:MAX_MESSAGE]})


def job_progress(every_s: float = 1.0) -> Progress:
    """The progress of the job this process runs (``$NORA_JOB_DIR``), or one that writes nothing."""
    folder = os.environ.get(JOB_DIR_ENV, "")
    return Progress(Path(folder) if folder and Path(folder).is_dir() else None, every_s)


def read_progress(folder: Path) -> tuple[float, str] | None:
    """``(fraction, message)`` of a job folder's progress file, or None when it has none or it is not one
    (a script may write anything there: a fraction is clamped to 0..1, a message cut to one line)."""
    try:
        with open(folder / PROGRESS_FILE, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
        data = json.loads(raw) if len(raw) <= MAX_BYTES else None
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    fraction, message = data.get("fraction"), data.get("message", "")
    if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not math.isfinite(fraction):
        return None
    text = message if isinstance(message, str) else ""
    line = " ".join(text.split())[:MAX_MESSAGE]
    return min(1.0, max(0.0, float(fraction))), line
