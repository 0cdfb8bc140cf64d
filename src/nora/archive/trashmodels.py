"""The project trash's table: files moved out of the archive, with what is needed to put them back.

A trashed file has no ``files`` row (so the table, the selection language and jobs never see it); its
bytes lie under ``<NORA_HOME>/trash/<project>/<entry id>-<name>`` and this row keeps its place (patient and
study IDs, path), index facts and tags. The table is created by the Alembic branch ``0007_trash``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from nora.archive.models import Base, utcnow


class TrashedFile(Base):
    """One file in a project's trash."""

    __tablename__ = "trashed_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    #: the folder names, not row ids: the study may be deleted and made again before a restore
    pid: Mapped[str] = mapped_column(String(128))
    sid: Mapped[str | None] = mapped_column(String(128))
    path: Mapped[str] = mapped_column(String(1024))
    format: Mapped[str] = mapped_column(String(32), default="")
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    header: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    trashed_by: Mapped[str] = mapped_column(String(64), default="")
    trashed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
