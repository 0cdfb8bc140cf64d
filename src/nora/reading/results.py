"""A reading's results as rows: for the results table, the CSV export and the analysis.

:func:`result_rows` is the plain function the analysis uses: one :class:`ResultRow` per answer with
``reader``, ``stage``, ``case``, ``repetition``, ``item`` and ``value`` first (``arm`` names the crossover
arm; ``case`` is ``PID#SID``, or ``PID#SID/path`` for an image-level case). By default only the current
answer of each (reader, stage, arm, case, repetition, item) is returned, answers taken back left out;
``history=True`` returns every row ever given, oldest first. :func:`visible_rows` applies the rights: a
reader gets their own rows, reading admins everyone's; readers of a blind reading with ``hideResults``
get none (:class:`Forbidden`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from nora.archive.models import File, Patient, Study, User
from nora.archive.services.access import Access
from nora.core.csvcells import csv_text
from nora.core.errors import Forbidden
from nora.reading.models import ReadingResult, ReadingVisit
from nora.reading.service import Reading, Readings


@dataclass(frozen=True)
class ResultRow:
    reader: str
    stage: str
    case: str
    repetition: int
    item: str
    value: str
    arm: str
    pid: str
    sid: str
    image: str
    time_ms: int
    created_at: dt.datetime
    current: bool
    study_id: int = 0
    file_id: int | None = None


def _named(model: type[ReadingResult] | type[ReadingVisit], reading_id: int) -> Select[Any, str, str, str, str | None]:
    """Rows of ``model`` of one reading, oldest first, with their reader's name, PID, SID and image path."""
    return (
        select(model, User.username, Patient.pid, Study.sid, File.path)
        .join(User, User.id == model.user_id)
        .join(Study, Study.id == model.study_id)
        .join(Patient, Patient.id == Study.patient_id)
        .outerjoin(File, File.id == model.file_id)
        .where(model.reading_id == reading_id)
        .order_by(model.id)
    )


def result_rows(
    session: Session,
    reading_id: int,
    *,
    stage: str | None = None,
    user_id: int | None = None,
    history: bool = False,
) -> list[ResultRow]:
    """The results of one reading (``stage`` and ``user_id`` narrow them), as rows; see the module."""
    query = _named(ReadingResult, reading_id)
    if stage is not None:
        query = query.where(ReadingResult.stage == stage)
    if user_id is not None:
        query = query.where(ReadingResult.user_id == user_id)
    rows = session.execute(query).all()
    newest: dict[tuple[object, ...], int] = {}
    for r, *_ in rows:
        newest[(r.user_id, r.stage, r.arm, r.study_id, r.file_id, r.repetition, r.item)] = r.id
    out = []
    for r, username, pid, sid, path in rows:
        current = newest[(r.user_id, r.stage, r.arm, r.study_id, r.file_id, r.repetition, r.item)] == r.id
        if not history and (not current or r.value == ""):
            continue
        case = f"{pid}#{sid}" + (f"/{path}" if path else "")
        out.append(
            ResultRow(
                username,
                r.stage,
                case,
                r.repetition,
                r.item,
                r.value,
                r.arm,
                pid,
                sid,
                path or "",
                r.time_ms,
                r.created_at,
                current,
                r.study_id,
                r.file_id,
            )
        )
    return out


def visible_rows(
    session: Session, access: Access, name: str, *, stage: str | None = None, history: bool = False
) -> tuple[Reading, list[ResultRow]]:
    """The rows of reading ``name`` the caller may see: their own, or everyone's for a reading admin."""
    reading = Readings(session, access).get(name)
    blind = reading.definition.reading.reading.blind
    if blind is not None and blind.hideResults and not reading.is_admin:
        raise Forbidden(f"the results of the blind reading {name!r} are for its admins (hideResults)")
    if stage is not None:
        reading.definition.reading.reading.stage(stage)
    own = None if reading.is_admin else (access.actor.user_id if access.actor.user_id is not None else -1)
    return reading, result_rows(session, reading.id, stage=stage, user_id=own, history=history)


@dataclass(frozen=True)
class CaseTime:
    first_answer_ms: int | None
    total_ms: int


def case_times(session: Session, reading_id: int) -> dict[tuple[str, str, str, str, int], CaseTime]:
    """Per (reader, stage, arm, case, repetition): active time to the first answer and in total, over visits."""
    query = _named(ReadingVisit, reading_id)
    sums: dict[tuple[str, str, str, str, int], list[int | None]] = {}
    for v, username, pid, sid, path in session.execute(query).all():
        key = (username, v.stage, v.arm, f"{pid}#{sid}" + (f"/{path}" if path else ""), v.repetition)
        first, total = sums.get(key, [None, 0])
        assert total is not None
        if first is None and v.first_answer_ms is not None:
            first = total + v.first_answer_ms
        sums[key] = [first, total + v.active_ms]
    return {k: CaseTime(first, int(total or 0)) for k, (first, total) in sums.items()}


COLUMNS = (
    "reading",
    "stage",
    "arm",
    "reader",
    "pid",
    "sid",
    "image",
    "repetition",
    "item",
    "value",
    "current",
    "answer_time_ms",
    "case_first_answer_ms",
    "case_total_ms",
    "answered_at",
)


def export_csv(
    session: Session, reading: Reading, rows: Iterable[ResultRow], shown: Callable[[ResultRow], ResultRow] | None = None
) -> str:
    """Every answer as CSV (:data:`COLUMNS`; cells guarded against formulas); times are active milliseconds,
    ``answered_at`` UTC ISO. ``shown``: each row as the caller may see it (a pseudonymised reader: case keys)."""
    times = case_times(session, reading.id)

    def line(row: ResultRow) -> list[object]:
        t = times.get((row.reader, row.stage, row.arm, row.case, row.repetition))
        r = shown(row) if shown is not None else row
        return [
            reading.name,
            r.stage,
            r.arm,
            r.reader,
            r.pid,
            r.sid,
            r.image,
            r.repetition,
            r.item,
            r.value,
            int(r.current),
            r.time_ms,
            None if t is None or t.first_answer_ms is None else t.first_answer_ms,
            None if t is None else t.total_ms,
            r.created_at.replace(microsecond=0).isoformat() + "Z",
        ]

    return csv_text(COLUMNS, (line(r) for r in rows))
