"""Projects and their rights."""

from __future__ import annotations

from fastapi import APIRouter, status

from nora.api.deps import DB, CurrentActor, OptionalActor, ProjectAccess, ReadAccess, State
from nora.api.schemas import GuestSettings, ProjectIn, ProjectOut, ProjectPatch, RightIn, RightOut
from nora.archive.services import projects as svc
from nora.archive.services import rights
from nora.archive.services.access import Access, project_access
from nora.archive.services.projects import ProjectSettings
from nora.reading.confinement import confinement

router = APIRouter(prefix="/projects", tags=["projects"])


def project_out(
    access: Access, counts: tuple[int, int], with_settings: bool = False, reading_only: bool = False
) -> ProjectOut:
    """The project as the caller sees it; a reader confined to a blind reading (``reading_only``) learns no
    counts and only the settings the viewer needs."""
    p = access.project
    settings: GuestSettings | ProjectSettings | None = None
    if with_settings and (access.role == "guest" or reading_only):
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
        n_patients=None if reading_only else counts[0],
        n_studies=None if reading_only else counts[1],
        settings=settings,
        reading_only=reading_only,
    )


def _reading_only(db: DB, access: Access) -> bool:
    return access.actor.user_id is not None and confinement(db, access) is not None


@router.get("", response_model=list[ProjectOut])
def list_projects(actor: OptionalActor, db: DB) -> list[ProjectOut]:
    """The caller's projects and every public one; without a login, only the public projects."""
    accesses = svc.visible_projects(db, actor)
    counts = svc.project_counts(db, [a.project.id for a in accesses])
    return [project_out(a, counts[a.project.id], reading_only=_reading_only(db, a)) for a in accesses]


@router.post("", response_model=ProjectOut, status_code=status.HTTP_201_CREATED)
def create_project(body: ProjectIn, actor: CurrentActor, db: DB, state: State) -> ProjectOut:
    settings = body.settings.model_dump(exclude_unset=True) if body.settings is not None else None
    svc.create_project(db, actor, state.layout, body.name, body.description, settings)
    db.commit()
    return project_out(project_access(db, actor, body.name), (0, 0), with_settings=True)


@router.get("/{project}", response_model=ProjectOut)
def get_project(access: ReadAccess, db: DB) -> ProjectOut:
    """The project, its counts and settings; for a reader confined to a blind reading only what the reading needs."""
    if _reading_only(db, access):
        return project_out(access, (0, 0), with_settings=True, reading_only=True)
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
