"""Shared viewer states: a saved view (files, layout, positions, zoom, colormaps, limits) behind a link.

A state is stored as a ``sharedstate`` document whose name is a random link id. Opening it re-checks the
recipient's access to the project and to every file, so a link never shows more than the recipient may
see: files that are gone (or moved to another project) are dropped and named in ``missing``.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.archive.models import File, JsonDocument, Patient, Study
from nora.archive.services import audit
from nora.archive.services.access import Access
from nora.archive.services.documents import Documents
from nora.core.errors import Forbidden, InvalidInput, NotFound
from nora.core.validation import MAX_INT, validated
from nora.viewer.autoloaders import Intent
from nora.viewer.layouts import MAX_VIEWPORTS, VIEWPORTS, LayoutName, SliceName

SHAREDSTATE = "sharedstate"  #: the json documents kind of shared states
MAX_ITEMS = 32
MAX_MEASUREMENTS = 1000
MAX_ROIS = 64
#: an ROI file of a study (annotation's ``ROIS/<name>.nii.gz``)
_ROI_PATH = re.compile(r"^ROIS/([^/]+)\.nii\.gz$")
Vec3 = tuple[float, float, float]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Mm3 = tuple[Finite, Finite, Finite]


class ItemState(Intent):
    """One object in a viewport: an archive file and how it looks there."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    file_id: int = Field(ge=1, le=MAX_INT)
    name: str = Field(default="", max_length=255)
    kind: Literal["volume", "mesh", "tract"] = "volume"
    visible: bool = True
    series: bool = False  # a DICOM series shown as one volume


