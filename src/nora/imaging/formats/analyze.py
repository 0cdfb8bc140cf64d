"""Analyze 7.5 and NIfTI pairs: a ``.hdr`` header with its voxels in a ``.img`` file beside it.

Analyze has no magic; its header is recognised by ``sizeof_hdr == 348`` (either byte order), no NIfTI
single-file magic and a plausible ``dim[0]``. NIfTI-1/NIfTI-2 pairs carry ``ni1`` / ``ni2``. Inspecting
the ``.img`` gives the same summary as the ``.hdr`` when the header lies beside it.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from nora.core.errors import CorruptFile, NoraError, UnsupportedFormat
from nora.imaging.formats.base import (
    FormatSpec,
    Probe,
    make_probe,
    require_data,
)
from nora.imaging.formats.nifti import (
    NIFTI1_SIZE,
    data_bytes,
    header_summary,
    nifti_version,
    parse_header,
    sizeof_hdr,
)

_PAIR_MAGICS = (b"ni1\0", b"ni2\0")
_SINGLE_MAGICS = (b"n+1\0", b"n+2\0")


def header_version(head: bytes) -> int | None:
    """0 (Analyze), 1 or 2 (NIfTI pair) when ``head`` is a pair header, else None."""
    version = nifti_version(head, _PAIR_MAGICS)
    if version is not None:
        return version
    if sizeof_hdr(head) != NIFTI1_SIZE or len(head) < NIFTI1_SIZE:
        return None
    if nifti_version(head, _SINGLE_MAGICS) is not None:
        return None
    order = "<" if struct.unpack("<i", head[:4])[0] == NIFTI1_SIZE else ">"
    ndim = struct.unpack(order + "h", head[40:42])[0]
    return 0 if 1 <= ndim <= 7 else None


def _sibling(probe: Probe, ext: str) -> Path | None:
    """The file beside ``probe`` with the other extension of the pair (``.img`` <-> ``.hdr``)."""
    stems: list[Path] = []
    for base in (probe.path, probe.path.parent / Path(probe.name).name):
        if base.suffix.lower() == ".gz":
            base = base.with_suffix("")
        if base.suffix.lower() in (".hdr", ".img"):
            stems.append(base.with_suffix(""))
    for stem in stems:
        for suffix in (ext, ext.upper()):
            for candidate in (stem.with_name(f"{stem.name}.{suffix}"), stem.with_name(f"{stem.name}.{suffix}.gz")):
                if candidate.is_file() and candidate.resolve() != probe.path.resolve():
                    return candidate
    return None


def _header_beside(probe: Probe) -> Probe | None:
    """For a ``.img`` probe: the probe of the pair's header, when one lies beside it."""
    if probe.suffix != "img":
        return None
    try:
        hdr_path = _sibling(probe, "hdr")
        hdr_probe = make_probe(hdr_path, hdr_path.name) if hdr_path is not None else None
    except OSError:  # unreadable: no usable header beside it
        return None
    if hdr_probe is None:
        return None
    return hdr_probe if header_version(hdr_probe.head) is not None else None


def _sniff(probe: Probe) -> bool:
    return header_version(probe.head) is not None or _header_beside(probe) is not None


def _summarise(probe: Probe) -> dict[str, Any]:
    if header_version(probe.head) is not None:
        hdr_probe, header_name = probe, Path(probe.name).name
        img_path = _sibling(probe, "img")
        if img_path is None:
            raise CorruptFile(
                f"{probe.name}: an Analyze/NIfTI pair header needs its image file (.img) beside it; none found"
            )
        img_probe = make_probe(img_path, img_path.name)
    else:
        beside = _header_beside(probe)
        if beside is None:
            raise CorruptFile(f"{probe.name}: the Analyze header beside this image file cannot be read")
        hdr_probe, header_name, img_probe = beside, beside.name, probe
    version = header_version(hdr_probe.head) or 0  # sniffed: 0, 1 or 2
    hdr = parse_header(hdr_probe.head, version, hdr_probe.name)
    out = header_summary(hdr, version)
    needed = int(hdr.get_data_offset()) + data_bytes(hdr)
    require_data(img_probe, f"the voxel data declared by {header_name}", needed)
    out["header_file"] = header_name
    out["image_file"] = Path(img_probe.name).name
    return out


def _diagnose(probe: Probe) -> NoraError | None:
    if probe.suffix == "img":
        return UnsupportedFormat(
            f"{probe.name}: an Analyze/NIfTI .img holds raw voxels and is read with its .hdr header, "
            "which was not found beside it (upload the .hdr, or the pair together)"
        )
    if probe.suffix == "hdr" and len(probe.head) < NIFTI1_SIZE:
        return CorruptFile(
            f"{probe.name}: an Analyze/NIfTI header needs {NIFTI1_SIZE} bytes but the file has only "
            f"{len(probe.head)} (truncated?)"
        )
    return None


SPEC = FormatSpec(
    name="analyze",
    extensions=("hdr", "img"),
    min_size=NIFTI1_SIZE,
    sniff=_sniff,
    summarise=_summarise,
    diagnose=_diagnose,
)
