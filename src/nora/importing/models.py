"""Import's own table: which DICOM instances are already in a project (idempotent import).

Keyed on (project, SOP Instance UID, Series Instance UID): importing the same instances again adds nothing,
and an instance of a known series arriving later is recognised as such. The table is created by the
Alembic branch ``0003_import``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nora.archive.models import Base, utcnow


class ImportedInstance(Base):
    """One DICOM instance that was imported into a study of a project."""

    __tablename__ = "imported_instances"
    __table_args__ = (UniqueConstraint("project_id", "sop_uid", "series_uid", name="uq_imported_instance"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"), index=True)
    sop_uid: Mapped[str] = mapped_column(String(128))
    series_uid: Mapped[str] = mapped_column(String(128), index=True)
    #: where the series' converted output (or kept object) went, relative to the study folder
    series_path: Mapped[str] = mapped_column(String(1024), default="")
    job_id: Mapped[int | None] = mapped_column(Integer)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
