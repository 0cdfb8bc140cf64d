"""Marker sets: named points in world coordinates, stored as JSON in the patient's ``annotations/`` folder.

The file ``<patient>/annotations/<name>.json`` (NORA's location) is the document below, readable by scripts
without nora (docs/annotation.md describes it)::

    {"format": "nora.markers/1", "type": "pointset" | "freeline", "name": "...", "color": "#ffcc00",
     "size": 3.0, "points": [{"name": "P1", "x": 1.5, "y": -20.0, "z": 33.2}, ...],
     "reference": "STUDY/series/file.nii.gz" | null}

Points are RAS millimetres (NIfTI world space, as the viewer's crosshair); a ``freeline``'s points are its
ordered waypoints. Saves are versioned like ROIs (:mod:`nora.annotation.store`).
"""

from __future__ import annotations

import json
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from nora.annotation import store
from nora.annotation.models import AnnotationObject
from nora.archive.services import files
from nora.archive.services.access import Access
from nora.archive.storage import Layout
from nora.core.errors import CorruptFile, NotFound
from nora.core.ids import check_name
from nora.core.validation import validated

FOLDER = "annotations"
KIND = "markers"
FORMAT = "nora.markers/1"
MAX_POINTS = 100_000


class Point(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field("", max_length=128)
    x: float
    y: float
    z: float

    @field_validator("x", "y", "z")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("coordinates must be finite numbers (mm)")
        return value


class MarkerSet(BaseModel):
    """A pointset or freeline as saved (and as the REST API takes and gives it)."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["nora.markers/1"] = "nora.markers/1"
    type: Literal["pointset", "freeline"] = "pointset"
    name: str = Field(min_length=1, max_length=128)
    color: str = Field("#ffcc00", pattern=r"^#[0-9a-fA-F]{6}$")
    size: float = Field(3.0, gt=0, le=100)
    points: list[Point] = Field(default_factory=list, max_length=MAX_POINTS)
    reference: str | None = Field(None, max_length=1024)

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        check_name(value, "marker set name")
        return value


def marker_path(name: str) -> str:
    return f"{FOLDER}/{check_name(name, 'marker set name')}.json"


def encode(doc: MarkerSet) -> bytes:
    return (json.dumps(doc.model_dump(mode="json"), indent=2) + "\n").encode()


def decode(content: bytes, what: str = "marker set") -> MarkerSet:
    try:
        raw: Any = json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptFile(f"{what} is not JSON: {exc}") from None
    return validated(MarkerSet, raw, what)


def save_markers(
    session: Any, access: Access, layout: Layout, node: store.Node, doc: MarkerSet, *, base: int, tool: str = "markers"
) -> store.Saved:
    """Save a marker set in the patient's ``annotations/`` folder as the next version of its object."""
    patient_node = store.Node(node.patient, None)
    return store.save(
        session, access, layout, patient_node, KIND, marker_path(doc.name), encode(doc), base=base, tool=tool
    )


def load(session: Any, access: Access, layout: Layout, obj: AnnotationObject) -> MarkerSet:
    row = store.file_of(session, obj)
    if obj.kind != KIND or row is None:
        raise NotFound(f"{obj.path} is not a saved marker set (deleted?): restore a version first")
    return decode(files.file_location(session, layout, access, row).read_bytes(), obj.path)
