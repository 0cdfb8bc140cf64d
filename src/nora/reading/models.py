"""Tables of the reading tool: the answers readers give (append-only) and the time they spend on a case.

A reading's definition (general settings, form, configuration) is a json document of kind ``reading``
(:mod:`nora.archive.services.documents`); these tables hold what readers do with it.

- :class:`ReadingResult`: one answer to one form item, per reading, stage, arm, reader, case and
  repetition. Rows are only ever added: a changed answer is a new row and the old one stays, so the
  history of every answer is kept (the current answer is the newest row). The one exception is a
  restart the configuration allows (``allowRestartOfTraining`` / ``allowRestartOfSerious``), which
  deletes that reader's rows of that stage only.
- :class:`ReadingVisit`: one opening of a case by a reader: the time until the first answer and the
  total time on the case, both without the time the page was hidden.

A case is a study, or one image of a study (``file_id``) when the reading randomises per image.
Migration: the ``reading`` branch (``0009_reading``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nora.archive.models import Base, utcnow


class _Case:
    """Which case of which reading, stage, arm, reader and repetition a row belongs to."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reading_id: Mapped[int] = mapped_column(ForeignKey("json_documents.id", ondelete="CASCADE"), index=True)
    #: ``training`` | ``serious``
    stage: Mapped[str] = mapped_column(String(16))
    #: the crossover arm the case was read in ("" without a crossover design)
    arm: Mapped[str] = mapped_column(String(64), default="")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"), index=True)
    #: the image of an image-level case (None: the case is the study)
    file_id: Mapped[int | None] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"))
    repetition: Mapped[int] = mapped_column(Integer, default=1)


class ReadingResult(_Case, Base):
    __tablename__ = "reading_results"
    __table_args__ = (Index("ix_reading_results_case", "reading_id", "stage", "user_id", "study_id"),)

    item: Mapped[str] = mapped_column(String(128))
    #: the answer as text: an option's value, a number, a date, ``1``/``0`` for a single checkbox,
    #: ``a;b`` for several checked options; "" for an answer taken back
    value: Mapped[str] = mapped_column(Text, default="")
    #: active milliseconds on the case (this visit) when the answer was given
    time_ms: Mapped[int] = mapped_column(Integer, default=0)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("reading_visits.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ReadingVisit(_Case, Base):
    __tablename__ = "reading_visits"
    __table_args__ = (Index("ix_reading_visits_case", "reading_id", "stage", "user_id", "study_id"),)

    #: active milliseconds from opening the case to its first answer in this visit (None: no answer yet)
    first_answer_ms: Mapped[int | None] = mapped_column(Integer)
    #: active milliseconds on the case in this visit (the page hidden does not count)
    active_ms: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
