"""Projects and their rights."""

from __future__ import annotations

from fastapi import APIRouter, status

from nora.api.deps import DB, CurrentActor, OptionalActor, ProjectAccess, ReadAccess, State
from nora.api.schemas import GuestSettings, ProjectIn, ProjectOut, ProjectPatch, RightIn, RightOut
from nora.archive.services import projects as svc
from nora.archive.services import rights
from nora.archive.services.access import Access, project_access
from nora.archive.services.projects import ProjectSettings

router = APIRouter(prefix="/projects", tags=["projects"])


def project_out(access: Access, counts: tuple[int, int], with_settings: bool = False) -> ProjectOut:
    p = access.project
    settings: GuestSettings | ProjectSettings | None = None
    if with_settings and access.role == "guest":
        shown = {k: v for k, v in p.settings.items() if k in GuestSettings.model_fields}
        settings = GuestSettings.model_validate(shown)
    elif with_settings:
        settings = ProjectSettings.model_validate(p.settings)
    return ProjectOut(
        name=p.name,
        description=p.description,
        role=access.role,
        readonly=access.readonly,
        download=access.download or access.is_project_admin,  # project admins download implicitly
        batchtool=access.batchtool,
        deanonym=access.deanonym,
        anonymised=access.anonymised,
        public=bool(p.settings.get("public", False)),
        n_patients=counts[0],
        n_studies=counts[1],
        settings=settings,
    )


@router.get("", response_model=list[ProjectOut])
def list_projects(actor: OptionalActor, db: DB) -> list[ProjectOut]:
    """The caller's projects and every public one; without a login, only the public projects."""
    accesses = svc.visible_projects(db, actor)
    counts = svc.project_counts(db, [a.project.id for a in accesses])
    return [project_out(a, counts[a.project.id]) for a in accesses]


@router.post("", response_model=ProjectOut, status_code=status.HTTP_201_CREATED)
def create_project(body: ProjectIn, actor: CurrentActor, db: DB, state: State) -> ProjectOut:
    settings = body.settings.model_dump(exclude_unset=True) if body.settings is not None else None
    svc.create_project(db, actor, state.layout, body.name, body.description, settings)
    db.commit()
    return project_out(project_access(db, actor, body.name), (0, 0), with_settings=True)


@router.get("/{project}", response_model=ProjectOut)
def get_project(access: ReadAccess, db: DB) -> ProjectOut:
    return project_out(access, svc.project_counts(db, [access.project.id])[access.project.id], with_settings=True)


@router.patch("/{project}", response_model=ProjectOut)
def update_project(body: ProjectPatch, access: ProjectAccess, db: DB) -> ProjectOut:
    settings = body.settings.model_dump(exclude_unset=True) if body.settings is not None else None
    svc.update_project(db, access, body.description, settings)
    db.commit()
    return project_out(access, svc.project_counts(db, [access.project.id])[access.project.id], with_settings=True)


@router.get("/{project}/rights", response_model=list[RightOut])
def list_rights(access: ProjectAccess, db: DB) -> list[RightOut]:
    return [RightOut.of(u, r) for u, r in rights.list_rights(db, access.actor, access.project.name)]


@router.put("/{project}/rights/{username}", response_model=RightOut)
def set_right(username: str, body: RightIn, access: ProjectAccess, db: DB) -> RightOut:
    right = rights.grant(db, access.actor, username, access.project.name, rights.RightSpec(**body.model_dump()))
    db.commit()
    return RightOut.of(username, right)


@router.delete("/{project}/rights/{username}", status_code=status.HTTP_204_NO_CONTENT)
def delete_right(username: str, access: ProjectAccess, db: DB) -> None:
    rights.revoke(db, access.actor, username, access.project.name)
    db.commit()
