"""What every format reader shares: the summary type, the probe of a file's first bytes, and checks.

A :class:`Probe` is built once per file by the registry: the file's size, whether it is gzip-wrapped and
the first :data:`HEAD_SIZE` bytes of its (decompressed) content. Each format module exposes a
:class:`FormatSpec` whose ``sniff`` looks at the probe only and whose ``summarise`` reads what it needs
and raises :class:`~nora.core.errors.CorruptFile` when the file cannot be what it claims to be.
"""

from __future__ import annotations

import gzip
import math
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from nora.core.errors import CorruptFile, NoraError, TooLarge

#: Bytes of (decompressed) content every sniffer may look at.
HEAD_SIZE = 64 * 1024
#: Compressed files above this size are not decompressed to the end to check their length.
VERIFY_LIMIT = 256 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class FileSummary:
    """The detected format of a file and a JSON-serialisable summary of its header."""

    format: str
    header: dict[str, Any]


@dataclass(frozen=True)
class Probe:
    """A file about to be inspected: where it is, what it was called, and its first bytes."""

    path: Path
    name: str
    size: int
    gzipped: bool
    head: bytes
    #: False for a file the caller has just written itself (a converter's output): its content is not
    #: decompressed again to check that it is as long as its header declares
    verify_length: bool = True

    @property
    def suffixes(self) -> list[str]:
        """Lower-case suffixes of the original name without a trailing ``.gz`` (``["nii"]``)."""
        parts = [s.lower().lstrip(".") for s in Path(self.name).suffixes]
        if parts and parts[-1] == "gz":
            parts.pop()
        return parts

    @property
    def suffix(self) -> str:
        """The last suffix of the original name, ignoring ``.gz`` (``"nii"`` for ``a.nii.gz``)."""
        return self.suffixes[-1] if self.suffixes else ""


@dataclass(frozen=True)
class FormatSpec:
    """One supported format: its name, usual extensions, a content sniffer and a header reader."""

    name: str
    extensions: tuple[str, ...]
    min_size: int
    sniff: Callable[[Probe], bool]
    summarise: Callable[[Probe], dict[str, Any]]
    #: Called when no format recognised the content, to explain a near miss (a truncated header, a
    #: data file without its header); None means "not mine".
    diagnose: Callable[[Probe], NoraError | None] | None = None


def make_probe(path: Path, name: str, *, verify_length: bool = True) -> Probe:
    """Probe ``path`` (reported as ``name``): its size, gzip wrapping and first content bytes."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(HEAD_SIZE)
        gzipped = head.startswith(GZIP_MAGIC)
        if gzipped:
            fh.seek(0)
            head = _gunzip_head(fh, name)
    return Probe(path=path, name=name, size=size, gzipped=gzipped, head=head, verify_length=verify_length)


def _gunzip_head(fh: IO[bytes], label: str) -> bytes:
    decomp = zlib.decompressobj(zlib.MAX_WBITS | 16)
    out = bytearray()
    try:
        while len(out) < HEAD_SIZE and not decomp.eof:
            chunk = fh.read(64 * 1024)
            if not chunk:
                break
            out += decomp.decompress(chunk, HEAD_SIZE - len(out))
            while decomp.unconsumed_tail and len(out) < HEAD_SIZE:
                out += decomp.decompress(decomp.unconsumed_tail, HEAD_SIZE - len(out))
    except zlib.error as exc:
        raise CorruptFile(f"{label}: gzip-compressed data is damaged ({exc})") from exc
    if len(out) < HEAD_SIZE and not decomp.eof:
        raise CorruptFile(f"{label}: gzip stream ends early after {len(out)} bytes of content (file truncated?)")
    return bytes(out)


def content_length(probe: Probe) -> int | None:
    """Length of the decompressed content; ``None`` when a compressed file is too big to check cheaply
    (or its probe says not to: ``verify_length``).

    Raises CorruptFile when a gzip stream is damaged or truncated.
    """
    if not probe.gzipped:
        return probe.size
    if probe.size > VERIFY_LIMIT or not probe.verify_length:
        return None
    total = 0
    with gzip_stream(probe) as stream:
        while chunk := stream.read(_CHUNK):
            total += len(chunk)
    return total


@contextmanager
def gzip_stream(probe: Probe) -> Iterator[IO[bytes]]:
    """The decompressed content of a gzip-wrapped probe as a (forward-seekable) binary stream.

    Damaged or truncated compressed data surfacing while the caller reads becomes CorruptFile.
    """
    try:
        with gzip.open(probe.path, "rb") as stream:
            yield stream  # type: ignore[misc]  # GzipFile is a binary stream
    except EOFError as exc:
        raise CorruptFile(f"{probe.name}: gzip stream ends early (file truncated?)") from exc
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise CorruptFile(f"{probe.name}: gzip-compressed data is damaged ({exc})") from exc


@contextmanager
def open_content(probe: Probe) -> Iterator[IO[bytes]]:
    """The file's content as a binary stream, decompressed when the file is gzip-wrapped."""
    if probe.gzipped:
        with gzip_stream(probe) as stream:
            yield stream
    else:
        with probe.path.open("rb") as fh:
            yield fh


