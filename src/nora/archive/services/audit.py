"""The audit trail: one row for every write, in the same transaction as the write."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.archive.models import AuditEntry
from nora.archive.services.access import Actor


def record(session: Session, actor: Actor, action: str, project: str = "", target: str = "", **detail: Any) -> None:
    session.add(AuditEntry(username=actor.username, action=action, project=project, target=target, detail=detail))


def entries(session: Session, project: str | None = None, limit: int = 200) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(max(1, min(limit, 10000)))
    if project:
        query = query.where(AuditEntry.project == project)
    return list(session.scalars(query))
