"""The result mask as the page receives it: a bounding box and its voxels as gzip'd packed bits.

``encoding = "bbox-packbits-gzip-base64"``: ``lo`` and ``hi`` are the inclusive voxel bounds of the
result on the image grid (absent for an empty result); ``data`` is base64 of the gzip stream of the
box's voxels in C order (the last axis fastest: ``i`` slowest, ``k`` fastest), eight voxels to a byte,
least significant bit first (numpy's ``packbits(..., bitorder="little")``); the last byte is padded with
zeros. A 256^3 white-matter result of 1.7 million voxels is about 60 kB.
"""

from __future__ import annotations

import base64
import gzip
import zlib
from dataclasses import dataclass

import numpy as np

from nora.core.errors import InvalidInput
from nora.imaging.roi import Mask

ENCODING = "bbox-packbits-gzip-base64"


@dataclass(frozen=True)
class Packed:
    lo: tuple[int, int, int] | None
    hi: tuple[int, int, int] | None
    voxels: int
    data: str


def pack(mask: Mask) -> Packed:
    if not mask.any():
        return Packed(None, None, 0, "")
    where = [np.flatnonzero(mask.any(axis=tuple(a for a in range(3) if a != axis))) for axis in range(3)]
    lo = (int(where[0][0]), int(where[1][0]), int(where[2][0]))
    hi = (int(where[0][-1]), int(where[1][-1]), int(where[2][-1]))
    box = mask[lo[0] : hi[0] + 1, lo[1] : hi[1] + 1, lo[2] : hi[2] + 1]
    bits = np.packbits(np.ascontiguousarray(box).reshape(-1), bitorder="little")
    data = base64.b64encode(gzip.compress(bits.tobytes(), compresslevel=1, mtime=0)).decode("ascii")
    return Packed(lo, hi, int(mask.sum()), data)


def unpack(packed: Packed, shape: tuple[int, int, int]) -> Mask:
    """The full mask back (what the page does with a result; the server with a mask the page sends: its box
    must lie in ``shape`` and its stream hold exactly the box's bits, never more than that is inflated)."""
    out = np.zeros(shape, dtype=bool)
    if packed.lo is None or packed.hi is None:
        return out
    if any(not 0 <= lo <= h < n for lo, h, n in zip(packed.lo, packed.hi, shape, strict=True)):
        raise InvalidInput(
            f"the packed mask's box {list(packed.lo)}..{list(packed.hi)} is not inside the matrix {list(shape)}"
        )
    size = tuple(h - lo + 1 for lo, h in zip(packed.lo, packed.hi, strict=True))
    need = (int(np.prod(size)) + 7) // 8
    try:
        inflate = zlib.decompressobj(wbits=31)  # gzip
        raw = inflate.decompress(base64.b64decode(packed.data, validate=True), need + 1)
    except (ValueError, zlib.error) as exc:
        raise InvalidInput(f"not a packed mask (base64 of gzip): {exc}") from None
    if len(raw) != need:
        raise InvalidInput(f"the packed mask holds {len(raw)} bytes; its box of {list(size)} voxels needs {need}")
    bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8), bitorder="little")[: int(np.prod(size))]
    out[tuple(slice(lo, h + 1) for lo, h in zip(packed.lo, packed.hi, strict=True))] = bits.reshape(size).astype(bool)
    return out