def read_content(probe: Probe, what: str) -> bytes:
    """The whole (decompressed) content, for formats that must be parsed as a whole (XML, text)."""
    if probe.size > VERIFY_LIMIT:
        raise TooLarge(f"{probe.name}: {what} of {probe.size} bytes is above the {VERIFY_LIMIT}-byte inspection limit")
    with open_content(probe) as stream:
        return stream.read()


def require_data(probe: Probe, what: str, needed: int, *, available: int | None = None) -> None:
    """Raise CorruptFile when the content is shorter than the ``needed`` bytes its header declares."""
    have = content_length(probe) if available is None else available
    if have is not None and have < needed:
        kind = "decompressed content" if probe.gzipped else "file"
        raise CorruptFile(f"{probe.name}: {what} needs {needed} bytes but the {kind} has only {have} (truncated?)")


def spatial_summary(
    shape: Sequence[int],
    zooms: Sequence[float],
    dtype: np.dtype[Any] | None,
    affine: npt.ArrayLike | None,
) -> dict[str, Any]:
    """The common keys of a voxel image: dims, voxel_size, dtype, affine, orientation, n_volumes."""
    dims = [int(d) for d in shape]
    out: dict[str, Any] = {
        "dims": dims,
        "voxel_size": [finite_or_none(z) for z in zooms[:3]],
    }
    if dtype is not None:
        out["dtype"] = dtype.newbyteorder("=").name
    out.update(affine_summary(affine))
    if len(dims) >= 4:
        out["n_volumes"] = int(np.prod(dims[3:]))
    return out


def affine_summary(affine: npt.ArrayLike | None) -> dict[str, Any]:
    """``affine`` (4x4 list) and ``orientation`` (axis codes such as ``"RAS"``) when the affine is usable."""
    if affine is None:
        return {}
    aff = np.asarray(affine, dtype=np.float64)
    if aff.shape != (4, 4) or not np.all(np.isfinite(aff)):
        return {}
    return {"affine": aff.tolist(), "orientation": orientation(aff)}


#: world axis -> (code of its negative direction, code of its positive one), as nibabel's ``aff2axcodes``
_AXIS_CODES = (("L", "R"), ("P", "A"), ("I", "S"))


def orientation(affine: npt.NDArray[np.float64]) -> str:
    """Axis codes of the voxel axes (``"RAS"``, ``"LPS"``); ``?`` marks an axis without a direction.

    nibabel's ``io_orientation`` + ``aff2axcodes`` (the closest rotation of the affine by its singular
    value decomposition, then each voxel axis, the best aligned first, takes the world axis it moves along
    most), done on plain floats: nibabel's general N-dimensional code cost half a millisecond per volume,
    a quarter of indexing a small converted series (the tests compare the two on real and random affines).
    """
    rzs = np.asarray(affine, dtype=np.float64)[:3, :3]
    zooms = np.sqrt(np.sum(rzs * rzs, axis=0))
    zooms[zooms == 0] = 1
    p, s, qs = np.linalg.svd(rzs / zooms, full_matrices=False)
    keep = s > s.max() * 3 * np.finfo(np.float64).eps
    rows: list[list[float]] = (p[:, keep] @ qs[keep]).tolist()
    codes = ["?", "?", "?"]
    # the voxel axis most aligned with a world axis chooses first (a stable sort, as nibabel's argsort)
    for in_ax in sorted(range(3), key=lambda c: min(-(row[c] ** 2) for row in rows)):
        column = [row[in_ax] for row in rows]
        if all(abs(v) <= 1e-8 for v in column):  # np.allclose(column, 0): no direction left
            continue
        out_ax = max(range(3), key=lambda k: abs(column[k]))  # the first of equals, as np.argmax
        codes[in_ax] = _AXIS_CODES[out_ax][column[out_ax] > 0]
        rows[out_ax] = [0.0, 0.0, 0.0]  # that world axis is taken
    return "".join(codes)


def finite_or_none(value: Any) -> float | None:
    """A plain float, or None when the value is NaN or infinite (JSON has no such numbers)."""
    number = float(value)
    return number if math.isfinite(number) else None


def text(value: Any) -> str:
    """A stripped str of a header field that may be bytes (or nibabel's 0-d array of bytes)."""
    if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind == "S":
        value = value.item()
    if isinstance(value, bytes | np.bytes_):
        return bytes(value).split(b"\0", 1)[0].decode("latin-1").strip()
    return str(value).strip()
