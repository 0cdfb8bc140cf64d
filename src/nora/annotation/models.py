"""Tables of the annotation feature: annotation objects (ROIs, marker sets) and every saved version of them.

An :class:`AnnotationObject` is one ROI (``<study>/ROIS/<name>.nii.gz``) or marker set
(``<patient>/annotations/<name>.json``); the file itself is also an ordinary indexed file of the archive.
Each save adds an :class:`AnnotationVersion` whose content is kept under ``NORA_HOME/versions/``, so no save
loses anything. ``current`` is the number of the version the file on disk holds; a save based on an older
version is *rejected* (a conflict) but its content is kept as a version too. Migration: the ``annotation``
branch (``0006_annotation``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nora.archive.models import Base, utcnow


class AnnotationObject(Base):
    __tablename__ = "annotation_objects"
    __table_args__ = (UniqueConstraint("patient_id", "study_key", "path", name="uq_annotation_object"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    study_id: Mapped[int | None] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"), index=True)
    #: the study's id, or 0 for a patient-level object (unique constraints treat NULLs as distinct)
    study_key: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(16))  # "roi" | "markers"
    #: relative to the study (ROI) or patient (marker set) folder
    path: Mapped[str] = mapped_column(String(1024))
    current: Mapped[int] = mapped_column(Integer, default=0)
    #: an ROI's reference image (the grid it is drawn on)
    reference_id: Mapped[int | None] = mapped_column(ForeignKey("files.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AnnotationVersion(Base):
    __tablename__ = "annotation_versions"
    __table_args__ = (UniqueConstraint("object_id", "number", name="uq_annotation_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_id: Mapped[int] = mapped_column(ForeignKey("annotation_objects.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    #: the version this save started from (0: a new object); a rejected save names the one it missed
    based_on: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[bool] = mapped_column(Boolean, default=False)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    #: the content, relative to ``NORA_HOME/versions``
    blob: Mapped[str] = mapped_column(String(1024))
    tool: Mapped[str] = mapped_column(String(64), default="")
    saved_by: Mapped[str] = mapped_column(String(128), default="")
    saved_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