class ViewportState(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    slice: SliceName = "axial"
    items: list[ItemState] = Field(default_factory=list, max_length=MAX_ITEMS)
    zoom: float = Field(default=1.0, gt=0.0, le=100.0)
    pan: Vec3 = (0.0, 0.0, 0.0)
    azimuth: float | None = None
    elevation: float | None = None
    #: columns of the mosaic (slice "mosaic"); None: the viewer's default
    mosaic_columns: int | None = Field(default=None, ge=1, le=24)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


class _OnSlice(_Strict):
    """Where niivue drew a line measurement: the slice it was made on (shown there only)."""

    slice_index: int = Field(ge=0, le=MAX_INT)
    slice_type: int = Field(ge=0, le=4, description="niivue's SLICE_TYPE: 0 axial, 1 coronal, 2 sagittal")
    slice_position: Finite


class DistanceState(_OnSlice):
    start_mm: Mm3
    end_mm: Mm3
    distance: Finite = Field(ge=0)


class LineState(_Strict):
    start: Mm3
    end: Mm3


class AngleState(_OnSlice):
    first: LineState
    second: LineState
    angle: Finite


class RegionStatsState(_Strict):
    n: int = Field(ge=0, le=MAX_INT)
    mean: Finite
    std: Finite
    min: Finite
    max: Finite
    area_mm2: Finite


class RegionState(_Strict):
    shape: Literal["rect", "ellipse"]
    start_mm: Mm3
    end_mm: Mm3
    stats: RegionStatsState


class FileMeasurements(_Strict):
    """The measurements made on one archive file (shown again whenever it is the background)."""

    file_id: int = Field(ge=1, le=MAX_INT)
    distances: list[DistanceState] = Field(default_factory=list, max_length=MAX_MEASUREMENTS)
    angles: list[AngleState] = Field(default_factory=list, max_length=MAX_MEASUREMENTS)
    regions: list[RegionState] = Field(default_factory=list, max_length=MAX_MEASUREMENTS)


class RoiState(_Strict):
    """An ROI of the archive shown with the link (at its current version when the link opens) and how it
    looked. ``pid``, ``sid`` and ``name`` are the server's: filled from the file on save and on opening."""

    file_id: int = Field(ge=1, le=MAX_INT)
    pid: str = Field(default="", max_length=128)
    sid: str = Field(default="", max_length=128)
    name: str = Field(default="", max_length=255)
    colour: str = Field(default="#ff3b30", pattern=r"^#[0-9a-fA-F]{6}$")
    visible: bool = True
    opacity: Finite = Field(default=0.5, ge=0.0, le=1.0)
    outline: bool = False


class ViewerState(BaseModel):
    """Everything needed to reopen a view exactly."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    layout: LayoutName = "single"
    crosshair_mm: Vec3 | None = None
    viewports: list[ViewportState] = Field(default_factory=list, max_length=MAX_VIEWPORTS)
    pid: str | None = Field(default=None, max_length=128)
    sid: str | None = Field(default=None, max_length=128)
    #: the viewer's measurements, per file (distances, angles, regions with their statistics)
    measurements: list[FileMeasurements] = Field(default_factory=list, max_length=256)
    #: the ROI tool's saved ROIs (files ``ROIS/<name>.nii.gz``); ROIs deleted since are dropped on opening
    rois: list[RoiState] = Field(default_factory=list, max_length=MAX_ROIS)

    def check(self) -> ViewerState:
        if len(self.viewports) > VIEWPORTS[self.layout]:
            raise InvalidInput(
                f"layout {self.layout!r} has {VIEWPORTS[self.layout]} viewports, the state lists {len(self.viewports)}"
            )
        return self


def validate(raw: object) -> ViewerState:
    return validated(ViewerState, raw, "viewer state", whole="state").check()


@dataclass(frozen=True)
class Shared:
    link: str
    title: str
    owner: str
    state: ViewerState
    missing: list[int]
    #: whether the caller may overwrite this link (its creator or a project admin)
    may_overwrite: bool


def _file_ids(state: ViewerState) -> set[int]:
    shown = {item.file_id for vp in state.viewports for item in vp.items}
    return shown | {m.file_id for m in state.measurements} | {r.file_id for r in state.rois}


def _check_files(session: Session, access: Access, state: ViewerState) -> set[int]:
    """The state's file IDs that exist in this project."""
    ids = _file_ids(state)
    if not ids:
        return set()
    query = select(File.id).where(File.id.in_(ids), File.project_id == access.project.id)
    return set(session.scalars(query))


def _roi_files(session: Session, access: Access, state: ViewerState) -> dict[int, tuple[str, str, str]]:
    """The state's ROI file IDs that are ROI files of a study of this project: (pid, sid, ROI name)."""
    ids = {r.file_id for r in state.rois}
    if not ids:
        return {}
    query = (
        select(File.id, File.path, Patient.pid, Study.sid)
        .join(Study, Study.id == File.study_id)
        .join(Patient, Patient.id == Study.patient_id)
        .where(File.id.in_(ids), File.project_id == access.project.id)
    )
    found = {}
    for file_id, path, pid, sid in session.execute(query):
        m = _ROI_PATH.match(path)
        if m:
            found[file_id] = (pid, sid, m.group(1))
    return found


def _place_rois(state: ViewerState, found: dict[int, tuple[str, str, str]]) -> None:
    """Keep the ROIs whose files are ROI files still there, named by the archive."""
    kept = []
    for roi in state.rois:
        if roi.file_id in found:
            roi.pid, roi.sid, roi.name = found[roi.file_id]
            kept.append(roi)
    state.rois = kept


def _links(session: Session, access: Access) -> Documents:
    return Documents(session, access, SHAREDSTATE, "shared link")


def _find(links: Documents, link: str) -> JsonDocument:
    doc = links.shared(link)
    if doc is None:
        raise NotFound(f"shared link {link!r} does not exist in project {links.access.project.name!r} (or was deleted)")
    return doc


def save(session: Session, access: Access, state: ViewerState, title: str = "", link: str | None = None) -> Shared:
    """Store a state as a new link, or overwrite the link ``link`` (its owner or a project admin only)."""
    links = _links(session, access)
    links.require_writer()
    state.check()
    unknown = _file_ids(state) - _check_files(session, access, state)
    if unknown:
        raise InvalidInput(f"the state names files that are not in project {access.project.name!r}: {sorted(unknown)}")
    rois = _roi_files(session, access, state)
    not_rois = sorted({r.file_id for r in state.rois} - set(rois))
    if not_rois:
        raise InvalidInput(
            f"the state's rois name files that are not ROI files (a study's ROIS/<name>.nii.gz): {not_rois}"
        )
    _place_rois(state, rois)
    content = {"title": title[:255], "state": state.model_dump(mode="json")}
    if link is None:
        doc = links.put(secrets.token_urlsafe(12), content, shared=True)
    else:
        doc = _find(links, link)
        if not links.may_change(doc):
            raise Forbidden("only the link's creator or a project admin may overwrite it; save a new link instead")
        links.replace(doc, content)
    audit.record(session, access.actor, "sharedstate.save", project=access.project.name, target=doc.name)
    return Shared(doc.name, title[:255], links.owner_name(doc), state, [], links.may_change(doc))


def open_link(session: Session, access: Access, link: str) -> Shared:
    """The stored state as the caller may see it; files they cannot see are dropped and listed."""
    links = _links(session, access)
    doc = _find(links, link)
    state = validate(doc.content.get("state", {}))
    present = _check_files(session, access, state)
    missing = sorted(_file_ids(state) - present)
    for vp in state.viewports:
        vp.items = [item for item in vp.items if item.file_id in present]
    state.measurements = [m for m in state.measurements if m.file_id in present]
    _place_rois(state, _roi_files(session, access, state))
    title = str(doc.content.get("title", ""))
    return Shared(doc.name, title, links.owner_name(doc), state, missing, links.may_change(doc))
