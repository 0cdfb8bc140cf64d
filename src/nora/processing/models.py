"""Tables of the processing feature: batches (one launch of a batch on a set of subjects/studies).

Each batch owns one :class:`~nora.archive.models.Job` row per (subject or study, job of the batch);
``Job.batch_id`` points here, ``Job.step`` is the job's position and ``Job.chain`` the subject's index.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from nora.archive.models import Base, utcnow


class Batch(Base):
    __tablename__ = "batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(String(128), default="")
    name: Mapped[str] = mapped_column(String(255), default="")
    level: Mapped[str] = mapped_column(String(16), default="study")
    queue: Mapped[str] = mapped_column(String(64), default="")
    executor: Mapped[str] = mapped_column(String(16), default="local")
    #: the BatchDef as launched
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: "" for launches by hand, "autoexec:<rule>:<PID#SID>" for autoexecution (so it runs once per study)
    origin: Mapped[str] = mapped_column(String(512), default="", index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
