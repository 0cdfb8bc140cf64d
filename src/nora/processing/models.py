"""Tables of the processing feature: jobs (of every kind) and batches (one launch of a batch).

Each batch owns one :class:`Job` row per (subject or study, job of the batch); ``Job.batch_id`` points
here, ``Job.step`` is the job's position and ``Job.chain`` the subject's index. Import and retrieve jobs
(and the kinds features register) are rows of the same table without a batch. The archive reads the
columns of ``jobs`` its ``JOB:`` filter needs through :class:`nora.archive.models.JobState`.
Migrations: the ``processing`` branch (``0004_processing``, ``0005_job_lifecycle``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
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


class Job(Base):
    """A job of any kind (processing, import, retrieve ...) for a project, patient or study.

    ``phase`` moves only through :mod:`nora.processing.lifecycle` (compare-and-set on the transition
    table), which also writes ``state``: NORA's letter that the ``JOB:`` filter reads.
    """

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    study_id: Mapped[int | None] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(255), default="")
    kind: Mapped[str] = mapped_column(String(32), default="job")
    #: "q" queued, "r" running, "e" error, "d" done, "x" dismissed (derived from ``phase``)
    state: Mapped[str] = mapped_column(String(1), default="q", index=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    progress: Mapped[float] = mapped_column(default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    log_path: Mapped[str] = mapped_column(String(1024), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # migration 0004_processing: where and how the job runs
    #: position in its batch (jobs of one subject run in this order) and the subject's index in the batch
    step: Mapped[int] = mapped_column(Integer, default=0)
    chain: Mapped[int] = mapped_column(Integer, default=0)
    #: a :class:`~nora.processing.lifecycle.JobPhase`
    phase: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    executor: Mapped[str] = mapped_column(String(16), default="")
    queue: Mapped[str] = mapped_column(String(64), default="")
    external_id: Mapped[str] = mapped_column(String(64), default="")
    job_dir: Mapped[str] = mapped_column(String(1024), default="")
    exit_code: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # migration 0005_job_lifecycle
    #: a user asked to kill the job (its end without a result is then "killed", not "lost")
    kill_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    #: who runs a job of the worker pool: "host pid start-time" (start-up recovery leaves live ones alone)
    runner: Mapped[str] = mapped_column(String(255), default="")
