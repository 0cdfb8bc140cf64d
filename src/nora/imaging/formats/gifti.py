"""GIFTI surfaces and surface data (``.gii``): XML whose root element is ``<GIFTI``.

nibabel parses the whole document (GIFTI keeps its arrays inside the XML, so there is no header-only
read); a truncated document fails to parse and is refused. Vertices are counted from the
``NIFTI_INTENT_POINTSET`` array and faces from the ``NIFTI_INTENT_TRIANGLE`` array.
"""

from __future__ import annotations

import re
from typing import Any

from nora.core.errors import CorruptFile
from nora.imaging.formats.base import FormatSpec, Probe, open_content

_ROOT = re.compile(rb"<GIFTI[\s>/]")
_BOM = b"\xef\xbb\xbf"


def _sniff(probe: Probe) -> bool:
    start = probe.head.removeprefix(_BOM).lstrip()
    return start.startswith(b"<") and _ROOT.search(probe.head) is not None


def _summarise(probe: Probe) -> dict[str, Any]:
    from nibabel.gifti import gifti
    from nibabel.nifti1 import intent_codes

    image_class: Any = gifti.GiftiImage  # its parser attribute is typed as the untyped base class
    parser = image_class.parser(mmap=False)
    with open_content(probe) as stream:
        parser.parse(fptr=stream)
    image = parser.img
    arrays: list[dict[str, Any]] = []
    out: dict[str, Any] = {}
    for darray in image.darrays:
        intent = str(intent_codes.niistring[darray.intent])
        dims = [int(d) for d in darray.dims]
        arrays.append({"intent": intent, "dtype": darray.data.dtype.name, "dims": dims})
        if intent == "NIFTI_INTENT_POINTSET" and "n_vertices" not in out:
            out["n_vertices"] = dims[0]
        elif intent == "NIFTI_INTENT_TRIANGLE" and "n_faces" not in out:
            out["n_faces"] = dims[0]
    if not arrays:
        raise CorruptFile(f"{probe.name}: GIFTI document holds no data arrays")
    out["n_data_arrays"] = len(arrays)
    out["arrays"] = arrays
    return out


SPEC = FormatSpec(
    name="gifti",
    extensions=("gii",),
    min_size=len(b"<GIFTI>"),
    sniff=_sniff,
    summarise=_summarise,
)
