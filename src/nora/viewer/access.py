"""Who may open what in the viewer: project rights, plus guest (read-only) access to public projects.

A project whose settings say ``public: true`` can be viewed without logging in; everyone else goes
through :func:`~nora.archive.services.access.project_access`, so a link or URL call never shows more than
its recipient's own rights allow.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.archive.models import Project
from nora.archive.services.access import GUEST, Access, Actor, project_access
from nora.core.errors import NotAuthenticated

GUEST_ACTOR = Actor(None, GUEST, False)


def viewer_access(session: Session, actor: Actor | None, project_name: str) -> Access:
    """The caller's access; anonymous callers get read-only guest access to public projects only."""
    if actor is not None:
        return project_access(session, actor, project_name)
    project = session.scalar(select(Project).where(Project.name == project_name))
    if project is None or not project.settings.get("public", False):
        raise NotAuthenticated("not logged in: log in to view this project (it is not public)")
    return Access(GUEST_ACTOR, project, "user", True, False, False, False)


def is_guest(access: Access) -> bool:
    return access.actor.user_id is None and access.actor.username == GUEST
