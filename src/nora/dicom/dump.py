"""A DICOM file's header as a flat list of elements, for people to read (the page's header viewer).

Sequences are flattened with a depth per element; binary values (OB, OW, UN, ...) are shown by their
length, long values are cut. Pixel data is never read. pydicom's errors become :class:`CorruptFile` here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from nora.core.errors import CorruptFile

MAX_VALUE = 300
MAX_ELEMENTS = 5000
_BINARY = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN", "OB or OW", "US or OW", "US or SS or OW"})


@dataclass(frozen=True)
class Element:
    tag: str  # "0010,0010"
    keyword: str  # "PatientName" ("" for private tags)
    name: str  # "Patient's Name"
    vr: str
    value: str
    depth: int


def _value(elem: pydicom.DataElement) -> str:
    if elem.VR in _BINARY:
        value = elem.value
        return f"<{len(value)} bytes>" if isinstance(value, bytes | bytearray) else "<binary>"
    text = str(elem.value) if elem.VM <= 1 else "\\".join(str(v) for v in elem.value)
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE] + "…"


def _walk(ds: Dataset, depth: int, out: list[Element]) -> None:
    for elem in ds:
        if len(out) >= MAX_ELEMENTS:
            return
        tag = f"{elem.tag.group:04X},{elem.tag.element:04X}"
        if elem.VR == "SQ":
            out.append(Element(tag, elem.keyword, elem.name, "SQ", f"{len(elem.value)} item(s)", depth))
            for i, item in enumerate(elem.value):
                out.append(Element("FFFE,E000", "Item", f"Item {i + 1}", "", "", depth + 1))
                _walk(item, depth + 2, out)
        else:
            out.append(Element(tag, elem.keyword, elem.name, elem.VR, _value(elem), depth))


def dump(path: Path) -> list[Element]:
    """The file meta information and data set of ``path``, in file order, without the pixel data."""
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, force=False)
        out: list[Element] = []
        if getattr(ds, "file_meta", None) is not None:
            _walk(ds.file_meta, 0, out)
        _walk(ds, 0, out)
    except (InvalidDicomError, OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CorruptFile(f"{path.name}: the DICOM header cannot be read: {exc}") from exc
    return out
