"""JSON documents (``.json``): sidecars and metadata, recognised by a leading ``{`` or ``[``.

A document that starts like JSON but does not parse (a truncated upload) is refused as corrupt.
"""

from __future__ import annotations

import json
from typing import Any

from nora.core.errors import CorruptFile
from nora.imaging.formats.base import FormatSpec, Probe, read_content

_BOM = b"\xef\xbb\xbf"
_MAX_KEYS = 100


def _sniff(probe: Probe) -> bool:
    return probe.head.removeprefix(_BOM).lstrip()[:1] in (b"{", b"[")


def _summarise(probe: Probe) -> dict[str, Any]:
    raw = read_content(probe, "JSON document")
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise CorruptFile(f"{probe.name}: JSON is not valid UTF-8 at byte {exc.start}") from exc
    except json.JSONDecodeError as exc:
        raise CorruptFile(f"{probe.name}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    if isinstance(document, dict):
        return {"type": "object", "n_keys": len(document), "keys": list(document)[:_MAX_KEYS]}
    if isinstance(document, list):
        return {"type": "array", "n_items": len(document)}
    raise CorruptFile(f"{probe.name}: JSON document is a {type(document).__name__}, not an object or array")


SPEC = FormatSpec(
    name="json",
    extensions=("json",),
    min_size=2,
    sniff=_sniff,
    summarise=_summarise,
)
