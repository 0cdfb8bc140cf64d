"""NRRD volumes with attached data (``.nrrd``) or a detached header (``.nhdr``), magic ``NRRD000x``.

The header is parsed by pynrrd; the data is never decoded, only its length checked: raw data by file
size, gzip/bzip2 data by streaming decompression (below the verification limit). :func:`ras_affine` builds
the affine from ``space directions`` and ``space origin`` and turns it from the file's space to RAS as
Slicer and niivue do (LPS flips x and y, LAS x): the one place that does, for the archive's index and for
jobs that read NRRD volumes.
"""

from __future__ import annotations

import bz2
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from nora.core.errors import CorruptFile, UnsafePath, UnsupportedFormat
from nora.imaging.formats.base import (
    HEAD_SIZE,
    VERIFY_LIMIT,
    FormatSpec,
    Probe,
    affine_summary,
    finite_or_none,
    open_content,
    require_data,
)

_MAGIC = b"NRRD000"
_REQUIRED = ("type", "dimension", "sizes", "encoding")
_TYPES = {
    "i1": ("signed char", "int8", "int8_t"),
    "u1": ("uchar", "unsigned char", "uint8", "uint8_t"),
    "i2": ("short", "short int", "signed short", "signed short int", "int16", "int16_t"),
    "u2": ("ushort", "unsigned short", "unsigned short int", "uint16", "uint16_t"),
    "i4": ("int", "signed int", "int32", "int32_t"),
    "u4": ("uint", "unsigned int", "uint32", "uint32_t"),
    "i8": ("longlong", "long long", "long long int", "signed long long", "signed long long int", "int64", "int64_t"),
    "u8": ("ulonglong", "unsigned long long", "unsigned long long int", "uint64", "uint64_t"),
    "f4": ("float",),
    "f8": ("double",),
}
_DTYPES = {alias: code for code, aliases in _TYPES.items() for alias in aliases}
#: Sign flips (x, y, z) that take a named NRRD space to RAS.
_SPACES = {
    "right-anterior-superior": (1, 1, 1),
    "left-anterior-superior": (-1, 1, 1),
    "left-posterior-superior": (-1, -1, 1),
    "ras": (1, 1, 1),
    "las": (-1, 1, 1),
    "lps": (-1, -1, 1),
    "scanner-xyz": (1, 1, 1),
    "3d-right-handed": (1, 1, 1),
}


def _split_header(probe: Probe) -> tuple[list[str], int]:
    """The header lines and the offset where attached data starts."""
    head = probe.head
    ends = [(head.find(sep), len(sep)) for sep in (b"\n\n", b"\r\n\r\n")]
    found = [(pos, n) for pos, n in ends if pos >= 0]
    if found:
        pos, n = min(found)
        return head[:pos].decode("latin-1").splitlines(), pos + n
    if len(head) < HEAD_SIZE:  # the whole content is a header: a detached .nhdr, or data missing
        return head.decode("latin-1").splitlines(), len(head)
    raise CorruptFile(f"{probe.name}: NRRD header has no blank line ending it within {len(head)} bytes")


def _dtype(header: dict[str, Any], label: str) -> np.dtype[Any]:
    code = _DTYPES.get(str(header["type"]).strip().lower())
    if code is None:
        raise UnsupportedFormat(f"{label}: NRRD type {header['type']!r} is not a supported data type")
    dtype = np.dtype(code)
    if dtype.itemsize > 1 and str(header["encoding"]).lower() not in ("ascii", "text", "txt"):
        endian = str(header.get("endian", "")).lower()
        if endian not in ("little", "big"):
            raise CorruptFile(f"{label}: NRRD header needs 'endian: little|big' for type {header['type']!r}")
        dtype = dtype.newbyteorder("<" if endian == "little" else ">")
    return dtype


def _geometry(header: dict[str, Any]) -> dict[str, Any]:
    """voxel_size, affine and orientation from the space fields (or spacings when there are none)."""
    directions = header.get("space directions")
    if directions is None:
        spacings = header.get("spacings")
        if spacings is None:
            return {}
        return {"voxel_size": [finite_or_none(s) for s in np.asarray(spacings, dtype=float) if np.isfinite(s)]}
    spatial = spatial_axes(header)
    vectors = np.asarray(directions, dtype=float)[spatial]
    out: dict[str, Any] = {"voxel_size": [finite_or_none(v) for v in np.linalg.norm(vectors, axis=1)]}
    if len(spatial) == 3 and vectors.shape[1] == 3:
        out["spatial_axes"] = spatial
        out.update(affine_summary(ras_affine(header)))
    return out


def spatial_axes(header: Mapping[str, Any]) -> list[int]:
    """The data axes that ``space directions`` gives a vector (the others, ``none``, are lists or time)."""
    directions = header.get("space directions")
    if directions is None:
        return []
    return [i for i, row in enumerate(np.asarray(directions, dtype=float)) if np.all(np.isfinite(row))]


