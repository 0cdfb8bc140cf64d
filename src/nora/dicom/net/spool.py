"""Received DICOM instances on disk, grouped by study, before they are handed to import.

Layout under one spool root (one per DICOM node)::

    <root>/<AE>/incoming/<study uid>/<series uid>/<sop uid>.dcm   arriving studies
    <root>/<AE>/processing/<study uid>.<stamp>/...                handed to import (claimed)
    <root>/<AE>/failed/<study uid>.<stamp>/...                    import failed; kept for a retry
    <root>/<AE>/claims/<study uid>                                a retrieve job waits for this study
    <root>/.tmp/                                                  instances being written

An instance is written under a temporary name, fsynced and renamed into place (and the folder fsynced)
before :meth:`Spool.store` returns, so a success answered to the sender means the instance is on disk.
The same SOP instance sent twice lands on the same name: nothing is duplicated. Claiming renames the
whole study folder, so instances arriving later start a new folder (a second part of the study) and are
never lost between the claim and the import.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from nora.core.atomic import write_durable
from nora.core.fsync import fsync_path

log = logging.getLogger(__name__)

_UID = re.compile(r"^[0-9][0-9.]{0,63}$")
_AE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
INCOMING, PROCESSING, FAILED, CLAIMS, DONE = "incoming", "processing", "failed", "claims", "done"
#: a temporary file older than this belongs to a dead writer (live writes take milliseconds)
STALE_TMP_S = 600


def uid_name(uid: str) -> str:
    """A folder / file name for a UID from a peer: the UID itself when it is well formed, else a digest.

    Peers send anything; a malformed UID must never become a path component as it is.
    """
    uid = uid.strip().rstrip("\x00")
    if _UID.match(uid) and ".." not in uid:
        return uid
    return "x" + hashlib.sha256(uid.encode("utf-8", "replace")).hexdigest()[:40]


def ae_name(ae_title: str) -> str:
    """The folder name of an AE title (AE titles may hold spaces and punctuation)."""
    ae = ae_title.strip()
    return ae if _AE.match(ae) else "x" + hashlib.sha256(ae.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SpooledStudy:
    """A study folder under ``incoming`` with the time its last instance arrived."""

    ae: str
    study: str
    last_arrival: float


class Spool:
    """Atomic instance storage and study bookkeeping for one node (thread-safe)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / ".tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        #: (AE folder, study folder) → monotonic time of the last arrival
        self._last: dict[tuple[str, str], float] = {}

    def recover(self) -> None:
        """Pick up studies left by an earlier run (they count as arrived at their folder's mtime) and
        remove half-written instances of a crashed run, which were never acknowledged.

        Only the node that owns the spool calls this, when it starts.
        """
        now_wall, now_mono = time.time(), time.monotonic()
        for ae_dir in self.root.iterdir():
            if ae_dir.name.startswith(".") or not (ae_dir / INCOMING).is_dir():
                continue
            for study in (ae_dir / INCOMING).iterdir():
                if study.is_dir():
                    age = max(0.0, now_wall - study.stat().st_mtime)
                    self._last[(ae_dir.name, study.name)] = now_mono - age
        for leftover in self._tmp.iterdir():
            if now_wall - leftover.stat().st_mtime > STALE_TMP_S:
                leftover.unlink(missing_ok=True)

    def incoming(self, ae: str) -> Path:
        return self.root / ae_name(ae) / INCOMING

    def store(self, ae: str, study_uid: str, series_uid: str, sop_uid: str, data: bytes) -> Path:
        """Write one instance durably; returns its final path."""
        tmp = write_durable(self._tmp / f"{uuid.uuid4().hex}.part", data).path
        ae_dir, study = ae_name(ae), uid_name(study_uid)
        with self._lock:
            folder = self.root / ae_dir / INCOMING / study / uid_name(series_uid)
            folder.mkdir(parents=True, exist_ok=True)
            dest = folder / f"{uid_name(sop_uid)}.dcm"
            os.replace(tmp, dest)  # not promote(): the folder is fsynced below, outside the lock
            self._last[(ae_dir, study)] = time.monotonic()
        fsync_path(folder)
        return dest

    def quiet_studies(self, timeout: float) -> list[SpooledStudy]:
        """Studies without a new instance for ``timeout`` seconds and not claimed by a retrieve job."""
        now = time.monotonic()
        with self._lock:
            items = list(self._last.items())
        return [
            SpooledStudy(ae, study, last)
            for (ae, study), last in items
            if now - last >= timeout and not (self.root / ae / CLAIMS / study).exists()
        ]

    def claim(self, ae: str, study_uid: str, series_uids: list[str] | None = None) -> Path | None:
        """Move a received study (or only some of its series) out of ``incoming`` into ``processing``.

        Returns the claimed folder, or None when nothing of it has arrived.
        """
        ae_dir, study = ae_name(ae), uid_name(study_uid)
        source = self.root / ae_dir / INCOMING / study
        dest = self.root / ae_dir / PROCESSING / f"{study}.{time.time_ns()}"
        with self._lock:
            if not source.is_dir():
                self._last.pop((ae_dir, study), None)
                return None
            dest.parent.mkdir(parents=True, exist_ok=True)
            if series_uids is None:
                os.replace(source, dest)
                self._last.pop((ae_dir, study), None)
            else:
                moved = 0
                for series in {uid_name(s) for s in series_uids}:
                    if (source / series).is_dir():
                        dest.mkdir(exist_ok=True)
                        os.replace(source / series, dest / series)
                        moved += 1
                if not moved:
                    return None
                if not any(source.iterdir()):
                    source.rmdir()
                    self._last.pop((ae_dir, study), None)
        return dest

    def processing(self) -> list[tuple[str, Path]]:
        """Claimed folders left by an interrupted run (AE folder, path), to be handed to import again."""
        found = []
        for ae_dir in sorted(self.root.iterdir()):
            if not ae_dir.name.startswith(".") and (ae_dir / PROCESSING).is_dir():
                found += [(ae_dir.name, p) for p in sorted((ae_dir / PROCESSING).iterdir()) if p.is_dir()]
        return found

    def mark_failed(self, ae: str, folder: Path) -> Path:
        """Keep a folder whose import failed under ``failed`` (nothing is thrown away)."""
        dest = self.root / ae_name(ae) / FAILED / folder.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(folder, dest)
        return dest

    def mark_done(self, ae: str, folder: Path) -> Path:
        """Keep an imported folder under ``done`` (nodes that do not delete after import)."""
        dest = self.root / ae_name(ae) / DONE / folder.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(folder, dest)
        return dest

    def remove_claim(self, ae: str, study_uid: str) -> None:
        (self.root / ae_name(ae) / CLAIMS / uid_name(study_uid)).unlink(missing_ok=True)

    def add_claim(self, ae: str, study_uid: str) -> Path:
        """Tell the node that a retrieve job will pick this study up itself (it is not auto-imported)."""
        marker = self.root / ae_name(ae) / CLAIMS / uid_name(study_uid)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
        return marker

    def instance_count(self, ae: str, study_uid: str) -> int:
        folder = self.incoming(ae) / uid_name(study_uid)
        return sum(1 for _ in folder.glob("*/*.dcm")) if folder.is_dir() else 0
