"""A quick walk over the top-level elements of a DICOM file's header, for the importer's scan.

pydicom builds a data element for every element it reads, which is most of the time an import spends
scanning headers. The scan needs only about twenty values and where the pixel data begins, so this walk
skips elements by their length and keeps the raw bytes of the wanted ones, as pydicom would hand them
over (:class:`pydicom.dataelem.RawDataElement`). It handles the common case only: a file with the
``DICM`` preamble in implicit or explicit VR little endian. Anything else, and anything unexpected on
the way (an unknown VR, a length past the end of the file, an odd nesting), raises :class:`Unusual`,
and the caller reads the file with pydicom as before.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import IO, Any

_PREAMBLE = 128
_PIXEL_TAGS = frozenset({0x7FE00010, 0x7FE00008, 0x7FE00009})
_ITEM, _ITEM_END, _SEQ_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_UNDEFINED = 0xFFFFFFFF
_IMPLICIT_LE = "1.2.840.10008.1.2"
#: transfer syntaxes whose data set is not explicit VR little endian (big endian, deflated)
_OTHER = frozenset({"1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.8.1"})
#: VRs with a 2-byte reserved field and a 4-byte length in explicit VR
_LONG = frozenset(b"OB OD OF OL OV OW SQ SV UC UN UR UT UV".split())
_SHORT = frozenset(b"AE AS AT CS DA DS DT FD FL IS LO LT PN SH SL SS ST TM UI UL US".split())
_MAX_HEADER = 16 << 20


class Unusual(Exception):
    """This file is not the simple case the quick walk reads; read it with pydicom."""


@dataclass(frozen=True)
class Header:
    """The raw wanted elements (tag -> RawDataElement), where the pixel data begins, and the encoding."""

    elements: dict[int, Any]
    stop: int  # offset of the top-level pixel data element, or the file size when there is none
    implicit: bool


class _Buffer:
    """The file's bytes from its start, read in growing chunks as the walk needs them."""

    def __init__(self, fh: IO[bytes], size: int) -> None:
        self.fh, self.size = fh, size
        self.data = fh.read(min(size, 64 * 1024))

    def need(self, end: int) -> None:
        if end > self.size:
            raise Unusual("an element runs past the end of the file")
        if end > len(self.data):
            if end > _MAX_HEADER:
                raise Unusual("a header longer than the quick walk reads")
            self.data += self.fh.read(max(end, 2 * len(self.data)) - len(self.data))
            if end > len(self.data):
                raise Unusual("the file is shorter than its size said")


def read_header(fh: IO[bytes], size: int, wanted: frozenset[int]) -> Header:
    """Walk the header of the open file ``fh`` (``size`` bytes) and keep the ``wanted`` top-level tags."""
    from pydicom.dataelem import RawDataElement
    from pydicom.tag import BaseTag

    buf = _Buffer(fh, size)
    buf.need(_PREAMBLE + 4)
    if buf.data[_PREAMBLE : _PREAMBLE + 4] != b"DICM":
        raise Unusual("no DICM preamble")
    meta: dict[int, bytes] = {}
    pos = _PREAMBLE + 4
    while pos + 8 <= size:
        buf.need(pos + 8)
        if struct.unpack_from("<H", buf.data, pos)[0] != 0x0002:
            break
        tag, vr, length, start = _element(buf, pos, implicit=False)
        if length == _UNDEFINED:
            raise Unusual("an undefined length in the file meta information")
        buf.need(start + length)
        meta[tag] = buf.data[start : start + length]
        pos = start + length
    syntax = meta.get(0x00020010, b"").rstrip(b" \x00").decode("ascii", "replace")
    if not syntax or syntax in _OTHER:
        raise Unusual(f"transfer syntax {syntax!r}")
    implicit = syntax == _IMPLICIT_LE
    elements: dict[int, Any] = {}
    stop = _walk(buf, pos, size, wanted, implicit, elements, RawDataElement, BaseTag)
    return Header(elements, stop, implicit)


_EXPLICIT = struct.Struct("<HH2sH")  # group, element, VR, 2-byte length
_IMPLICIT = struct.Struct("<HHI")  # group, element, 4-byte length
_LENGTH = struct.Struct("<I")
_LOOKS_EXPLICIT = _LONG | _SHORT


