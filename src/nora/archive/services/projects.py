"""Projects: creation, settings and listing."""

from __future__ import annotations

import math
from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nora.archive.models import Patient, Project, Study
from nora.archive.services import audit
from nora.archive.services.access import Access, Actor, project_access, require_system_admin, visible_projects
from nora.archive.storage import Layout
from nora.core.errors import Conflict, Forbidden, InvalidInput
from nora.core.ids import check_name
from nora.core.validation import validated

#: keys of colour-limit presets: the viewer's number keys, as NORA's ``colormap.colorlimpresets``
PRESET_KEYS = tuple(str(k) for k in range(9))


def _unset(value: float | None) -> bool:
    return value is None


class ColorLimPreset(BaseModel):
    """A colour-limit (window) preset: ``level`` and ``width`` (CT style) or ``min`` and ``max``."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    # the unused pair is left out of the document (and so is optional in the output schema)
    level: float | None = Field(default=None, exclude_if=_unset)
    width: float | None = Field(default=None, exclude_if=_unset)
    min: float | None = Field(default=None, exclude_if=_unset)
    max: float | None = Field(default=None, exclude_if=_unset)

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        window = (self.level, self.width)
        limits = (self.min, self.max)
        if any(v is not None and not math.isfinite(v) for v in (*window, *limits)):
            raise ValueError("level, width, min and max must be finite numbers")
        if all(v is not None for v in window) and all(v is None for v in limits):
            if self.width is not None and self.width <= 0:
                raise ValueError(f"width must be positive, got {self.width:g}")
            return self
        if all(v is not None for v in limits) and all(v is None for v in window):
            if self.min is not None and self.max is not None and self.min >= self.max:
                raise ValueError(f"min ({self.min:g}) must be below max ({self.max:g})")
            return self
        raise ValueError("give either level and width, or min and max (not both)")


class ProjectSettings(BaseModel):
    """A project's settings document; unknown keys are refused so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    anonymised: bool = False
    #: anonymised projects: dates of kept originals, sidecars, study rows and folder names (docs/import.md)
    anonymised_dates: Literal["shift", "remove", "keep"] = "shift"
    public: bool = False
    #: how import names series folders and files (placeholders filled by the importer)
    naming: str = "{series_description}/s{series_number:03d}"
    keep_originals: bool = True
    queues: dict[str, Any] = Field(default_factory=dict)
    autoexec: list[dict[str, Any]] = Field(default_factory=list)
    #: the viewer's number keys 0-8; None (or absent) means the standard CT windows (see docs/viewer.md)
    colorlimpresets: dict[str, ColorLimPreset] | None = None
    #: the segmentation assistant's backend in this project; None: the server's ``[assistant] backend``
    assistant_backend: Literal["builtin", "patchwork", "nninteractive"] | None = None

    @field_validator("colorlimpresets")
    @classmethod
    def _preset_keys(cls, value: dict[str, ColorLimPreset] | None) -> dict[str, ColorLimPreset] | None:
        bad = sorted(k for k in value or {} if k not in PRESET_KEYS)
        if bad:
            raise ValueError(f"preset keys are the digits 0 to 8, not {', '.join(map(repr, bad))}")
        return value


def validate_settings(raw: dict[str, Any] | None, base: dict[str, Any] | None = None) -> dict[str, Any]:
    merged = {**(base or {}), **(raw or {})}
    return validated(ProjectSettings, merged, "project settings", whole="settings").model_dump()


def create_project(
    session: Session,
    actor: Actor,
    layout: Layout,
    name: str,
    description: str = "",
    settings: dict[str, Any] | None = None,
) -> Project:
    """Create a project and its folder (system admins only)."""
    require_system_admin(actor)
    check_name(name, "project name")
    if name.upper().startswith(("PACS_", "PACSQUERY_", "QUEUE_")):
        raise InvalidInput(f"project name {name!r} is reserved for capability rights")
    if session.scalar(select(Project.id).where(func.lower(Project.name) == name.lower())) is not None:
        raise Conflict(f"project {name!r} already exists")
    project = Project(name=name, description=description, settings=validate_settings(settings))
    session.add(project)
    session.flush()
    layout.project_dir(name).mkdir(parents=True, exist_ok=True)
    audit.record(session, actor, "project.create", project=name, public=project.settings["public"])
    return project


def update_project(
    session: Session,
    access: Access,
    description: str | None = None,
    settings: dict[str, Any] | None = None,
) -> Project:
    access.require_admin()
    project = access.project
    if description is not None:
        project.description = description
    if settings is not None:
        merged = validate_settings(settings, project.settings)
        was_public = bool(project.settings.get("public", False))
        if merged["public"] != was_public:
            # public opens the project to anonymous readers: a system admin's decision; closing it is anyone's
            if merged["public"] and not access.actor.is_admin:
                raise Forbidden(f"only a system admin may make project {project.name!r} public")
            audit.record(session, access.actor, "project.public", project=project.name, public=merged["public"])
        project.settings = merged
    audit.record(
        session, access.actor, "project.update", project=project.name, description=description, settings=settings
    )
    return project


def project_counts(session: Session, project_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(patients, studies) per project id."""
    pats = dict(
        session.execute(
            select(Patient.project_id, func.count())
            .where(Patient.project_id.in_(project_ids))
            .group_by(Patient.project_id)
        ).all()
    )
    studs = dict(
        session.execute(
            select(Study.project_id, func.count()).where(Study.project_id.in_(project_ids)).group_by(Study.project_id)
        ).all()
    )
    return {pid: (pats.get(pid, 0), studs.get(pid, 0)) for pid in project_ids}


__all__ = [
    "create_project",
    "project_access",
    "project_counts",
    "update_project",
    "validate_settings",
    "visible_projects",
]
