"""Granting and revoking rights on projects and capabilities."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.archive.models import Project, Right, User
from nora.archive.services import audit
from nora.archive.services.access import Actor, project_access, require_system_admin
from nora.archive.services.accounts import get_user
from nora.core.errors import InvalidInput, NotFound

CAPABILITY = re.compile(r"^(PACS|PACSQUERY|QUEUE)_[A-Za-z0-9._\-]{1,128}$")
ROLES = ("user", "admin")


@dataclass(frozen=True)
class RightSpec:
    role: str = "user"
    readonly: bool = False
    download: bool = False
    batchtool: bool = False
    deanonym: bool = False

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise InvalidInput(f"invalid role {self.role!r}: use one of {', '.join(ROLES)}")


def _check_scope(session: Session, actor: Actor, scope: str) -> None:
    """Capabilities are granted by system admins; project rights by project admins too."""
    if CAPABILITY.match(scope):
        require_system_admin(actor)
        return
    if session.scalar(select(Project.id).where(Project.name == scope)) is None:
        raise NotFound(
            f"project {scope!r} does not exist (capabilities are PACS_<node>, PACSQUERY_<node>, QUEUE_<queue>)"
        )
    project_access(session, actor, scope).require_admin()


def grant(session: Session, actor: Actor, username: str, scope: str, spec: RightSpec) -> Right:
    _check_scope(session, actor, scope)
    user = get_user(session, username)
    right = session.scalar(select(Right).where(Right.user_id == user.id, Right.scope == scope))
    if right is None:
        right = Right(user_id=user.id, scope=scope)
        session.add(right)
    right.role, right.readonly, right.download = spec.role, spec.readonly, spec.download
    right.batchtool, right.deanonym = spec.batchtool, spec.deanonym
    session.flush()
    audit.record(session, actor, "right.grant", project=scope, target=username, **spec.__dict__)
    return right


def revoke(session: Session, actor: Actor, username: str, scope: str) -> None:
    _check_scope(session, actor, scope)
    user = get_user(session, username)
    right = session.scalar(select(Right).where(Right.user_id == user.id, Right.scope == scope))
    if right is None:
        raise NotFound(f"user {username!r} has no right on {scope!r}")
    session.delete(right)
    audit.record(session, actor, "right.revoke", project=scope, target=username)


def list_rights(session: Session, actor: Actor, scope: str) -> list[tuple[str, Right]]:
    _check_scope(session, actor, scope)
    rows = session.execute(
        select(User.username, Right)
        .join(Right, Right.user_id == User.id)
        .where(Right.scope == scope)
        .order_by(User.username)
    )
    return [(name, right) for name, right in rows]


def rights_of_user(session: Session, actor: Actor, username: str) -> list[Right]:
    if actor.username != username:
        require_system_admin(actor)
    user = get_user(session, username)
    return list(session.scalars(select(Right).where(Right.user_id == user.id).order_by(Right.scope)))
