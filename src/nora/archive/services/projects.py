"""Projects: creation, settings and listing."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nora.archive.models import Patient, Project, Study
from nora.archive.services import audit
from nora.archive.services.access import Access, Actor, project_access, require_system_admin, visible_projects
from nora.archive.storage import Layout
from nora.core.errors import Conflict, InvalidInput
from nora.core.ids import check_name


class ProjectSettings(BaseModel):
    """A project's settings document; unknown keys are refused so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid")

    anonymised: bool = False
    public: bool = False
    #: how import names series folders and files (placeholders filled by the importer)
    naming: str = "{series_description}/s{series_number:03d}"
    keep_originals: bool = True
    queues: dict[str, Any] = Field(default_factory=dict)
    autoexec: list[dict[str, Any]] = Field(default_factory=list)


def validate_settings(raw: dict[str, Any] | None, base: dict[str, Any] | None = None) -> dict[str, Any]:
    merged = {**(base or {}), **(raw or {})}
    try:
        return ProjectSettings.model_validate(merged).model_dump()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors())
        raise InvalidInput(f"invalid project settings: {problems}") from None


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
    audit.record(session, actor, "project.create", project=name)
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
        project.settings = validate_settings(settings, project.settings)
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
