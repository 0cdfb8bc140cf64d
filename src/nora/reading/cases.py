"""The cases of a reading stage and the order a reader gets them in.

Cases: the studies the stage's ``selection`` (a subject selector) selects that also pass its
``SQLCondition`` (:mod:`.condition`); with ``randomize: image``, every image of those studies that the
stage's ``images`` file selector selects is a case of its own.

Order, for one reader (:func:`slots`):

1. sorted by ``viewer.sortOrder`` (``pid``, ``sid``, ``date``) and ``viewer.sortDirection``;
2. ``random``: ``none`` keeps that order; ``idhash`` orders by a hash of the study's PID#SID (with the
   repetition after the first), the same for every reader and session; ``full`` shuffles anew from the
   caller's ``seed`` (the page draws one per session), the reader and the repetition;
3. ``randomize: patient`` moves a patient's cases together (in sort order), ``study``/``image`` each case;
4. ``repetitions``: the whole list again, each repetition in its own order;
5. ``crossover`` (serious stage): period 1 has every case once, half of them in each arm, the halves
   alternating between readers (a case's rank in a hash order plus the reader's id decides); period 2,
   open ``washoutDays`` after the reader finished period 1, has each case in the other arm.

In a joint reading every reader gets the same order (no reader in the hash or seed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from nora.archive.models import Patient, PatientTag, Study, StudyTag
from nora.archive.selection import (
    SubjectSelector,
    parse_file_selectors,
    parse_subject_selector,
    resolve_selection,
    subject_conditions,
)
from nora.archive.services.access import Access
from nora.archive.services.tags import tags_of
from nora.reading.condition import parse_condition, tag_values
from nora.reading.config import Configuration


@dataclass(frozen=True)
class Case:
    study_id: int
    pid: str
    sid: str
    date: dt.date | None
    file_id: int | None = None
    path: str | None = None

    @property
    def key(self) -> tuple[int, int | None]:
        return (self.study_id, self.file_id)

    @property
    def label(self) -> str:
        base = f"{self.pid}#{self.sid}"
        return f"{base}/{self.path}" if self.path else base


@dataclass(frozen=True)
class Slot:
    """One case as a reader meets it: which repetition, arm and crossover period."""

    index: int
    case: Case
    repetition: int
    arm: str
    period: int


def _selected_studies(session: Session, access: Access, selection: str, only: int | None) -> list[int]:
    """The studies the subject selector selects (``only``: just whether that one study is among them)."""
    if only is None:
        hits = resolve_selection(session, access.project.id, parse_subject_selector(selection), "[info]")
        return sorted({h.study_id for h in hits if h.study_id is not None})
    patients, studies = subject_conditions(parse_subject_selector(selection))
    query = (
        select(Study.id)
        .join(Patient, Patient.id == Study.patient_id)
        .where(Study.project_id == access.project.id, Study.id == only, or_(patients, studies))
    )
    return list(session.scalars(query))


def stage_cases(
    session: Session, access: Access, config: Configuration, stage: str, *, only: tuple[int, int | None] | None = None
) -> list[Case]:
    """The cases of ``stage``, in PID, SID (, path) order; with ``only`` (study, file) just that case if it is one."""
    st = config.reading.stage(stage)
    study_ids = _selected_studies(session, access, st.selection, None if only is None else only[0])
    condition = parse_condition(st.SQLCondition)
    rows = session.execute(
        select(Study.id, Study.patient_id, Patient.pid, Study.sid, Study.study_date, Study.description, Study.modality)
        .join(Patient, Patient.id == Study.patient_id)
        .where(Study.id.in_(study_ids))
    ).all()
    if condition.alternatives:
        stags = tags_of(session, StudyTag, "study_id", study_ids)
        ptags = tags_of(session, PatientTag, "patient_id", sorted({r[1] for r in rows}))
        rows = [
            r
            for r in rows
            if condition.matches(
                {
                    "STAG": tag_values(stags[r[0]]),
                    "PTAG": tag_values(ptags[r[1]]),
                    "PID": [r[2]],
                    "SID": [r[3]],
                    "SDESC": [r[5]],
                    "MODALITY": [r[6]],
                }
            )
        ]
    studies = {r[0]: Case(r[0], r[2], r[3], r[4]) for r in rows}
    if config.reading.randomize != "image":
        if only is not None and only[1] is not None:
            return []
        return sorted(studies.values(), key=lambda c: (c.pid, c.sid))
    files = parse_file_selectors(st.images or "*")
    subject = parse_subject_selector("*") if only is None else SubjectSelector.of_nodes(study_ids=[only[0]])
    images = resolve_selection(session, access.project.id, subject, files)
    out = [
        Case(h.study_id, h.pid, h.sid or "", studies[h.study_id].date, h.file_id, h.path)
        for h in images
        if h.study_id in studies and (only is None or h.file_id == only[1])
    ]
    return sorted(out, key=lambda c: (c.pid, c.sid, c.path or ""))


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x00".join(map(str, parts)).encode()).hexdigest()


def _sort_key(config: Configuration) -> Callable[[Case], tuple[object, ...]]:
    order = config.viewer.sortOrder.lower()
    if order in ("sid", "studyid"):
        return lambda c: (c.sid, c.pid, c.path or "")
    if order in ("date", "studydate"):
        return lambda c: (c.date is None, c.date or dt.date.min, c.pid, c.sid, c.path or "")
    return lambda c: (c.pid, c.sid, c.path or "")


def _unit(config: Configuration, case: Case) -> str:
    by = config.reading.randomize
    return case.pid if by == "patient" else case.label if by == "image" else f"{case.pid}#{case.sid}"


def ordered(config: Configuration, cases: list[Case], *, reader: int | None, seed: str, repetition: int) -> list[Case]:
    """``cases`` in the order of one repetition for one reader (None: every reader alike)."""
    base = sorted(cases, key=_sort_key(config), reverse=config.viewer.sortDirection == "desc")
    mode = config.reading.random
    if mode == "none":
        return base
    units: dict[str, list[Case]] = {}
    for case in base:
        units.setdefault(_unit(config, case), []).append(case)
    names = list(units)
    if mode == "idhash":
        suffix = () if repetition == 1 else (repetition,)
        names.sort(key=lambda u: _digest(u, *suffix))
    else:
        random.Random(_digest(seed, reader, repetition)).shuffle(names)
    return [case for name in names for case in units[name]]


def first_arm(reading: str, cases: list[Case], reader: int | None) -> dict[tuple[int, int | None], int]:
    """Per case, the index (0 or 1) of the arm a reader reads it in first: half the cases each."""
    ranked = sorted(cases, key=lambda c: _digest(reading, c.label))
    offset = reader or 0
    return {c.key: (rank + offset) % 2 for rank, c in enumerate(ranked)}


def slots(
    config: Configuration, reading: str, stage: str, cases: list[Case], *, reader: int | None, seed: str
) -> list[Slot]:
    """Every slot of ``stage`` for one reader, in reading order (see the module's rules)."""
    repetitions = config.reading.repetitions
    crossover = config.reading.crossover if stage == "serious" else None
    out: list[Slot] = []
    if crossover is None:
        for rep in range(1, repetitions + 1):
            for case in ordered(config, cases, reader=reader, seed=seed, repetition=rep):
                out.append(Slot(len(out), case, rep, "", 1))
        return out
    arms = [a.name for a in crossover.arms]
    first = first_arm(reading, cases, reader)
    for period in (1, 2):
        for rep in range(1, repetitions + 1):
            order = ordered(config, cases, reader=reader, seed=f"{seed}:{period}", repetition=rep + 100 * (period - 1))
            for case in order:
                arm = arms[first[case.key] if period == 1 else 1 - first[case.key]]
                out.append(Slot(len(out), case, rep, arm, period))
    return out
