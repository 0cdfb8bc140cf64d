"""The archive's data model (SQLAlchemy 2, typed declarative mapping).

Projects hold patients, patients hold studies, studies hold files (patient-level files have no study).
Tags live in their own tables so that tag membership is exact and indexed. Identifying patient fields
(``name``, ``birth_date``, ``orig_pid``) are shown only to users with the ``deanonym`` right in
anonymised projects. Every schema change goes through an Alembic migration in ``migrations/``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(128), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    full_name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    rights: Mapped[list[Right]] = relationship(back_populates="user", cascade="all, delete-orphan")
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored, the secret is shown once at creation."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16), default="api")  # "api" or "session"
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship(back_populates="tokens")


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    #: naming policy, anonymisation, public access, queues, autoexecution ...
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Right(Base):
    """Connects a user to a project or a capability (``PACS_<node>``, ``PACSQUERY_<node>``, ``QUEUE_<q>``)."""

    __tablename__ = "rights"
    __table_args__ = (UniqueConstraint("user_id", "scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: a project name or a capability name
    scope: Mapped[str] = mapped_column(String(160), index=True)
    role: Mapped[str] = mapped_column(String(16), default="user")  # "user" | "admin"
    readonly: Mapped[bool] = mapped_column(Boolean, default=False)
    download: Mapped[bool] = mapped_column(Boolean, default=False)
    batchtool: Mapped[bool] = mapped_column(Boolean, default=False)
    deanonym: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(back_populates="rights")


class Patient(Base):
    __tablename__ = "patients"
    __table_args__ = (
        UniqueConstraint("project_id", "pid"),
        # migration 0010: the table's default order (pid) walked in index order, stopping at LIMIT
        Index("ix_patients_table_order", "project_id", "pid_lc", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: no index of its own: ix_patients_table_order and the unique (project_id, pid) start with it
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    #: the folder name; in anonymised projects this is the pseudonym
    pid: Mapped[str] = mapped_column(String(128))
    pid_lc: Mapped[str] = mapped_column(String(128), index=True)
    orig_pid: Mapped[str] = mapped_column(String(128), default="")
    name: Mapped[str] = mapped_column(String(255), default="")
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(8), default="")
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    studies: Mapped[list[Study]] = relationship(back_populates="patient", cascade="all, delete-orphan")
    tags: Mapped[list[PatientTag]] = relationship(cascade="all, delete-orphan")


class Study(Base):
    __tablename__ = "studies"
    __table_args__ = (
        UniqueConstraint("patient_id", "sid"),
        # migration 0010: a patient's studies in the table's order (the inner loop of the default order)
        Index("ix_studies_table_order", "patient_id", "sid_lc", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    sid: Mapped[str] = mapped_column(String(128))
    sid_lc: Mapped[str] = mapped_column(String(128), index=True)
    study_date: Mapped[dt.date | None] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(255), default="")  # SDESC
    modality: Mapped[str] = mapped_column(String(64), default="")
    study_uid: Mapped[str] = mapped_column(String(128), default="", index=True)
    accession: Mapped[str] = mapped_column(String(64), default="")
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    patient: Mapped[Patient] = relationship(back_populates="studies")
    tags: Mapped[list[StudyTag]] = relationship(cascade="all, delete-orphan")


class File(Base):
    """A file on disk under a study folder (or a patient folder when ``study_id`` is null).

    ``path`` is relative to that folder with ``/`` separators (``t1_mprage/s003.nii.gz``); file patterns
    of the selection language match ``path_lc``, its lower-case form.
    """

    __tablename__ = "files"
    __table_args__ = (
        UniqueConstraint("patient_id", "study_id", "path"),
        Index("ix_files_study_path", "study_id", "path_lc"),
        Index("ix_files_project_path", "project_id", "path_lc"),
        # migration 0002: the selection language's file-pattern search (an index-only range scan)
        Index("ix_files_path_pattern", "path_lc", "study_id", postgresql_ops={"path_lc": "varchar_pattern_ops"}),
        # migration 0010: the table's file counts of a page (PostgreSQL scans every file through the wide
        # (study_id, path_lc) index's cost estimate; this narrow one it uses)
        Index("ix_files_study_id", "study_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    study_id: Mapped[int | None] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(1024))
    path_lc: Mapped[str] = mapped_column(String(1024))
    format: Mapped[str] = mapped_column(String(32), default="")
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    header: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    modified_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    tags: Mapped[list[FileTag]] = relationship(cascade="all, delete-orphan")


class PatientTag(Base):
    __tablename__ = "patient_tags"
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(128), primary_key=True)
    __table_args__ = (Index("ix_patient_tags_tag", "tag"),)


class StudyTag(Base):
    __tablename__ = "study_tags"
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(128), primary_key=True)
    __table_args__ = (Index("ix_study_tags_tag", "tag"),)


class FileTag(Base):
    __tablename__ = "file_tags"
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(128), primary_key=True)
    __table_args__ = (Index("ix_file_tags_tag", "tag"),)


class JobState:
    """The columns of ``jobs`` the archive reads: the ``JOB:q|r|e`` filter and the table's job indicators.

    The table belongs to processing (:class:`nora.processing.models.Job`, its model and migrations);
    the archive must not import processing, so it reads these columns through a Core table on metadata
    of its own, never created or migrated from here. ``state`` is derived from the job's phase by
    :mod:`nora.processing.lifecycle`.
    """

    table = Table(
        "jobs",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("project_id", Integer),
        Column("patient_id", Integer),
        Column("study_id", Integer),
        Column("state", String(1)),
        Column("step", Integer),
        Column("updated_at", DateTime),
    )
    # typed as column expressions: a Column read from a class that is not mapped types as Never
    id: ColumnElement[int] = table.c.id
    project_id: ColumnElement[int] = table.c.project_id
    patient_id: ColumnElement[int | None] = table.c.patient_id
    study_id: ColumnElement[int | None] = table.c.study_id
    state: ColumnElement[str] = table.c.state
    step: ColumnElement[int] = table.c.step
    updated_at: ColumnElement[dt.datetime] = table.c.updated_at


class JsonDocument(Base):
    """Saved batches, autoloaders, shared viewer states, forms and readings."""

    __tablename__ = "json_documents"
    __table_args__ = (UniqueConstraint("project_id", "kind", "owner_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AuditEntry(Base):
    """One write: who did what to which object, when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(128), default="")
    action: Mapped[str] = mapped_column(String(64))
    project: Mapped[str] = mapped_column(String(128), default="", index=True)
    target: Mapped[str] = mapped_column(String(1024), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Revision(Base):
    """One row: a counter that every committed write of the database raises (database triggers on every
    table but the tokens and the audit log, :mod:`nora.archive.revision`), whichever process wrote it."""

    __tablename__ = "revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
