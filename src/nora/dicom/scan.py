"""Reading DICOM headers from a folder tree and grouping the instances into studies and series.

Only the header up to the pixel data is parsed (pydicom, ``stop_before_pixels``); the pixel-data element's
declared length is then compared with the file's size, so a truncated image is reported instead of being
handed to the converter. Files that are not DICOM are returned separately, so the importer can list them
or import them as extra files.
"""

from __future__ import annotations

import logging
import os
import re
import struct
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nora.dicom.header import Header, Unusual, read_header

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

    def add(self, path: Path, result: Instance | str | None) -> Series | None:
        """Record what :func:`read_instance` found in ``path``; the series an instance joined, else None."""
        if result is None:
            self.other_files.append(path)
            return None
        if isinstance(result, str):
            self.problems.append((path, result))
            return None
        series = self.studies.setdefault(result.study_uid, {}).setdefault(result.series_uid, Series(result.series_uid))
        series.instances.append(result)
        return series


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


#: the elements the importer reads: keyword -> (tag, VR)
_FIELDS: dict[str, tuple[int, str]] = {
    "SOPInstanceUID": (0x00080018, "UI"),
    "SOPClassUID": (0x00080016, "UI"),
    "SeriesInstanceUID": (0x0020000E, "UI"),
    "StudyInstanceUID": (0x0020000D, "UI"),
    "Modality": (0x00080060, "CS"),
    "PatientID": (0x00100020, "LO"),
    "PatientName": (0x00100010, "PN"),
    "PatientBirthDate": (0x00100030, "DA"),
    "PatientSex": (0x00100040, "CS"),
    "StudyDate": (0x00080020, "DA"),
    "StudyTime": (0x00080030, "TM"),
    "StudyID": (0x00200010, "SH"),
    "StudyDescription": (0x00081030, "LO"),
    "AccessionNumber": (0x00080050, "SH"),
    "SeriesNumber": (0x00200011, "IS"),
    "SeriesDescription": (0x0008103E, "LO"),
    "ProtocolName": (0x00181030, "LO"),
    "ImageType": (0x00080008, "CS"),
    "InstanceNumber": (0x00200013, "IS"),
    "ImagePositionPatient": (0x00200032, "DS"),
    "ImageOrientationPatient": (0x00200037, "DS"),
    "EchoNumbers": (0x00180086, "IS"),
    "Rows": (0x00280010, "US"),
    "NumberOfFrames": (0x00280008, "IS"),
}
_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def _raw_text(ds: Any, keyword: str) -> str | None:
    """The value of a text element as pydicom would decode it, read straight from its bytes, or None.

    Converting a value through pydicom is most of the cost of a header scan, and nearly every value
    is plain ASCII, which decodes alike in every character set: those are decoded here (trailing
    spaces and NULs dropped, as pydicom does). None (the caller asks pydicom) for anything else: a value
    pydicom already converted, another VR than the standard one, non-ASCII bytes, escape sequences.
    """
    tag, vr = _FIELDS[keyword]
    raw = ds.get_item(tag)
    if not getattr(raw, "is_raw", False) or raw.VR not in (None, vr) or vr == "US":
        return None  # absent, already converted, or not the standard VR
    value = raw.value
    if not isinstance(value, bytes) or not value.isascii() or b"\x1b" in value:
        return None
    return value.decode("ascii").rstrip(" \x00")


def _str(ds: Any, keyword: str) -> str:
    text = _raw_text(ds, keyword)
    if text is not None and "\\" not in text and not (_FIELDS[keyword][1] == "PN" and "=" in text):
        return text.strip()
    value = ds.get(keyword)
    return "" if value is None else str(value).strip()


def _int(ds: Any, keyword: str) -> int | None:
    text = _raw_text(ds, keyword)
    if text is not None and (text.strip() == "" or _INT.fullmatch(text.strip())):
        return int(text) if text.strip() else None
    value = ds.get(keyword)
    try:
        return None if value in (None, "") else int(value)
    except (TypeError, ValueError):
        return None


def _floats(ds: Any, keyword: str, n: int) -> tuple[float, ...] | None:
    text = _raw_text(ds, keyword)
    if text is not None:
        parts = [p.strip() for p in text.split("\\")] if text else []
        if all(_FLOAT.fullmatch(p) for p in parts):
            values = tuple(float(p) for p in parts)
            return values if len(values) == n else None
    value = ds.get(keyword)
    try:
        values = tuple(float(v) for v in value) if value is not None else ()
    except (TypeError, ValueError):
        return None
    return values if len(values) == n else None


def _strings(ds: Any, keyword: str) -> tuple[str, ...]:
    """A multi-valued text element (ImageType) as a tuple, upper case."""
    text = _raw_text(ds, keyword)
    if text is not None:
        return tuple(v.upper() for v in text.split("\\")) if text else ()
    value = ds.get(keyword) or ()
    return tuple(str(v).upper() for v in ([value] if isinstance(value, str) else value))


