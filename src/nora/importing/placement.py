"""Placing staged series into a study: free names, a journal, renames and rows in one transaction.

Before anything is renamed into the archive, the destination paths are written to a journal file of the
job. After the commit the journal is removed. If the process dies in between, :func:`roll_back_journal`
(run when an interrupted job is found) deletes every journalled file that has no row, so a crash never
leaves a file without its index row, nor a row without its file.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from nora.archive.models import Base, File, Patient, Study, utcnow
from nora.archive.services.access import Access
from nora.archive.storage import Layout, atomic_write_json, file_digest
from nora.core.errors import CorruptFile, UnsafePath, UnsupportedFormat
from nora.imaging.formats import inspect_file

JOURNAL = "journal.json"
log = logging.getLogger(__name__)


def free_base(taken: set[str], folder_base: str, suffixes: Iterable[str]) -> str:
    """``folder_base`` or ``folder_base_2``, ``_3`` ... so that no ``base + suffix`` is taken (case-insensitive)."""
    wanted = list(suffixes)
    candidate, n = folder_base, 1
    while any((candidate + s).lower() in taken for s in wanted):
        n += 1
        candidate = f"{folder_base}_{n}"
    return candidate


def taken_paths(session: Session, study: Study, folder: Path) -> set[str]:
    """Every path already used in the study, in the database or on disk (lower case)."""
    rows = {p.lower() for p in session.scalars(select(File.path).where(File.study_id == study.id))}
    if folder.is_dir():
        for root, _dirs, files in os.walk(folder):
            rel = Path(root).relative_to(folder)
            rows.update(str(rel / f).lower().removeprefix("./") for f in files)
    return rows


def write_journal(job_dir: Path, paths: list[Path], extra: dict[str, Any] | None = None) -> None:
    """Name every destination (and ``extra``: replaced files set aside, see ``fragments``) before the first rename."""
    atomic_write_json(job_dir / JOURNAL, {"placing": [str(p) for p in paths], **(extra or {})})


def read_journal(job_dir: Path) -> dict[str, Any]:
    """The journal a dead placement left (empty when there is none or it cannot be read)."""
    try:
        data = json.loads((job_dir / JOURNAL).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def clear_journal(job_dir: Path) -> None:
    (job_dir / JOURNAL).unlink(missing_ok=True)


def roll_back_journal(session: Session, layout: Layout, job_dir: Path) -> list[str]:
    """Delete journalled files that never got their row; returns what was removed."""
    journal = job_dir / JOURNAL
    try:
        placing = json.loads(journal.read_text()).get("placing", [])
    except (OSError, ValueError):
        return []
    removed = []
    for raw in placing:
        path = Path(raw)
        try:
            _project, pid, sid, rel = layout.locate(path)
        except UnsafePath:  # a path outside the archive was never ours to place
            log.warning("journal of %s names %s, which is outside the archive", job_dir, path)
            continue
        row = session.scalar(
            select(File.id)
            .join(Patient, Patient.id == File.patient_id)
            .outerjoin(Study, Study.id == File.study_id)
            .where(Patient.pid == pid, File.path == rel, (Study.sid == sid) if sid else File.study_id.is_(None))
        )
        if row is None and path.is_file():
            path.unlink()
            removed.append(str(path))
    journal.unlink(missing_ok=True)
    return removed


@dataclass(frozen=True)
class FileFacts:
    """What the ``files`` table records about a staged file, worked out before placement."""

    format: str
    header: dict[str, Any]
    size: int
    sha256: str


def describe(path: Path, name: str, *, verify_length: bool = True) -> FileFacts:
    """Format, header summary, size and SHA-256 of a staged file; ``name`` gives the extension hint.

    Run while staging (in the converter threads), so placement only renames and writes rows. The staged
    file is renamed into place unchanged, so the facts stay true for the placed file. ``verify_length``
    False: the converter has just written the file, so it is not decompressed again to check its length
    (that check costs as much CPU as a quarter of the conversion).
    """
    try:
        summary = inspect_file(path, name=name, verify_length=verify_length)
        fmt, header = summary.format, dict(summary.header)
    except (UnsupportedFormat, CorruptFile):
        fmt, header = "", {}
    size, sha = file_digest(path)
    return FileFacts(fmt, header, size, sha)


def describe_dicom(path: Path, header: dict[str, Any]) -> FileFacts:
    """Facts of a kept DICOM file whose ``header`` the scan already read (not hashed: UIDs identify it)."""
    return FileFacts("dicom", header, path.stat().st_size, "")


def file_row(
    access: Access, patient: Patient, study: Study, rel: str, facts: FileFacts, now: dt.datetime | None = None
) -> dict[str, Any]:
    """The values of the ``files`` row of a file placed at ``rel`` in ``study`` (modified ``now``)."""
    return {
        "project_id": access.project.id,
        "patient_id": patient.id,
        "study_id": study.id,
        "path": rel,
        "path_lc": rel.lower(),
        "format": facts.format,
        "header": facts.header,
        "size": facts.size,
        "sha256": facts.sha256,
        "modified_at": now or utcnow(),
    }


def insert_rows(session: Session, model: type[Base], rows: list[dict[str, Any]], batch: int = 500) -> None:
    """Insert ``rows`` of ``model`` as a few multi-row statements instead of one ORM object per row."""
    for k in range(0, len(rows), batch):
        session.execute(insert(model), rows[k : k + batch])
