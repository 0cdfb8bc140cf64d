"""Reading DICOM headers from a folder tree and grouping the instances into studies and series.

Only the header up to the pixel data is parsed (pydicom, ``stop_before_pixels``); the pixel-data element's
declared length is then compared with the file's size, so a truncated image is reported instead of being
handed to the converter. Files that are not DICOM are returned separately, so the importer can list them
or import them as extra files.
"""

from __future__ import annotations

import logging
import os
import struct
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_PIXEL_TAGS = {(0x7FE0, 0x0010), (0x7FE0, 0x0008), (0x7FE0, 0x0009)}
_UNDEFINED = 0xFFFFFFFF
_SEQ_END = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)


@dataclass(frozen=True)
class Instance:
    """One DICOM instance as the importer needs it (header fields only)."""

    path: Path
    sop_uid: str
    sop_class: str
    series_uid: str
    study_uid: str
    modality: str
    patient_id: str
    patient_name: str
    birth_date: str
    sex: str
    study_date: str
    study_time: str
    study_id: str
    study_description: str
    accession: str
    series_number: int | None
    series_description: str
    protocol: str
    image_type: tuple[str, ...]
    instance_number: int | None
    position: tuple[float, float, float] | None
    orientation: tuple[float, ...] | None
    echo_number: int | None
    rows: int | None
    frames: int
    has_pixels: bool


@dataclass
class Series:
    """The instances of one Series Instance UID."""

    uid: str
    instances: list[Instance] = field(default_factory=list)

    @property
    def first(self) -> Instance:
        return self.instances[0]

    @property
    def description(self) -> str:
        return self.first.series_description or self.first.protocol or self.first.modality or "series"


@dataclass
class Scan:
    """Everything found under a source path."""

    studies: dict[str, dict[str, Series]] = field(default_factory=dict)
    other_files: list[Path] = field(default_factory=list)
    problems: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def n_instances(self) -> int:
        return sum(len(s.instances) for series in self.studies.values() for s in series.values())


def iter_files(root: Path) -> Iterator[Path]:
    """Regular files under ``root`` (or ``root`` itself), sorted, skipping hidden names and symlinks."""
    if root.is_file():
        yield root
        return
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(folder) / name
            if not name.startswith(".") and not path.is_symlink() and path.is_file():
                yield path


def _str(ds: Any, keyword: str) -> str:
    value = ds.get(keyword)
    return "" if value is None else str(value).strip()


def _int(ds: Any, keyword: str) -> int | None:
    value = ds.get(keyword)
    try:
        return None if value in (None, "") else int(value)
    except (TypeError, ValueError):
        return None


def _floats(ds: Any, keyword: str, n: int) -> tuple[float, ...] | None:
    value = ds.get(keyword)
    try:
        values = tuple(float(v) for v in value) if value is not None else ()
    except (TypeError, ValueError):
        return None
    return values if len(values) == n else None


def _bare_dataset(fh: Any) -> bool:
    """Whether a file without the DICM preamble starts like a data set (group 0002 or 0008, little endian)."""
    fh.seek(0)
    head = fh.read(8)
    return len(head) == 8 and struct.unpack("<H", head[:2])[0] in (0x0002, 0x0008)


def _pixel_problem(fh: Any, stop: int, size: int, little: bool, implicit: bool) -> str | None:
    """Why the pixel data starting at ``stop`` is incomplete, or None when its declared length fits."""
    fh.seek(stop)
    head = fh.read(12)
    if len(head) < 8:
        return "the file ends before its pixel data (truncated)"
    order = "<" if little else ">"
    if implicit:
        length, start = struct.unpack(order + "I", head[4:8])[0], stop + 8
    else:
        length, start = struct.unpack(order + "I", head[8:12])[0], stop + 12
    if length == _UNDEFINED:
        fh.seek(max(0, size - 8))
        return None if fh.read(8) == _SEQ_END else "its encapsulated pixel data has no end marker (truncated)"
    if start + length > size:
        return f"its pixel data declares {length} bytes but the file ends after {size - start} (truncated)"
    return None


def read_instance(path: Path) -> Instance | str | None:
    """The instance in ``path``; a reason string when it is a broken DICOM file; None when it is not DICOM."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            try:
                ds = pydicom.dcmread(fh, stop_before_pixels=True)
            except InvalidDicomError:
                if not _bare_dataset(fh):
                    return None
                fh.seek(0)
                ds = pydicom.dcmread(fh, stop_before_pixels=True, force=True)
                if "SOPClassUID" not in ds:
                    return None
            stop = fh.tell()
            sop = _str(ds, "SOPInstanceUID")
            series_uid, study_uid = _str(ds, "SeriesInstanceUID"), _str(ds, "StudyInstanceUID")
            if not (sop and series_uid and study_uid):
                return "it has no SOP, series or study instance UID"
            has_pixels = stop < size
            problem = None
            if has_pixels:
                implicit, little = ds.original_encoding
                problem = _pixel_problem(fh, stop, size, bool(little), bool(implicit))
            elif "Rows" in ds:
                problem = "it is an image without pixel data (truncated)"
            if problem:
                return problem
    except (OSError, ValueError, EOFError, struct.error, KeyError, TypeError) as exc:
        return f"it cannot be read as DICOM ({exc.__class__.__name__}: {exc})"
    pos = _floats(ds, "ImagePositionPatient", 3)
    image_type = ds.get("ImageType") or ()
    return Instance(
        path=path,
        sop_uid=sop,
        sop_class=_str(ds, "SOPClassUID"),
        series_uid=series_uid,
        study_uid=study_uid,
        modality=_str(ds, "Modality"),
        patient_id=_str(ds, "PatientID"),
        patient_name=_str(ds, "PatientName"),
        birth_date=_str(ds, "PatientBirthDate"),
        sex=_str(ds, "PatientSex"),
        study_date=_str(ds, "StudyDate"),
        study_time=_str(ds, "StudyTime"),
        study_id=_str(ds, "StudyID"),
        study_description=_str(ds, "StudyDescription"),
        accession=_str(ds, "AccessionNumber"),
        series_number=_int(ds, "SeriesNumber"),
        series_description=_str(ds, "SeriesDescription"),
        protocol=_str(ds, "ProtocolName"),
        image_type=tuple(str(v).upper() for v in ([image_type] if isinstance(image_type, str) else image_type)),
        instance_number=_int(ds, "InstanceNumber"),
        position=(pos[0], pos[1], pos[2]) if pos else None,
        orientation=_floats(ds, "ImageOrientationPatient", 6),
        echo_number=_int(ds, "EchoNumbers"),
        rows=_int(ds, "Rows"),
        frames=_int(ds, "NumberOfFrames") or 1,
        has_pixels=has_pixels,
    )


def scan_paths(paths: Iterable[Path], progress: Callable[[int, int], None] | None = None, workers: int = 4) -> Scan:
    """Read every file's header (a few threads: the work is mostly waiting for the disk) and group them."""
    files = list(paths)
    scan = Scan()
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for done, (path, result) in enumerate(zip(files, pool.map(read_instance, files), strict=True), 1):
            if result is None:
                scan.other_files.append(path)
            elif isinstance(result, str):
                scan.problems.append((path, result))
            else:
                series = scan.studies.setdefault(result.study_uid, {})
                series.setdefault(result.series_uid, Series(result.series_uid)).instances.append(result)
            if progress is not None and (done % 50 == 0 or done == len(files)):
                progress(done, len(files))
    return scan