def _walk(
    buf: _Buffer,
    pos: int,
    size: int,
    wanted: frozenset[int],
    implicit: bool,
    elements: dict[int, Any],
    raw: Any,
    base_tag: Any,
) -> int:
    """Walk the data set's top-level elements from ``pos``; keep the ``wanted`` ones in ``elements``.

    Returns where the pixel data begins (or ``size``). One loop with the header of each element unpacked
    at once: the scan walks some eighty elements per file, and a function call per element was most of it.
    """
    data, have = buf.data, len(buf.data)
    while pos < size:
        if pos + 12 > have:
            buf.need(pos + 8)
            buf.need(min(pos + 12, size))
            data, have = buf.data, len(buf.data)
        if implicit:
            group, element, length = _IMPLICIT.unpack_from(data, pos)
            tag = (group << 16) | element
            if tag in _PIXEL_TAGS:
                return pos
            if data[pos + 4 : pos + 6] in _LOOKS_EXPLICIT and group != 0xFFFE:
                raise Unusual("an implicit VR data set that looks explicit")
            vr, start = b"", pos + 8
        else:
            group, element, vr, length = _EXPLICIT.unpack_from(data, pos)
            tag = (group << 16) | element
            if tag in _PIXEL_TAGS:
                return pos
            if vr in _SHORT:
                start = pos + 8
            elif vr in _LONG:
                buf.need(pos + 12)
                length, start = _LENGTH.unpack_from(data, pos + 8)[0], pos + 12
            else:
                raise Unusual(f"unknown VR {vr!r}")
        if length == _UNDEFINED:
            pos = _skip_sequence(buf, start, implicit=implicit or vr == b"UN")
            data, have = buf.data, len(buf.data)
            continue
        end = start + length
        if end > have:
            buf.need(end)
            data, have = buf.data, len(buf.data)
        if tag in wanted:
            text_vr = None if implicit else vr.decode("ascii")
            elements[tag] = raw(base_tag(tag), text_vr, length, data[start:end], start, implicit, True, True, False)
        pos = end
    if pos != size:
        raise Unusual("the last element runs past the end of the file")
    return size


def _tag(data: bytes, pos: int) -> int:
    group, elem = struct.unpack_from("<HH", data, pos)
    return int((group << 16) | elem)


def _element(buf: _Buffer, pos: int, *, implicit: bool) -> tuple[int, bytes, int, int]:
    """(tag, VR, value length, value offset) of the element at ``pos``."""
    data = buf.data
    tag = _tag(data, pos)
    if implicit:
        if bytes(data[pos + 4 : pos + 6]) in _LONG | _SHORT and tag >> 16 != 0xFFFE:
            raise Unusual("an implicit VR data set that looks explicit")
        return tag, b"", struct.unpack_from("<I", data, pos + 4)[0], pos + 8
    vr = bytes(data[pos + 4 : pos + 6])
    if vr in _SHORT:
        return tag, vr, struct.unpack_from("<H", data, pos + 6)[0], pos + 8
    if vr in _LONG:
        buf.need(pos + 12)
        return tag, vr, struct.unpack_from("<I", buf.data, pos + 8)[0], pos + 12
    raise Unusual(f"unknown VR {vr!r}")


def _skip_sequence(buf: _Buffer, pos: int, *, implicit: bool) -> int:
    """The offset after an undefined-length sequence whose first item starts at ``pos``."""
    while True:
        buf.need(pos + 8)
        tag, length = _tag(buf.data, pos), struct.unpack_from("<I", buf.data, pos + 4)[0]
        pos += 8
        if tag == _SEQ_END:
            return pos
        if tag != _ITEM:
            raise Unusual("a sequence holds something other than items")
        pos = _skip_item(buf, pos, implicit=implicit) if length == _UNDEFINED else pos + length


def _skip_item(buf: _Buffer, pos: int, *, implicit: bool) -> int:
    """The offset after an undefined-length item whose first element starts at ``pos``."""
    while True:
        buf.need(pos + 8)
        if _tag(buf.data, pos) == _ITEM_END:
            return pos + 8
        _tag_, vr, length, start = _element(buf, pos, implicit=implicit)
        undefined = length == _UNDEFINED
        pos = _skip_sequence(buf, start, implicit=implicit or vr == b"UN") if undefined else start + length
