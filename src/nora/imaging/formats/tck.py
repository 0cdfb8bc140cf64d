"""MRtrix track files (``.tck``): a text header opening with ``mrtrix tracks`` and closed by ``END``.

The data (from the offset in ``file: . OFFSET``) is a run of float triplets: the points of each
streamline, a NaN triplet after each streamline and an infinite triplet at the end of the file. A file
that stops before that end marker is truncated. Streamlines are counted from the NaN delimiters when the
data is small enough to scan, because the header ``count`` is not always right.
"""

from __future__ import annotations

from typing import IO, Any

import numpy as np

from nora.core.errors import CorruptFile
from nora.imaging.formats.base import (
    HEAD_SIZE,
    VERIFY_LIMIT,
    FormatSpec,
    Probe,
    content_length,
    open_content,
)

_MAGIC = b"mrtrix tracks"
_DTYPES = {"float32le": "<f4", "float32be": ">f4", "float64le": "<f8", "float64be": ">f8"}
_MAX_FIELD = 500


def parse_header(head: bytes, label: str) -> tuple[dict[str, str], int]:
    """The header's fields (repeated keys joined by newlines) and the byte offset after ``END``."""
    fields: dict[str, list[str]] = {}
    pos = head.index(b"\n") + 1
    key: str | None = None
    while True:
        nl = head.find(b"\n", pos)
        if nl < 0:
            where = "the end of the file" if len(head) < HEAD_SIZE else f"the first {HEAD_SIZE} bytes"
            raise CorruptFile(f"{label}: TCK header has no END line before {where} (truncated?)")
        line = head[pos:nl].decode("latin-1").strip()
        pos = nl + 1
        if line == "END":
            return {k: "\n".join(v) for k, v in fields.items()}, pos
        if not line:
            continue
        if ":" in line:
            key, value = (part.strip() for part in line.split(":", 1))
        elif key is None:
            raise CorruptFile(f"{label}: TCK header line {line[:60]!r} is not 'key: value'")
        else:
            value = line
        fields.setdefault(key, []).append(value)


def _data_offset(fields: dict[str, str], end_of_header: int, label: str) -> int:
    parts = fields.get("file", f". {end_of_header}").split()
    if len(parts) != 2 or parts[0] != "." or not parts[1].isdigit():
        raise CorruptFile(f"{label}: TCK 'file' field {fields.get('file')!r} is not '. OFFSET' (single-file)")
    return int(parts[1])


def _scan(stream: IO[bytes], offset: int, length: int, dtype: np.dtype[Any], label: str) -> tuple[int, bool]:
    """Count NaN delimiters in the data and tell whether the data ends with the infinite triplet."""
    triplet = 3 * dtype.itemsize
    stream.seek(offset)
    count, last = 0, np.zeros(3)
    chunk_size = triplet * 65536
    remaining = length
    while remaining > 0:
        raw = stream.read(min(chunk_size, remaining))
        if not raw:
            raise CorruptFile(f"{label}: TCK data ends early")
        remaining -= len(raw)
        points = np.frombuffer(raw, dtype=dtype).reshape(-1, 3)
        count += int(np.count_nonzero(np.all(np.isnan(points), axis=1)))
        last = points[-1]
    return count, bool(np.all(np.isinf(last)))


def _tail_is_end(stream: IO[bytes], offset: int, length: int, dtype: np.dtype[Any]) -> bool:
    triplet = 3 * dtype.itemsize
    stream.seek(offset + length - triplet)
    last = np.frombuffer(stream.read(triplet), dtype=dtype)
    return last.size == 3 and bool(np.all(np.isinf(last)))


def _sniff(probe: Probe) -> bool:
    rest = probe.head[len(_MAGIC) : len(_MAGIC) + 2]
    return probe.head.startswith(_MAGIC) and (rest[:1] == b"\n" or rest == b"\r\n")


def _summarise(probe: Probe) -> dict[str, Any]:
    fields, end_of_header = parse_header(probe.head, probe.name)
    datatype = fields.get("datatype", "Float32LE")
    if datatype.lower() not in _DTYPES:
        raise CorruptFile(f"{probe.name}: TCK datatype {datatype!r} is not Float32LE/BE or Float64LE/BE")
    dtype = np.dtype(_DTYPES[datatype.lower()])
    offset = _data_offset(fields, end_of_header, probe.name)
    total = content_length(probe)
    out: dict[str, Any] = {"datatype": datatype}
    header_count = int(fields["count"]) if fields.get("count", "").strip().isdigit() else None
    if total is not None:
        length = total - offset
        triplet = 3 * dtype.itemsize
        if length < triplet:
            raise CorruptFile(
                f"{probe.name}: TCK data starts at byte {offset} but the content ends at byte {total} "
                "before the end-of-file marker (truncated?)"
            )
        if length % triplet:
            raise CorruptFile(
                f"{probe.name}: TCK data from offset {offset} is {length} bytes, not a whole number of "
                f"{triplet}-byte points ending with the end marker (truncated?)"
            )
        with open_content(probe) as stream:
            if length <= VERIFY_LIMIT:
                counted, ends = _scan(stream, offset, length, dtype, probe.name)
                out["n_streamlines"] = counted
            else:
                ends = _tail_is_end(stream, offset, length, dtype)
        if not ends:
            raise CorruptFile(f"{probe.name}: TCK data does not end with the end-of-file marker (truncated?)")
    out.setdefault("n_streamlines", header_count)
    out["header_count"] = header_count
    out["fields"] = {k: v[:_MAX_FIELD] for k, v in fields.items() if k not in ("file", "count", "datatype")}
    return out


SPEC = FormatSpec(
    name="tck",
    extensions=("tck",),
    min_size=len(_MAGIC) + 1,
    sniff=_sniff,
    summarise=_summarise,
)
