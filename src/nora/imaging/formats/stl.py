"""STL triangle meshes (``.stl``), binary or ASCII.

Binary STL has an 80-byte header, a uint32 triangle count and 50 bytes per triangle, so its length must
be exactly ``84 + 50 * n``; that equality is what recognises it. ASCII STL opens with ``solid`` and lists
``facet`` blocks, each an ``outer loop`` of three ``vertex`` lines, closed by ``endsolid``. STL does not
share vertices between faces, so the vertex count reported is ``n_vertices_listed`` (3 per face).
"""

from __future__ import annotations

import struct
from typing import Any

from nora.core.errors import CorruptFile, NoraError
from nora.imaging.formats.base import FormatSpec, Probe, open_content, text

_BINARY_HEADER = 84
_TRIANGLE = 50


def _binary_count(probe: Probe) -> int | None:
    if len(probe.head) < _BINARY_HEADER:
        return None
    (n,) = struct.unpack("<I", probe.head[80:84])
    return int(n)


def _is_binary(probe: Probe) -> bool:
    n = _binary_count(probe)
    # At least one triangle: any 84-byte file with four zero bytes at offset 80 would match "no triangles".
    return n is not None and n > 0 and not probe.gzipped and probe.size == _BINARY_HEADER + _TRIANGLE * n


def _is_ascii(probe: Probe) -> bool:
    start = probe.head.lstrip()[:1024]
    return (
        start[:5].lower() == b"solid" and b"\0" not in start and (b"facet" in probe.head or b"endsolid" in probe.head)
    )


def _sniff(probe: Probe) -> bool:
    return _is_binary(probe) or _is_ascii(probe)


def _is_point(words: list[str]) -> bool:
    try:
        return len([float(w) for w in words]) == 3
    except ValueError:
        return False


def _ascii_counts(probe: Probe) -> tuple[int, int, str]:
    """Faces and vertices of an ASCII STL, checking that every facet and solid is complete."""
    faces = vertices = solids = open_solids = facet_vertices = 0
    in_facet = False
    name = ""
    with open_content(probe) as stream:
        for number, raw in enumerate(stream, 1):
            words = raw.decode("latin-1").split()
            if not words:
                continue
            keyword = words[0].lower()
            if keyword == "solid":
                solids += 1
                open_solids += 1
                name = name or " ".join(words[1:])
            elif keyword == "endsolid":
                open_solids -= 1
            elif keyword == "facet":
                if in_facet:
                    raise CorruptFile(f"{probe.name}: ASCII STL line {number}: facet opened inside a facet")
                in_facet, facet_vertices = True, 0
            elif keyword == "vertex":
                if not in_facet or not _is_point(words[1:]):
                    raise CorruptFile(f"{probe.name}: ASCII STL line {number}: expected a vertex x y z in a facet")
                facet_vertices += 1
                vertices += 1
            elif keyword == "endfacet":
                if not in_facet or facet_vertices != 3:
                    raise CorruptFile(f"{probe.name}: ASCII STL line {number}: facet without 3 vertices")
                in_facet = False
                faces += 1
    if in_facet or open_solids != 0 or solids == 0:
        raise CorruptFile(f"{probe.name}: ASCII STL ends before 'endsolid' (truncated?)")
    return faces, vertices, name


def _summarise(probe: Probe) -> dict[str, Any]:
    if _is_binary(probe):
        n = _binary_count(probe) or 0
        return {
            "encoding": "binary",
            "n_faces": n,
            "n_vertices_listed": 3 * n,
            "description": text(probe.head[:80]),
        }
    faces, vertices, name = _ascii_counts(probe)
    return {"encoding": "ascii", "n_faces": faces, "n_vertices_listed": vertices, "description": name}


def _diagnose(probe: Probe) -> NoraError | None:
    """A ``.stl`` whose length does not match its triangle count is corrupt if its header is text.

    Exporters write a text (or zero-padded) 80-byte header, so such a file is a damaged STL; a file with
    binary noise there is not an STL at all and is left to the registry's "unsupported" answer.
    """
    if probe.suffix != "stl" or probe.gzipped:
        return None
    n = _binary_count(probe)
    if n is None:
        return CorruptFile(
            f"{probe.name}: a binary STL needs at least {_BINARY_HEADER} bytes but the file has {probe.size}"
        )
    if not all(32 <= b < 127 or b in (0, 9, 10, 13) for b in probe.head[:80]):
        return None
    return CorruptFile(
        f"{probe.name}: binary STL declares {n} triangles ({_BINARY_HEADER + _TRIANGLE * n} bytes) "
        f"but the file has {probe.size} bytes, and it is not ASCII STL either"
    )


SPEC = FormatSpec(
    name="stl",
    extensions=("stl",),
    min_size=_BINARY_HEADER,
    sniff=_sniff,
    summarise=_summarise,
    diagnose=_diagnose,
)