def _rows(ds: Any) -> int | None:
    raw = ds.get_item(_FIELDS["Rows"][0])
    if (
        getattr(raw, "is_raw", False)
        and raw.VR in (None, "US")
        and isinstance(raw.value, bytes)
        and len(raw.value) == 2
    ):
        return int(struct.unpack("<H" if raw.is_little_endian else ">H", raw.value)[0])
    return _int(ds, "Rows")


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
    """The instance in ``path``; a reason string when it is a broken DICOM file; None when it is not DICOM.

    Most files are read by the quick header walk (:mod:`nora.dicom.header`); the rest, and any file the
    walk finds unusual, by pydicom. Both give the same values (the scan's tests compare them).
    """
    try:
        quick = _read_quick(path)
    except Exception:  # noqa: BLE001 - anything unexpected: pydicom reads the file and reports as before
        log.debug("quick header walk of %s failed; reading it with pydicom", path, exc_info=True)
        quick = None
    return quick if quick is not None else _read_with_pydicom(path)


class _QuickDataset:
    """The quick walk's raw elements where the value readers expect a pydicom data set.

    A value the readers cannot take from the raw bytes (non-ASCII text, an odd VR) is asked of
    pydicom, which then reads the file once.
    """

    def __init__(self, path: Path, header: Header) -> None:
        self._path, self._header = path, header
        self._full: Any = None
        self.original_encoding = (header.implicit, True)

    def get_item(self, tag: int) -> Any:
        return self._header.elements.get(tag)

    def __contains__(self, keyword: str) -> bool:
        return _FIELDS[keyword][0] in self._header.elements

    def get(self, keyword: str) -> Any:
        if keyword not in self:  # the walk saw every top-level element: an absent one is absent
            return None
        if self._full is None:
            import pydicom

            self._full = pydicom.dcmread(self._path, stop_before_pixels=True)
        return self._full.get(keyword)


_WANTED = frozenset(tag for tag, _vr in _FIELDS.values())


def _read_quick(path: Path) -> Instance | str | None:
    """:func:`read_instance` through the quick walk; None where the walk does not apply."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        try:
            header = read_header(fh, size, _WANTED)
        except Unusual:
            return None
        ds = _QuickDataset(path, header)
        if not all(_str(ds, key) for key in ("SOPInstanceUID", "SeriesInstanceUID", "StudyInstanceUID")):
            return None  # the pydicom path says that a UID is missing
        has_pixels = header.stop < size
        if has_pixels:
            problem = _pixel_problem(fh, header.stop, size, True, header.implicit)
        else:
            problem = "it is an image without pixel data (truncated)" if "Rows" in ds else None
    return problem if problem else _instance(path, ds, has_pixels)


def _read_with_pydicom(path: Path) -> Instance | str | None:
    """:func:`read_instance` by pydicom: every file the quick walk does not read."""
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
    return _instance(path, ds, has_pixels)


def _instance(path: Path, ds: Any, has_pixels: bool) -> Instance:
    """The instance of a header read (by pydicom or the quick walk) from ``path``."""
    pos = _floats(ds, "ImagePositionPatient", 3)
    return Instance(
        path=path,
        sop_uid=_str(ds, "SOPInstanceUID"),
        sop_class=_str(ds, "SOPClassUID"),
        series_uid=_str(ds, "SeriesInstanceUID"),
        study_uid=_str(ds, "StudyInstanceUID"),
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
        image_type=_strings(ds, "ImageType"),
        instance_number=_int(ds, "InstanceNumber"),
        position=(pos[0], pos[1], pos[2]) if pos else None,
        orientation=_floats(ds, "ImageOrientationPatient", 6),
        echo_number=_int(ds, "EchoNumbers"),
        rows=_rows(ds),
        frames=_int(ds, "NumberOfFrames") or 1,
        has_pixels=has_pixels,
    )


def read_headers(paths: list[Path], workers: int = 4) -> Iterator[tuple[Path, Instance | str | None]]:
    """``(path, read_instance(path))`` in the order of ``paths``, read by a few threads ahead of the caller.

    The threads mostly wait for the disk; parsing holds the GIL, so more threads would not parse faster.
    Files go to the threads a few at a time (one future per file cost a tenth of the scan).
    """
    chunks = [paths[k : k + _CHUNK] for k in range(0, len(paths), _CHUNK)]
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        for chunk, results in zip(chunks, pool.map(_read_chunk, chunks), strict=True):
            yield from zip(chunk, results, strict=True)
    finally:  # a caller that stops early does not wait for the files it will not use
        pool.shutdown(wait=True, cancel_futures=True)


_CHUNK = 16


def _read_chunk(paths: list[Path]) -> list[Instance | str | None]:
    return [read_instance(p) for p in paths]


def scan_paths(paths: Iterable[Path], progress: Callable[[int, int], None] | None = None, workers: int = 4) -> Scan:
    """Read every file's header (a few threads: the work is mostly waiting for the disk) and group them."""
    files = list(paths)
    scan = Scan()
    for done, (path, result) in enumerate(read_headers(files, workers), 1):
        scan.add(path, result)
        if progress is not None and (done % 50 == 0 or done == len(files)):
            progress(done, len(files))
    return scan
