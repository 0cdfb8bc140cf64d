"""Viewer documents in the ``json_documents`` table: autoloader presets and shared viewer states.

Autoloader presets are personal (``shared=False``, visible to their owner) or shared with the project
(``shared=True``, visible to everyone with access to it). A shared viewer state is addressed by a random
link id kept in ``name``.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from nora.archive.models import JsonDocument, User, utcnow
from nora.archive.services.access import Access

AUTOLOADER = "autoloader"
SHAREDSTATE = "sharedstate"


def visible(session: Session, access: Access, kind: str) -> list[JsonDocument]:
    """The caller's own documents of ``kind`` plus the project's shared ones, by name."""
    mine = JsonDocument.owner_id == access.actor.user_id if access.actor.user_id is not None else None
    who = JsonDocument.shared.is_(True) if mine is None else or_(JsonDocument.shared.is_(True), mine)
    query = select(JsonDocument).where(JsonDocument.project_id == access.project.id, JsonDocument.kind == kind, who)
    return list(session.scalars(query.order_by(JsonDocument.name, JsonDocument.shared)))


def find(session: Session, access: Access, kind: str, name: str, *, shared: bool) -> JsonDocument | None:
    """A shared document of that name, or the caller's own one."""
    query = select(JsonDocument).where(
        JsonDocument.project_id == access.project.id,
        JsonDocument.kind == kind,
        JsonDocument.name == name,
        JsonDocument.shared.is_(shared),
    )
    if not shared:
        if access.actor.user_id is None:
            return None
        query = query.where(JsonDocument.owner_id == access.actor.user_id)
    return session.scalars(query.order_by(JsonDocument.id)).first()


def owner_names(session: Session, docs: list[JsonDocument]) -> dict[int, str]:
    ids = {d.owner_id for d in docs if d.owner_id is not None}
    if not ids:
        return {}
    return {uid: name for uid, name in session.execute(select(User.id, User.username).where(User.id.in_(ids)))}


def touch(doc: JsonDocument) -> None:
    doc.updated_at = utcnow()
