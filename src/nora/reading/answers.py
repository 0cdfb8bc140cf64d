"""A reader at work: the slots of a stage with their progress, answers recorded, visits timed, restarts.

Answers are appended (:class:`~nora.reading.models.ReadingResult`); an answer equal to the current one
adds nothing. A slot is *done* when every required item has a non-empty current answer (when none is
required: when any has). In a joint reading the current answers are everyone's, so the raters share one
set of answers and one progress; otherwise each reader's own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from nora.archive.models import Study, utcnow
from nora.archive.services import audit, tags
from nora.archive.services.access import Access
from nora.core.errors import Forbidden, InvalidInput, NotFound
from nora.reading.cases import Slot, slots, stage_cases
from nora.reading.forms import Form, MarkersItem, RoiItem, answer_tags, answer_text
from nora.reading.models import ReadingResult, ReadingVisit
from nora.reading.service import Reading
from nora.reading.targets import attach

CaseKey = tuple[int, int | None, int, str]  # study, file, repetition, arm


@dataclass(frozen=True)
class SlotState:
    slot: Slot
    done: bool
    locked: bool


@dataclass(frozen=True)
class StageProgress:
    stage: str
    slots: list[SlotState]
    #: when period 2 of a crossover opens (None: open, or no crossover)
    washout_until: dt.datetime | None

    @property
    def done(self) -> int:
        return sum(s.done for s in self.slots)

    @property
    def total(self) -> int:
        return len(self.slots)


@dataclass(frozen=True)
class Reader:
    """The caller in one reading: whose answers count (everyone's in a joint reading)."""

    session: Session
    access: Access
    reading: Reading

    @property
    def user_id(self) -> int:
        if self.access.actor.user_id is None:
            raise Forbidden("reading needs a user account: log in as a reader")
        return self.access.actor.user_id

    @property
    def joint(self) -> bool:
        return self.reading.definition.reading.reading.joint

    def _rows(self, stage: str) -> Any:
        query = select(ReadingResult).where(ReadingResult.reading_id == self.reading.id, ReadingResult.stage == stage)
        return query if self.joint else query.where(ReadingResult.user_id == self.user_id)

    def current(self, stage: str) -> dict[CaseKey, dict[str, str]]:
        """The current answers per case slot: the newest row of each item."""
        out: dict[CaseKey, dict[str, str]] = {}
        for r in self.session.scalars(self._rows(stage).order_by(ReadingResult.id)):
            out.setdefault((r.study_id, r.file_id, r.repetition, r.arm), {})[r.item] = r.value
        return out

    def current_case(self, stage: str, key: CaseKey) -> dict[str, str]:
        """The current answers of one case slot."""
        study_id, file_id, repetition, arm = key
        file_match = ReadingResult.file_id.is_(None) if file_id is None else ReadingResult.file_id == file_id
        query = self._rows(stage).where(
            ReadingResult.study_id == study_id,
            file_match,
            ReadingResult.repetition == repetition,
            ReadingResult.arm == arm,
        )
        out: dict[str, str] = {}
        for r in self.session.scalars(query.order_by(ReadingResult.id)):
            out[r.item] = r.value
        return out

    def _last_answer(self, stage: str, period_keys: set[CaseKey]) -> dt.datetime | None:
        last: dt.datetime | None = None
        for r in self.session.scalars(self._rows(stage)):
            if (r.study_id, r.file_id, r.repetition, r.arm) in period_keys and (last is None or r.created_at > last):
                last = r.created_at
        return last

    def is_done(self, answers: Mapping[str, str]) -> bool:
        form = self.reading.definition.form
        required = form.required
        if required:
            return all(answers.get(name) for name in required)
        return any(answers.get(name) for name in form.names)

    def progress(self, stage: str, seed: str = "") -> StageProgress:
        config = self.reading.definition.reading
        cases = stage_cases(self.session, self.access, config, stage)
        reader = None if self.joint else self.user_id
        all_slots = slots(config, self.reading.name, stage, cases, reader=reader, seed=seed)
        current = self.current(stage)

        def done(s: Slot) -> bool:
            return self.is_done(current.get((s.case.study_id, s.case.file_id, s.repetition, s.arm), {}))

        first = [s for s in all_slots if s.period == 1]
        until: dt.datetime | None = None
        if any(s.period == 2 for s in all_slots) and config.reading.crossover is not None:
            keys = {(s.case.study_id, s.case.file_id, s.repetition, s.arm) for s in first}
            last = self._last_answer(stage, keys)
            finished = all(done(s) for s in first)
            if not finished or last is None:
                until = dt.datetime.max
            else:
                opens = last + dt.timedelta(days=config.reading.crossover.washoutDays)
                until = opens if opens > utcnow() else None
        return StageProgress(
            stage,
            [SlotState(s, done(s), s.period == 2 and until is not None) for s in all_slots],
            None if until == dt.datetime.max else until,
        )

    def slot(self, stage: str, study_id: int, file_id: int | None, repetition: int, arm: str) -> None:
        """Nothing when the case is one of the caller's slots; :class:`InvalidInput` / :class:`Forbidden` when not.

        Without a crossover that is one look at the case (selected by the stage, repetition in range, no
        arm); a crossover's arms and washout need the reader's whole stage."""
        config = self.reading.definition.reading
        if config.reading.crossover is None or stage != "serious":
            found = stage_cases(self.session, self.access, config, stage, only=(study_id, file_id))
            if found and 1 <= repetition <= config.reading.repetitions and arm == "":
                return
            raise self._not_a_slot(stage, repetition, arm)
        for state in self.progress(stage).slots:
            s = state.slot
            if (s.case.study_id, s.case.file_id, s.repetition, s.arm) == (study_id, file_id, repetition, arm):
                if state.locked:
                    raise Forbidden("this case opens after the washout: finish the first period and wait")
                return
        raise self._not_a_slot(stage, repetition, arm)

    def _not_a_slot(self, stage: str, repetition: int, arm: str) -> InvalidInput:
        return InvalidInput(
            f"the case is not in the {stage} stage of reading {self.reading.name!r} "
            f"for repetition {repetition}{f' and arm {arm!r}' if arm else ''}"
        )

    def record(
        self,
        stage: str,
        study: Study,
        file_id: int | None,
        repetition: int,
        arm: str,
        answers: Mapping[str, Any],
        *,
        time_ms: int = 0,
        visit_id: int | None = None,
    ) -> list[ReadingResult]:
        """Append the answers that differ from the current ones; set the tags of ``useastag`` items."""
        self.access.require_write()
        if not answers:
            raise InvalidInput("no answers: send {item: value, ...}")
        form = self.reading.definition.form
        self.slot(stage, study.id, file_id, repetition, arm)
        texts = {name: self._text(form, name, value, study) for name, value in answers.items()}
        visit = self._visit(visit_id) if visit_id is not None else None
        before = self.current_case(stage, (study.id, file_id, repetition, arm))
        added: list[ReadingResult] = []
        for name, text in texts.items():
            if before.get(name, "") == text and (name in before or text == ""):
                continue
            row = ReadingResult(
                **self._case_columns(stage, arm, study.id, file_id, repetition),
                item=name,
                value=text,
                time_ms=max(0, time_ms),
                visit_id=visit.id if visit else None,
            )
            self.session.add(row)
            added.append(row)
            add, remove = _tags(form, name, text)
            if add or remove:
                tags.change_study_tags(self.session, self.access, [study], add=add, remove=remove)
        if visit is not None and added and visit.first_answer_ms is None:
            visit.first_answer_ms = max(0, time_ms)
        self.session.flush()
        if added:
            audit.record(
                self.session,
                self.access.actor,
                "reading.answer",
                project=self.access.project.name,
                target=self.reading.name,
                stage=stage,
                study=study.id,
                items=[r.item for r in added],
            )
        return added

    def _text(self, form: Form, name: str, value: Any, study: Study) -> str:
        """The stored answer; an annotation item's (``true``) attaches the caller's saved target's version."""
        item = form.item(name)
        if not isinstance(item, RoiItem | MarkersItem):
            return answer_text(item, value)
        if value in (None, "", False, 0, "0"):
            return ""  # taken back
        return attach(self.session, self.access, item, study, self.access.actor.username)

    def open_visit(self, stage: str, study: Study, file_id: int | None, repetition: int, arm: str) -> ReadingVisit:
        self.access.require_write()
        self.slot(stage, study.id, file_id, repetition, arm)
        visit = ReadingVisit(**self._case_columns(stage, arm, study.id, file_id, repetition), active_ms=0)
        self.session.add(visit)
        self.session.flush()
        return visit

    def _case_columns(
        self, stage: str, arm: str, study_id: int, file_id: int | None, repetition: int
    ) -> dict[str, object]:
        """The columns that name this reader's case (results and visits alike)."""
        return {
            "reading_id": self.reading.id,
            "stage": stage,
            "arm": arm,
            "user_id": self.user_id,
            "study_id": study_id,
            "file_id": file_id,
            "repetition": repetition,
        }

    def _visit(self, visit_id: int) -> ReadingVisit:
        visit = self.session.get(ReadingVisit, visit_id)
        if visit is None or visit.reading_id != self.reading.id or visit.user_id != self.user_id:
            raise NotFound(f"visit {visit_id} is not one of yours in reading {self.reading.name!r}")
        return visit

    def time_visit(self, visit_id: int, active_ms: int, first_answer_ms: int | None) -> ReadingVisit:
        """Record a visit's active time so far (it only grows) and, once, the time to its first answer."""
        self.access.require_write()
        visit = self._visit(visit_id)
        visit.active_ms = max(visit.active_ms, active_ms)
        if first_answer_ms is not None and visit.first_answer_ms is None:
            visit.first_answer_ms = min(first_answer_ms, visit.active_ms)
        visit.updated_at = utcnow()
        self.session.flush()
        return visit

    def restart(self, stage: str) -> int:
        """Delete the caller's own results and visits of ``stage``, where the configuration allows it."""
        self.access.require_write()
        settings = self.reading.definition.reading.reading
        settings.stage(stage)
        if not settings.restart_allowed(stage):
            option = "allowRestartOfTraining" if stage == "training" else "allowRestartOfSerious"
            raise Forbidden(f"the {stage} stage of reading {self.reading.name!r} cannot be restarted ({option} is off)")
        mine = (ReadingResult.reading_id == self.reading.id, ReadingResult.stage == stage)
        n = self.session.scalar(
            select(func.count()).where(*mine, ReadingResult.user_id == self.user_id).select_from(ReadingResult)
        )
        self.session.execute(delete(ReadingResult).where(*mine, ReadingResult.user_id == self.user_id))
        self.session.execute(
            delete(ReadingVisit).where(
                ReadingVisit.reading_id == self.reading.id,
                ReadingVisit.stage == stage,
                ReadingVisit.user_id == self.user_id,
            )
        )
        audit.record(
            self.session,
            self.access.actor,
            "reading.restart",
            project=self.access.project.name,
            target=self.reading.name,
            stage=stage,
            deleted=n,
        )
        return int(n or 0)


def _tags(form: Form, name: str, text: str) -> tuple[list[str], list[str]]:
    return answer_tags(form.item(name), text)
