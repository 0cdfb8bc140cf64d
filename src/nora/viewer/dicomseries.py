"""DICOM series in the archive shown as one volume: converted once with dcm2niix, cached, streamed.

A series is every DICOM file of the same study with the same SeriesInstanceUID (files without a UID are
a series of their own). The NIfTI lands in ``NORA_HOME/cache/viewer-dicom/<key>.nii.gz`` where the key
hashes the series' files and their checksums, so a changed series is converted anew and an unchanged one
never twice. Conversion runs in a private temporary folder and the result is renamed into place.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import threading
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.archive.models import File
from nora.archive.services import files
from nora.archive.services.access import Access
from nora.archive.storage import Layout
from nora.core.errors import CorruptFile, InvalidInput, NotFound
from nora.dicom.convert import convert_folder, link_inputs

log = logging.getLogger(__name__)
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def cache_dir(layout: Layout) -> Path:
    return layout.home / "cache" / "viewer-dicom"


def series_rows(session: Session, access: Access, row: File) -> list[File]:
    """The files of ``row``'s series (``row`` must be a DICOM file), ordered by path."""
    if row.format != "dicom":
        raise InvalidInput(f"file {row.path} is {row.format or 'of unknown format'}, not DICOM")
    uid = str(row.header.get("series_instance_uid") or "")
    if not uid:
        return [row]
    query = select(File).where(
        File.project_id == access.project.id,
        File.patient_id == row.patient_id,
        File.study_id.is_(None) if row.study_id is None else File.study_id == row.study_id,
        File.format == "dicom",
    )
    return sorted(
        (f for f in session.scalars(query) if f.header.get("series_instance_uid") == uid), key=lambda f: f.path
    )


def series_key(rows: list[File]) -> str:
    digest = hashlib.sha256()
    for r in rows:
        digest.update(f"{r.id}:{r.size}:{r.sha256}:{r.modified_at.isoformat()}\n".encode())
    return digest.hexdigest()[:32]


def _lock(key: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def series_volume(session: Session, access: Access, layout: Layout, row: File) -> tuple[Path, str, int]:
    """(path of the cached NIfTI, its ETag, number of instances) for the series that ``row`` belongs to."""
    rows = series_rows(session, access, row)
    paths = [files.file_location(session, layout, access, r) for r in rows]
    gone = [r.path for r, p in zip(rows, paths, strict=True) if not p.is_file()]
    if gone:
        raise NotFound(f"DICOM file(s) indexed but missing on disk: {', '.join(gone[:5])}")
    key = series_key(rows)
    target = cache_dir(layout) / f"{key}.nii.gz"
    with _lock(key):
        if not target.is_file():
            _convert(paths, target)
    return target, f'"dcm-{key}"', len(rows)


def _convert(paths: list[Path], target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".nora-tmp-dcm-", dir=target.parent))
    try:
        link_inputs(paths, work / "in")
        result = convert_folder(work / "in", work / "out", anonymise=True)
        volumes = result.volumes
        if not volumes:
            raise CorruptFile(f"the DICOM series could not be converted to a volume: {result.reason()}")
        if len(volumes) > 1:
            log.info("series converted to %d volumes; showing %s", len(volumes), volumes[0].path.name)
        volumes[0].path.replace(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
