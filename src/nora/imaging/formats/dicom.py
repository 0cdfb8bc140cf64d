"""DICOM files (``.dcm``): recognised by ``DICM`` at byte 128, or as a bare data set without preamble.

pydicom reads the data set up to the pixel data. Because pydicom silently accepts a file cut short, the
element structure is walked here (tags and lengths only, values skipped) to prove that every element,
sequence and pixel-data fragment is complete, and an image whose pixel data is missing is refused.
A bare data set (no preamble) is accepted only when pydicom finds a SOP Class UID in it.
"""

from __future__ import annotations

import struct
from typing import IO, Any

from nora.core.errors import CorruptFile, UnsupportedFormat
from nora.imaging.formats.base import FormatSpec, Probe, content_length, open_content, text

_PREAMBLE = 128
_MAGIC = b"DICM"
_UNDEFINED = 0xFFFFFFFF
_ITEM, _ITEM_END, _SEQ_END = (0xFFFE, 0xE000), (0xFFFE, 0xE00D), (0xFFFE, 0xE0DD)
_LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
_VRS = _LONG_VRS | {
    b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FD", b"FL", b"IS", b"LO", b"LT",
    b"PN", b"SH", b"SL", b"SS", b"ST", b"TM", b"UI", b"UL", b"US",
}  # fmt: skip
_IMPLICIT_LE, _EXPLICIT_LE, _EXPLICIT_BE = "1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"
_DEFLATED = "1.2.840.10008.1.2.1.99"


class _Unsure(Exception):
    """The element structure is unusual (a wrong VR, say); the walk stops without a verdict."""


class _Walker:
    """Walks DICOM elements by tag and length only, raising CorruptFile where the file stops short."""

    def __init__(self, stream: IO[bytes], total: int) -> None:
        self.stream, self.total = stream, total

    def _read(self, pos: int, size: int) -> bytes:
        self.stream.seek(pos)
        raw = self.stream.read(size)
        if len(raw) < size:
            raise CorruptFile(f"DICOM file ends at byte {self.total} inside an element header (truncated?)")
        return raw

    def _element(self, pos: int, implicit: bool, little: bool) -> tuple[tuple[int, int], bytes, int, int]:
        raw = self._read(pos, 8)
        if struct.unpack("<H", raw[:2])[0] == 0x0002:  # the file meta group is explicit little endian
            implicit, little = False, True
        order = "<" if little else ">"
        tag = struct.unpack(order + "HH", raw[:4])
        if tag[0] == 0xFFFE or implicit:
            return tag, b"", struct.unpack(order + "I", raw[4:8])[0], pos + 8
        vr = raw[4:6]
        if vr not in _VRS:
            raise _Unsure
        if vr in _LONG_VRS:
            return tag, vr, struct.unpack(order + "I", self._read(pos + 8, 4))[0], pos + 12
        return tag, vr, struct.unpack(order + "H", raw[6:8])[0], pos + 8

    def _skip(self, tag: tuple[int, int], value_pos: int, length: int) -> int:
        end = value_pos + length
        if end > self.total:
            raise CorruptFile(
                f"DICOM element ({tag[0]:04X},{tag[1]:04X}) declares {length} bytes at byte {value_pos} "
                f"but the file ends at byte {self.total} (truncated?)"
            )
        return end

    def dataset(self, pos: int, nested: bool, implicit: bool, little: bool) -> int:
        """Walk a data set to the end of the file (top level) or to its item delimiter (nested)."""
        first = True
        while nested or pos < self.total:
            try:
                tag, vr, length, value_pos = self._element(pos, implicit, little)
            except _Unsure:
                if not first or implicit:
                    raise
                implicit = True  # like pydicom: an "explicit VR" data set actually written implicit
                continue
            first = first and tag[0] == 0x0002
            if tag == _ITEM_END:
                if not nested:
                    raise _Unsure
                return value_pos
            if length == _UNDEFINED:
                un = vr == b"UN"  # undefined-length UN content is implicit VR little endian
                pos = self.items(value_pos, implicit or un, little or un)
            else:
                pos = self._skip(tag, value_pos, length)
        return pos

    def items(self, pos: int, implicit: bool, little: bool) -> int:
        """Walk the items of an undefined-length sequence or encapsulated pixel data to its delimiter."""
        while True:
            tag, _, length, value_pos = self._element(pos, implicit, little)
            if tag == _SEQ_END:
                return value_pos
            if tag != _ITEM:
                raise _Unsure
            if length == _UNDEFINED:
                pos = self.dataset(value_pos, True, implicit, little)
            else:
                pos = self._skip(tag, value_pos, length)


def _bare_dataset(head: bytes) -> bool:
    """Whether ``head`` starts like a data set without preamble (group 0002 or 0008 first)."""
    if len(head) < 8:
        return False
    group_le, group_be = struct.unpack("<H", head[:2])[0], struct.unpack(">H", head[:2])[0]
    if group_le not in (0x0002, 0x0008) and group_be != 0x0008:
        return False
    order = "<" if group_le in (0x0002, 0x0008) else ">"
    return head[4:6] in _VRS or struct.unpack(order + "I", head[4:8])[0] < 0x10000


def _has_preamble(head: bytes) -> bool:
    return head[_PREAMBLE : _PREAMBLE + 4] == _MAGIC


def _sniff(probe: Probe) -> bool:
    return _has_preamble(probe.head) or _bare_dataset(probe.head)