def ras_affine(header: Mapping[str, Any]) -> npt.NDArray[np.float64] | None:
    """The voxel-to-RAS-mm affine of a pynrrd header, over its :func:`spatial_axes` in order.

    None where the header has no three spatial axes in a 3-D space, or names a space that is not one
    of RAS, LAS, LPS and their aliases (``scanner-xyz``, ``3D-right-handed``; ``-time`` variants).
    """
    spatial = spatial_axes(header)
    if len(spatial) != 3:
        return None
    vectors = np.asarray(header["space directions"], dtype=float)[spatial]
    if vectors.shape[1] != 3:
        return None
    space = str(header.get("space", "right-anterior-superior")).strip().lower().removesuffix("-time")
    flips = _SPACES.get(space)
    if flips is None:
        return None
    affine = np.eye(4)
    affine[:3, :3] = vectors.T
    origin = header.get("space origin")
    if origin is not None:
        affine[:3, 3] = np.asarray(origin, dtype=float)[:3]
    return np.diag([*flips, 1.0]) @ affine


def _check_data(probe: Probe, header: dict[str, Any], offset: int, nbytes: int) -> None:
    encoding = str(header["encoding"]).lower()
    data_file = header.get("data file", header.get("datafile"))
    skip = int(header.get("byte skip", 0))
    if data_file is not None:
        source = _detached(probe, str(data_file))
        if source is None:
            return
        data_probe = Probe(source, source.name, source.stat().st_size, False, b"")
        offset = 0
    else:
        data_probe = probe
    if encoding == "raw":
        if skip == -1:
            require_data(data_probe, "the raw data declared by the NRRD header", nbytes)
        else:
            require_data(data_probe, "the raw data declared by the NRRD header", offset + skip + nbytes)
    elif encoding in ("gzip", "gz", "bzip2", "bz2") and data_probe.size <= VERIFY_LIMIT:
        have = _decompressed_length(data_probe, offset, encoding)
        require_data(
            data_probe, f"the {encoding} data declared by the NRRD header", nbytes + max(skip, 0), available=have
        )


def _detached(probe: Probe, data_file: str) -> Path | None:
    """The path of a single detached data file, or None for a list or pattern (not checked)."""
    if data_file.upper().startswith("LIST") or "%" in data_file or " " in data_file.strip():
        return None
    folder = probe.path.parent.resolve()
    candidate = (folder / data_file).resolve()
    if not candidate.is_relative_to(folder):
        raise UnsafePath(f"{probe.name}: detached NRRD data file {data_file!r} lies outside the header's folder")
    if not candidate.is_file():
        raise CorruptFile(f"{probe.name}: detached NRRD data file {data_file!r} was not found beside the header")
    return candidate


def _decompressed_length(probe: Probe, offset: int, encoding: str) -> int:
    gz = encoding.startswith("gz")
    decomp: Any = zlib.decompressobj(zlib.MAX_WBITS | 32) if gz else bz2.BZ2Decompressor()
    total = 0
    with open_content(probe) as stream:
        stream.seek(offset)
        try:
            total = _drain(stream, decomp)
        except (zlib.error, OSError, EOFError) as exc:
            raise CorruptFile(f"{probe.name}: NRRD {encoding} data is damaged ({exc})") from exc
    if not decomp.eof:
        raise CorruptFile(f"{probe.name}: NRRD {encoding} data ends early after {total} bytes (truncated?)")
    return total


def _drain(stream: IO[bytes], decomp: Any) -> int:
    """Decompressed length of the rest of ``stream``, holding at most a few MB at a time."""
    total, limit = 0, 1 << 22
    while not decomp.eof:
        pending = isinstance(decomp, bz2.BZ2Decompressor) and not decomp.needs_input
        pending = pending or bool(getattr(decomp, "unconsumed_tail", b""))
        if pending:
            data = getattr(decomp, "unconsumed_tail", b"")
        else:
            data = stream.read(1 << 16)
            if not data:
                break
        total += len(decomp.decompress(data, limit))
    return total


def _sniff(probe: Probe) -> bool:
    return probe.head.startswith(_MAGIC)


def _summarise(probe: Probe) -> dict[str, Any]:
    import nrrd

    lines, offset = _split_header(probe)
    header = dict(nrrd.read_header(lines))
    missing = [field for field in _REQUIRED if field not in header]
    if missing:
        raise CorruptFile(f"{probe.name}: NRRD header lacks required field(s) {', '.join(missing)}")
    sizes = [int(s) for s in np.atleast_1d(header["sizes"])]
    if len(sizes) != int(header["dimension"]) or any(s <= 0 for s in sizes):
        raise CorruptFile(f"{probe.name}: NRRD sizes {sizes} do not match dimension {header['dimension']}")
    dtype = _dtype(header, probe.name)
    out: dict[str, Any] = {"dims": sizes, "dtype": dtype.newbyteorder("=").name}
    out.update(_geometry(header))
    spatial = out.get("spatial_axes", list(range(min(3, len(sizes)))))
    others = [s for i, s in enumerate(sizes) if i not in spatial]
    if others:
        out["n_volumes"] = int(np.prod(others))
    out["encoding"] = str(header["encoding"])
    out["space"] = str(header.get("space", ""))
    if "data file" in header or "datafile" in header:
        out["data_file"] = str(header.get("data file", header.get("datafile")))
    nbytes = int(np.prod(sizes, dtype=np.int64)) * dtype.itemsize
    _check_data(probe, header, offset, nbytes)
    return out


SPEC = FormatSpec(
    name="nrrd",
    extensions=("nrrd", "nhdr"),
    min_size=len(_MAGIC) + 1,
    sniff=_sniff,
    summarise=_summarise,
)
