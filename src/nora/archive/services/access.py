"""Who is calling and what they may do in a project.

An :class:`Actor` is the authenticated caller. :func:`project_access` resolves their rights on one project
into an :class:`Access`, whose ``require_*`` methods raise :class:`Forbidden` with a message that names the
missing right. Projects a caller has no right on are reported as not found, so their names do not leak.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.archive.models import Project, Right, User
from nora.core.errors import Forbidden, NotAuthenticated, NotFound

GUEST = "guest"


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    is_admin: bool = False

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.id, user.username, user.is_admin)


SYSTEM = Actor(None, "system", True)
#: the anonymous caller of a public project
GUEST_ACTOR = Actor(None, GUEST, False)


@dataclass(frozen=True)
class Access:
    """An actor's rights on one project."""

    actor: Actor
    project: Project
    role: str
    readonly: bool
    download: bool
    batchtool: bool
    deanonym: bool

    @property
    def is_project_admin(self) -> bool:
        return self.actor.is_admin or self.role == "admin"

    @property
    def anonymised(self) -> bool:
        return bool(self.project.settings.get("anonymised", False))

    @property
    def sees_identity(self) -> bool:
        return not self.anonymised or self.deanonym or self.actor.is_admin

    def require_write(self) -> None:
        if self.readonly and not self.actor.is_admin:
            raise Forbidden(f"user {self.actor.username!r} has read-only access to project {self.project.name!r}")

    def require_admin(self) -> None:
        if not self.is_project_admin:
            raise Forbidden(f"user {self.actor.username!r} is not an admin of project {self.project.name!r}")

    def require_download(self) -> None:
        if not (self.download or self.is_project_admin):
            raise Forbidden(f"user {self.actor.username!r} has no download right in project {self.project.name!r}")

    def require_batchtool(self) -> None:
        if not (self.batchtool or self.is_project_admin):
            raise Forbidden(f"user {self.actor.username!r} has no batchtool right in project {self.project.name!r}")


def _admin_access(actor: Actor, project: Project) -> Access:
    return Access(actor, project, "admin", False, True, True, True)


def project_access(session: Session, actor: Actor, project_name: str) -> Access:
    """The actor's access to ``project_name``; :class:`NotFound` if it does not exist or is invisible."""
    project = session.scalar(select(Project).where(Project.name == project_name))
    if project is not None and actor.is_admin:
        return _admin_access(actor, project)
    right = None
    if project is not None and actor.user_id is not None:
        right = session.scalar(select(Right).where(Right.user_id == actor.user_id, Right.scope == project.name))
    if project is None or right is None:
        raise NotFound(f"project {project_name!r} does not exist or you have no right on it")
    return Access(actor, project, right.role, right.readonly, right.download, right.batchtool, right.deanonym)


def is_public(project: Project) -> bool:
    return bool(project.settings.get("public", False))


def guest_access(actor: Actor, project: Project) -> Access:
    """Read-only access to a public project: no writes, downloads, batch jobs or identities."""
    return Access(actor, project, "guest", True, False, False, False)


def read_access(session: Session, actor: Actor | None, project_name: str) -> Access:
    """Access for reading: the caller's own rights, else read-only guest access if the project is public.

    Anonymous callers are refused with :class:`NotAuthenticated` for any project that is not public, and a
    logged-in caller without a right on a non-public project gets :class:`NotFound` as everywhere else.
    """
    if actor is not None:
        try:
            return project_access(session, actor, project_name)
        except NotFound:
            project = session.scalar(select(Project).where(Project.name == project_name))
            if project is not None and is_public(project):
                return guest_access(actor, project)
            raise
    project = session.scalar(select(Project).where(Project.name == project_name))
    if project is None or not is_public(project):
        raise NotAuthenticated("not logged in: log in to open this project (it is not public)")
    return guest_access(GUEST_ACTOR, project)


def visible_projects(session: Session, actor: Actor | None) -> list[Access]:
    """Every project the actor may open, with their rights, ordered by name.

    Public projects are listed for everyone (as read-only guest access where the caller has no right);
    an anonymous caller (``None``) sees only those.
    """
    projects = session.scalars(select(Project).order_by(Project.name)).all()
    if actor is not None and actor.is_admin:
        return [_admin_access(actor, p) for p in projects]
    rights = {}
    if actor is not None and actor.user_id is not None:
        rights = {r.scope: r for r in session.scalars(select(Right).where(Right.user_id == actor.user_id))}
    out: list[Access] = []
    for p in projects:
        r = rights.get(p.name)
        if actor is not None and r is not None:
            out.append(Access(actor, p, r.role, r.readonly, r.download, r.batchtool, r.deanonym))
        elif is_public(p):
            out.append(guest_access(actor or GUEST_ACTOR, p))
    return out


def has_capability(session: Session, actor: Actor, capability: str) -> bool:
    """Whether the actor holds a capability right such as ``PACS_<node>`` or ``QUEUE_<queue>``."""
    if actor.is_admin:
        return True
    if actor.user_id is None:
        return False
    return session.scalar(select(Right.id).where(Right.user_id == actor.user_id, Right.scope == capability)) is not None


def require_system_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden(f"user {actor.username!r} is not a system admin")