def _encoding(ds: Any, syntax: str | None) -> tuple[bool, bool] | None:
    """(implicit VR, little endian) of the data set, or None when it cannot be walked (deflated)."""
    if syntax == _DEFLATED:
        return None
    if syntax:
        return syntax == _IMPLICIT_LE, syntax != _EXPLICIT_BE
    implicit, little = _read_encoding(ds)
    return None if implicit is None else (bool(implicit), bool(little))


def _read_encoding(ds: Any) -> tuple[bool | None, bool | None]:
    """(implicit VR, little endian) as pydicom found them in a data set without transfer syntax."""
    encoding = getattr(ds, "original_encoding", None)  # pydicom >= 3
    if encoding is None:
        encoding = (getattr(ds, "is_implicit_VR", None), getattr(ds, "is_little_endian", None))
    return encoding[0], encoding[1]


def _needs_pixels(ds: Any, sop_class: Any) -> bool:
    """Whether the object is an image, which cannot be complete without pixel data."""
    return ("Rows" in ds and "Columns" in ds) or "Image Storage" in str(getattr(sop_class, "name", ""))


def _check_structure(probe: Probe, ds: Any, sop_class: Any, syntax: str | None, preamble: bool, stop: int) -> None:
    """Refuse a file that ends inside an element, or an image that ends before its pixel data.

    ``stop`` is where pydicom stopped reading: the pixel data element, or the end of the content.
    """
    total = content_length(probe)
    if total is None:
        return
    encoding = _encoding(ds, syntax)
    if encoding is None:  # deflated: pydicom inflated it whole, and a truncated stream failed there
        return
    if stop >= total and _needs_pixels(ds, sop_class):
        raise CorruptFile(
            f"{probe.name}: DICOM image ({getattr(sop_class, 'name', sop_class)}) has no pixel data; "
            "the file is truncated or incomplete"
        )
    with open_content(probe) as stream:
        walker = _Walker(stream, total)
        # The whole data set; if its structure is too odd to follow, at least the pixel data.
        for start in (_PREAMBLE + 4 if preamble else 0, stop):
            try:
                walker.dataset(start, False, *encoding)
                return
            except _Unsure:
                continue
            except CorruptFile as exc:
                raise CorruptFile(f"{probe.name}: {exc.message}") from exc


def _check_meta_length(probe: Probe, meta: Any) -> None:
    """The file meta group must be as long as its group length (0002,0000) says."""
    declared = _int(meta, "FileMetaInformationGroupLength") if meta is not None else None
    total = content_length(probe)
    if declared is not None and total is not None and _PREAMBLE + 4 + 12 + declared > total:
        raise CorruptFile(
            f"{probe.name}: DICOM file meta information declares {declared} bytes but the file ends at "
            f"byte {total} (truncated?)"
        )


def _value(ds: Any, keyword: str) -> str | None:
    value = ds.get(keyword)
    return None if value is None or value == "" else text(value)


def _int(ds: Any, keyword: str) -> int | None:
    """An integer attribute, or None when absent or not a number (pydicom has warned about it)."""
    value = ds.get(keyword)
    try:
        return None if value is None or value == "" else int(value)
    except (TypeError, ValueError):
        return None


def _summarise(probe: Probe) -> dict[str, Any]:
    import pydicom

    preamble = _has_preamble(probe.head)
    with open_content(probe) as stream:
        ds = pydicom.dcmread(stream, stop_before_pixels=True, force=not preamble)
        stop = stream.tell()
    meta = getattr(ds, "file_meta", None)
    sop_class = ds.get("SOPClassUID") or (meta.get("MediaStorageSOPClassUID") if meta is not None else None)
    if not preamble and not sop_class:
        raise UnsupportedFormat(
            f"{probe.name}: starts like a DICOM data set without preamble but has no SOP Class UID; "
            "DICOM files need the 'DICM' prefix at byte 128 or a SOP Class UID"
        )
    if len(ds) == 0:
        raise CorruptFile(f"{probe.name}: DICOM file has file meta information but no data set (truncated?)")
    syntax = _value(meta, "TransferSyntaxUID") if meta is not None else None
    _check_meta_length(probe, meta)
    _check_structure(probe, ds, sop_class, syntax, preamble, stop)
    if syntax is None:
        implicit, little = _read_encoding(ds)
        syntax = _IMPLICIT_LE if implicit else (_EXPLICIT_LE if little else _EXPLICIT_BE)
    rows = _int(ds, "Rows")
    frames = _int(ds, "NumberOfFrames")
    return {
        "modality": _value(ds, "Modality"),
        "sop_class_uid": text(sop_class) if sop_class else None,
        "sop_class_name": str(sop_class.name) if sop_class else None,
        "study_instance_uid": _value(ds, "StudyInstanceUID"),
        "series_instance_uid": _value(ds, "SeriesInstanceUID"),
        "sop_instance_uid": _value(ds, "SOPInstanceUID"),
        "rows": rows,
        "columns": _int(ds, "Columns"),
        "n_frames": frames if frames is not None else (1 if rows is not None else None),
        "transfer_syntax": syntax,
        "transfer_syntax_name": str(pydicom.uid.UID(syntax).name),
        "series_description": _value(ds, "SeriesDescription"),
        "patient_id": _value(ds, "PatientID"),
        "has_preamble": preamble,
    }


SPEC = FormatSpec(
    name="dicom",
    extensions=("dcm", "dicom", "ima"),
    min_size=_PREAMBLE + 4,
    sniff=_sniff,
    summarise=_summarise,
)
