"""Shared viewer states: a saved view (files, layout, positions, zoom, colormaps, limits) behind a link.

A state is stored as a ``sharedstate`` document whose name is a random link id. Opening it re-checks the
recipient's access to the project and to every file, so a link never shows more than the recipient may
see: files that are gone (or moved to another project) are dropped and named in ``missing``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.archive.models import File, JsonDocument
from nora.archive.services import audit
from nora.archive.services.access import Access
from nora.core.errors import Forbidden, InvalidInput, NotFound, validation_problems
from nora.viewer import documents
from nora.viewer.autoloaders import Intent
from nora.viewer.layouts import MAX_VIEWPORTS, VIEWPORTS, LayoutName, SliceName

MAX_ITEMS = 32
Vec3 = tuple[float, float, float]


class ItemState(Intent):
    """One object in a viewport: an archive file and how it looks there."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    file_id: int = Field(ge=1)
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


class ViewerState(BaseModel):
    """Everything needed to reopen a view exactly."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    layout: LayoutName = "single"
    crosshair_mm: Vec3 | None = None
    viewports: list[ViewportState] = Field(default_factory=list, max_length=MAX_VIEWPORTS)
    pid: str | None = Field(default=None, max_length=128)
    sid: str | None = Field(default=None, max_length=128)

    def check(self) -> ViewerState:
        if len(self.viewports) > VIEWPORTS[self.layout]:
            raise InvalidInput(
                f"layout {self.layout!r} has {VIEWPORTS[self.layout]} viewports, the state lists {len(self.viewports)}"
            )
        return self


def validate(raw: object) -> ViewerState:
    try:
        return ViewerState.model_validate(raw).check()
    except ValidationError as exc:
        problems = validation_problems(exc.errors(), "state")
        raise InvalidInput(f"invalid viewer state: {problems}") from None


@dataclass(frozen=True)
class Shared:
    link: str
    title: str
    owner: str
    state: ViewerState
    missing: list[int]


def _file_ids(state: ViewerState) -> set[int]:
    return {item.file_id for vp in state.viewports for item in vp.items}


def _check_files(session: Session, access: Access, state: ViewerState) -> set[int]:
    """The state's file IDs that exist in this project."""
    ids = _file_ids(state)
    if not ids:
        return set()
    query = select(File.id).where(File.id.in_(ids), File.project_id == access.project.id)
    return set(session.scalars(query))


def _find(session: Session, access: Access, link: str) -> JsonDocument:
    doc = session.scalar(
        select(JsonDocument).where(
            JsonDocument.project_id == access.project.id,
            JsonDocument.kind == documents.SHAREDSTATE,
            JsonDocument.name == link,
        )
    )
    if doc is None:
        raise NotFound(f"shared link {link!r} does not exist in project {access.project.name!r} (or was deleted)")
    return doc


def save(session: Session, access: Access, state: ViewerState, title: str = "", link: str | None = None) -> Shared:
    """Store a state as a new link, or overwrite the link ``link`` (its owner or a project admin only)."""
    if access.actor.user_id is None or access.role == "guest":
        raise Forbidden("guests of a public project cannot save shared links; a right on the project is needed")
    state.check()
    unknown = _file_ids(state) - _check_files(session, access, state)
    if unknown:
        raise InvalidInput(f"the state names files that are not in project {access.project.name!r}: {sorted(unknown)}")
    if link is None:
        doc = JsonDocument(
            project_id=access.project.id,
            owner_id=access.actor.user_id,
            kind=documents.SHAREDSTATE,
            name=secrets.token_urlsafe(12),
            shared=True,
        )
        session.add(doc)
    else:
        doc = _find(session, access, link)
        if doc.owner_id != access.actor.user_id and not access.is_project_admin:
            raise Forbidden("only the link's creator or a project admin may overwrite it; save a new link instead")
    doc.content = {"title": title[:255], "state": state.model_dump(mode="json")}
    documents.touch(doc)
    session.flush()
    audit.record(session, access.actor, "sharedstate.save", project=access.project.name, target=doc.name)
    return Shared(doc.name, title[:255], access.actor.username, state, [])


def open_link(session: Session, access: Access, link: str) -> Shared:
    """The stored state as the caller may see it; files they cannot see are dropped and listed."""
    doc = _find(session, access, link)
    state = validate(doc.content.get("state", {}))
    present = _check_files(session, access, state)
    missing = sorted(_file_ids(state) - present)
    for vp in state.viewports:
        vp.items = [item for item in vp.items if item.file_id in present]
    owner = documents.owner_names(session, [doc]).get(doc.owner_id or -1, "")
    return Shared(doc.name, str(doc.content.get("title", "")), owner, state, missing)
