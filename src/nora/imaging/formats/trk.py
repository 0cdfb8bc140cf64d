"""TrackVis track files (``.trk``, ``.trk.gz``): a 1000-byte header opening with ``TRACK\\0``.

Each streamline is an int32 point count, the points (3 + n_scalars floats each) and n_properties
floats. The data is walked streamline by streamline (reading only the counts) to prove that the file
holds every streamline the header declares; a file that ends inside a streamline is truncated.
"""

from __future__ import annotations

import struct
from typing import IO, Any

import numpy as np

from nora.core.errors import CorruptFile
from nora.imaging.formats.base import (
    FormatSpec,
    Probe,
    affine_summary,
    content_length,
    finite_or_none,
    open_content,
    text,
)

HEADER_SIZE = 1000
_MAGIC = b"TRACK\0"


def _header(head: bytes, label: str) -> tuple[Any, str]:
    """The header record (nibabel's TRK v2 layout) and its byte order, told by ``hdr_size``."""
    from nibabel.streamlines.trk import header_2_dtype

    if len(head) < HEADER_SIZE:
        raise CorruptFile(f"{label}: a TRK header needs {HEADER_SIZE} bytes but the content has only {len(head)}")
    for order in ("<", ">"):
        rec = np.frombuffer(head[:HEADER_SIZE], dtype=header_2_dtype.newbyteorder(order), count=1)[0]
        if int(rec["hdr_size"]) == HEADER_SIZE:
            return rec, order
    raise CorruptFile(f"{label}: TRK hdr_size field is not {HEADER_SIZE} in either byte order")


def _walk(stream: IO[bytes], total: int, declared: int, floats_per_point: int, n_props: int, order: str) -> int:
    """Walk the streamlines; return how many there are or raise CorruptFile where the data stops short."""
    pos, count = HEADER_SIZE, 0
    fmt = order + "i"
    while (declared == 0 and pos < total) or count < declared:
        if pos + 4 > total:
            if declared and pos == total:
                raise CorruptFile(
                    f"TRK header declares {declared} streamlines but the data ends after {count} (truncated?)"
                )
            raise CorruptFile(f"TRK data ends inside streamline {count} (truncated?)")
        stream.seek(pos)
        (n_points,) = struct.unpack(fmt, stream.read(4))
        if n_points < 0:
            raise CorruptFile(f"TRK streamline {count} has a negative point count ({n_points})")
        pos += 4 + 4 * (n_points * floats_per_point + n_props)
        if pos > total:
            raise CorruptFile(f"TRK data ends inside streamline {count} (truncated?)")
        count += 1
    return count


def _sniff(probe: Probe) -> bool:
    return probe.head.startswith(_MAGIC)


def _summarise(probe: Probe) -> dict[str, Any]:
    rec, order = _header(probe.head, probe.name)
    version = int(rec["version"])
    if version not in (1, 2, 3):
        raise CorruptFile(f"{probe.name}: TRK version {version} is not 1, 2 or 3")
    n_scalars = int(rec["nb_scalars_per_point"])
    n_props = int(rec["nb_properties_per_streamline"])
    declared = int(rec["nb_streamlines"])
    if min(n_scalars, n_props, declared) < 0:
        raise CorruptFile(f"{probe.name}: TRK header has negative counts")
    out: dict[str, Any] = {
        "version": version,
        "dims": [int(d) for d in rec["dimensions"]],
        "voxel_size": [finite_or_none(v) for v in rec["voxel_sizes"]],
        "voxel_order": text(rec["voxel_order"]),
        "n_scalars_per_point": n_scalars,
        "n_properties_per_streamline": n_props,
        "header_count": declared,
    }
    vox_to_ras = np.asarray(rec["voxel_to_rasmm"], dtype=np.float64)
    if version >= 2 and vox_to_ras[3, 3] != 0:
        out.update(affine_summary(vox_to_ras))
    total = content_length(probe)
    if total is None:
        out["n_streamlines"] = declared or None
        return out
    with open_content(probe) as stream:
        try:
            out["n_streamlines"] = _walk(stream, total, declared, 3 + n_scalars, n_props, order)
        except CorruptFile as exc:
            raise CorruptFile(f"{probe.name}: {exc.message}") from exc
    return out


SPEC = FormatSpec(
    name="trk",
    extensions=("trk",),
    min_size=HEADER_SIZE,
    sniff=_sniff,
    summarise=_summarise,
)
