"""The project's naming policy: where a converted series goes inside its study folder.

A policy is a template such as ``{series_description}/s{series_number:03d}`` (the default: a folder per
series named from the series description, or the protocol when there is none, and files ``s<number>``).
Placeholders: ``series_description``, ``protocol``, ``series_number``, ``modality``, ``series_uid``,
``study_date``, ``acquisition`` (series description, protocol or modality, whichever is set first).
Every filled-in value is sanitised to letters, digits, ``.``, ``_`` and ``-``; the result must be a safe
relative path with at least a file name.
"""

from __future__ import annotations

import hashlib
import re
import string
from typing import Any

from nora.core.errors import InvalidInput

PLACEHOLDERS = (
    "series_description",
    "protocol",
    "series_number",
    "modality",
    "series_uid",
    "study_date",
    "acquisition",
)
DEFAULT = "{series_description}/s{series_number:03d}"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_UID = re.compile(r"[0-9]+(\.[0-9]+)*")
_SEGMENT = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$")


def sanitise(value: str, fallback: str = "unnamed") -> str:
    """A folder-safe form of ``value``: runs of other characters become ``_``; never empty or dotted."""
    cleaned = _UNSAFE.sub("_", value.strip()).strip("._-")[:64]
    return cleaned or fallback


def is_uid(text: str) -> bool:
    """Whether ``text`` is a well-formed DICOM UID (digits and dots, at most 64 characters)."""
    return len(text) <= 64 and _UID.fullmatch(text) is not None


def uid_name(uid: str) -> str:
    """A file name for a UID read from a file: the UID itself when well-formed; otherwise (a broken or
    hostile value such as ``../../x``) its sanitised form and a digest, so the name never leaves its
    folder and two such values never share it."""
    if is_uid(uid):
        return uid
    return f"{sanitise(uid, 'uid')[:40]}-{hashlib.sha256(uid.encode('utf-8', 'replace')).hexdigest()[:12]}"


def check_policy(template: str) -> str:
    """Validate a naming template (placeholders and result shape) or raise :class:`InvalidInput`."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise InvalidInput(f"invalid naming policy {template!r}: {exc}") from None
    unknown = sorted({f.split(".")[0].split("[")[0] for f in fields} - set(PLACEHOLDERS))
    if unknown:
        raise InvalidInput(
            f"invalid naming policy {template!r}: unknown placeholder(s) {', '.join(unknown)}; "
            f"use {', '.join(PLACEHOLDERS)}"
        )
    render(template, {"series_number": 1, "series_description": "t1", "protocol": "t1", "modality": "MR"})
    return template


def render(template: str, values: dict[str, Any]) -> str:
    """The relative path (without extension) for one series."""
    desc = str(values.get("series_description") or "")
    proto = str(values.get("protocol") or "")
    filled: dict[str, Any] = {
        "series_description": sanitise(desc or proto, "series"),
        "protocol": sanitise(proto or desc, "series"),
        "series_number": int(values.get("series_number") or 0),
        "modality": sanitise(str(values.get("modality") or ""), "OT"),
        "series_uid": sanitise(str(values.get("series_uid") or ""), "uid"),
        "study_date": sanitise(str(values.get("study_date") or ""), "nodate"),
        "acquisition": sanitise(desc or proto or str(values.get("modality") or ""), "series"),
    }
    try:
        rel = template.format_map(filled)
    except (ValueError, KeyError, IndexError, AttributeError) as exc:
        raise InvalidInput(f"invalid naming policy {template!r}: {exc}") from None
    parts = rel.split("/")
    if not 1 <= len(parts) <= 8 or any(not _SEGMENT.match(p) for p in parts):
        raise InvalidInput(
            f"naming policy {template!r} gives {rel!r}: each level must be a safe name (letters, digits, "
            "'.', '_', '-', not starting with a dot), at most 8 levels"
        )
    return rel
