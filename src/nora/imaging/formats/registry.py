"""The format registry: pick the reader for a file by its content and summarise its header.

Each format module offers a :class:`~nora.imaging.formats.base.FormatSpec`. ``inspect_file`` probes the
file once (size, gzip wrapping, first bytes), asks the sniffers in order (formats with a strong magic
first, MGH's weak signature last) and lets the first that recognises the content read the header. The
file name is only a hint, used to explain near misses: a file too short for the header its extension
promises is corrupt, a file whose content is no supported format is unsupported.

This module is the boundary where errors of the imaging libraries (nibabel, pydicom, pynrrd, zlib,
struct) become :class:`~nora.core.errors.CorruptFile`; nothing else escapes ``inspect_file``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from nora.core.errors import CorruptFile, NoraError, NotFound, UnsupportedFormat
from nora.imaging.formats import analyze, dicom, gifti, mgh, nifti, nrrd, stl, tck, trk
from nora.imaging.formats import json as json_format
from nora.imaging.formats.base import FileSummary, FormatSpec, Probe, make_probe

log = logging.getLogger(__name__)

#: Sniffing order: fixed-offset magics first, then text signatures, then the weak binary ones.
FORMATS: tuple[FormatSpec, ...] = (
    dicom.SPEC,
    nifti.SPEC,
    trk.SPEC,
    tck.SPEC,
    nrrd.SPEC,
    gifti.SPEC,
    json_format.SPEC,
    stl.SPEC,
    analyze.SPEC,
    mgh.SPEC,
)

_DESCRIPTIONS = {
    "nifti": "NIfTI-1/NIfTI-2 (.nii, .nii.gz)",
    "analyze": "Analyze or NIfTI pair (.hdr + .img)",
    "nrrd": "NRRD (.nrrd, .nhdr)",
    "mgh": "FreeSurfer MGH (.mgh, .mgz)",
    "gifti": "GIFTI (.gii)",
    "tck": "MRtrix tracks (.tck)",
    "trk": "TrackVis (.trk, .trk.gz)",
    "stl": "STL binary or ASCII (.stl)",
    "dicom": "DICOM (.dcm)",
    "json": "JSON (.json)",
}


def supported_formats() -> list[str]:
    """Names of the formats ``inspect_file`` recognises, as they appear in ``FileSummary.format``."""
    return [spec.name for spec in FORMATS]


def accepted_formats() -> str:
    """The accepted formats in words, for error messages."""
    return "; ".join(_DESCRIPTIONS[spec.name] for spec in FORMATS)


def inspect_file(path: Path, *, name: str | None = None, verify_length: bool = True) -> FileSummary:
    """Detect the format of ``path`` from its content and summarise its header.

    ``name`` is the original file name when ``path`` is a temporary upload; its extension is a hint,
    never trusted. ``verify_length=False`` skips decompressing a gzipped file to check its length, for a
    file the caller has just written itself (a converter's output). Raises UnsupportedFormat when the
    content is no supported format, CorruptFile when it claims one but cannot be read (truncated, bad
    header, data shorter than declared), NotFound when there is no file at ``path``.
    """
    path = Path(path)
    label = name or path.name
    if not path.is_file():
        raise NotFound(f"{label}: no such file ({path})")
    try:
        probe = make_probe(path, label, verify_length=verify_length)
    except OSError as exc:
        raise NotFound(f"{label}: cannot be opened ({exc.strerror})") from exc
    if probe.size == 0:
        raise UnsupportedFormat(f"{label}: the file is empty (0 bytes); accepted formats: {accepted_formats()}")
    for spec in FORMATS:
        if spec.sniff(probe):
            return FileSummary(format=spec.name, header=_summarise(spec, probe))
    raise _unrecognised(probe)


def _summarise(spec: FormatSpec, probe: Probe) -> dict[str, object]:
    try:
        return spec.summarise(probe)
    except (NoraError, MemoryError):
        raise
    except Exception as exc:  # the boundary: whatever a reader library raises means "cannot be read"
        log.info("reading %s as %s failed", probe.name, spec.name, exc_info=True)
        detail = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise CorruptFile(f"{probe.name}: looks like {spec.name} but cannot be read: {detail}") from exc


def _unrecognised(probe: Probe) -> NoraError:
    """The most precise error for content no sniffer recognised."""
    for spec in FORMATS:
        if spec.diagnose is not None:
            error = spec.diagnose(probe)
            if isinstance(error, UnsupportedFormat):
                return UnsupportedFormat(f"{error.message}; accepted formats: {accepted_formats()}")
            if error is not None:
                return error
        elif probe.suffix in spec.extensions and len(probe.head) < spec.min_size:
            return CorruptFile(
                f"{probe.name}: named like a {spec.name} file but its content is only {len(probe.head)} "
                f"bytes, shorter than a {spec.name} header ({spec.min_size} bytes); truncated?"
            )
    hint = ""
    named = [spec.name for spec in FORMATS if probe.suffix in spec.extensions]
    if named:
        hint = f" (the name suggests {named[0]}, but the content does not match)"
    return UnsupportedFormat(
        f"{probe.name}: {_describe(probe)} is not a supported format{hint}; accepted formats: {accepted_formats()}"
    )


def _describe(probe: Probe) -> str:
    """What the content looks like, in a few words: its first bytes as text or hex."""
    start = probe.head[:16]
    wrapper = "gzip-compressed content" if probe.gzipped else "content"
    if not start:
        return f"{wrapper} that is empty"
    if all(32 <= b < 127 or b in (9, 10, 13) for b in start):
        first = start.decode("ascii").splitlines()[0] if start.strip() else ""
        return f"text {wrapper} starting {first!r}"
    return f"binary {wrapper} starting with bytes {start.hex(' ')}"
