"""Tables of the segmentation feature: one row per patchwork model of a project.

The row indexes ``<analysis folder>/<folder>/model_patchwork.json`` (the file is the truth: the training job
writes it after every epoch, without a database): its name, version, training data, parameters, validation
figures, creator and times. :func:`nora.segmentation.service.sync` brings the rows in line with the files.
Migration: the ``segmentation`` branch (``0008_segmentation``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nora.archive.models import Base, utcnow


class SegmentationModel(Base):
    __tablename__ = "segmentation_models"
    __table_args__ = (UniqueConstraint("project_id", "folder", name="uq_segmentation_model_folder"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    #: relative to the project's analysis folder (``NORA_HOME/analyses/<project>``)
    folder: Mapped[str] = mapped_column(String(1024))
    kind: Mapped[str] = mapped_column(String(32), default="patchwork")
    version: Mapped[int] = mapped_column(Integer, default=0)
    #: input contrasts and labels (file patterns), PID#SID of the training and held-out studies
    contrasts: Mapped[list[str]] = mapped_column(JSON, default=list)
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    training: Mapped[list[str]] = mapped_column(JSON, default=list)
    validation: Mapped[list[str]] = mapped_column(JSON, default=list)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: the last epoch's figures (iteration, loss, dice, seconds) and every epoch's
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    creator: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
