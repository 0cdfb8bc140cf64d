"""The reading tool: readings (definitions), a reader's cases and answers, visit timing, results and export."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import Field

from nora.api.deps import DB, ProjectAccess, State
from nora.api.schemas import Out, Strict, UtcDateTime
from nora.archive.services import nodes
from nora.archive.services.access import Access
from nora.core.errors import InvalidInput
from nora.core.validation import DbInt
from nora.reading.analyse import analyse
from nora.reading.analysis.markers import DEFAULT_TOLERANCE_MM
from nora.reading.analysis.mrmc import CovarianceMethod
from nora.reading.analysis.schemas import ReadingAnalysis
from nora.reading.answers import Reader, StageProgress
from nora.reading.config import Blind, definition_problems, viewer_of
from nora.reading.forms import Form
from nora.reading.results import export_csv, visible_rows
from nora.reading.service import Reading, Readings
from nora.reading.targets import with_targets

router = APIRouter(prefix="/projects/{project}", tags=["reading"])

R = "/readings/{name}"
S = f"{R}/stages/{{stage}}"
StageName = Literal["training", "serious"]
Seed = Annotated[str, Query(max_length=64, description="the page's session seed (random: full)")]
Ms = Annotated[int, Field(ge=0, le=2**31 - 1)]


class StageSummary(Out):
    stage: str
    done: int
    total: int
    washout_until: UtcDateTime | None
    restart_allowed: bool


class ReadingSummary(Out):
    name: str
    title: str
    description: str
    instructions: str
    instructions_url: str
    mode: str
    is_admin: bool
    #: the caller may see results (their own; all for admins): not for readers of a blind reading with hideResults
    results_visible: bool
    #: the page hides the table and files while the caller reads it (blind: restrictToReading or hideMetadata)
    restricted: bool
    stages: list[StageSummary]
    updated_at: UtcDateTime


class ReadingOut(Out):
    name: str
    is_admin: bool
    definition: dict[str, Any]
    updated_at: UtcDateTime


class ReadingIn(Strict):
    name: str = Field(min_length=1, max_length=128)
    definition: dict[str, Any] = Field(default_factory=dict)


class DefinitionIn(Strict):
    definition: Any = None


class Problem(Out):
    where: str
    message: str


class CheckOut(Out):
    problems: list[Problem]


class SlotOut(Out):
    index: int
    label: str
    pid: str
    sid: str
    file_id: int | None
    path: str | None
    repetition: int
    arm: str
    period: int
    done: bool
    locked: bool


class StageOut(Out):
    reading: str
    stage: str
    done: int
    total: int
    washout_until: UtcDateTime | None
    restart_allowed: bool
    viewer: dict[str, Any]
    tools: dict[str, Any]
    blind: Blind | None
    instructions: str
    form: Form
    slots: list[SlotOut]


class CaseRef(Strict):
    pid: str = Field(min_length=1, max_length=128)
    sid: str = Field(min_length=1, max_length=128)
    file_id: DbInt | None = None
    repetition: int = Field(1, ge=1, le=20)
    arm: str = Field("", max_length=64)


class AnswersIn(CaseRef):
    answers: dict[str, Any] = Field(min_length=1, max_length=500)
    time_ms: Ms = 0
    visit_id: DbInt | None = None


class AnswersOut(Out):
    added: int
    done: bool
    answers: dict[str, str]


class CurrentOut(Out):
    answers: dict[str, str]
    done: bool


class VisitOut(Out):
    id: int
    active_ms: int
    first_answer_ms: int | None


class VisitIn(Strict):
    active_ms: Ms
    first_answer_ms: Ms | None = None


class LeftVisit(VisitIn):
    id: DbInt


class OpenIn(CaseRef):
    #: the visit of the case being left, timed in the same request (moving on is one round trip)
    leaving: LeftVisit | None = None


class OpenedOut(VisitOut):
    #: the case's current answers (the caller's; in a joint reading the shared ones)
    answers: dict[str, str]
    done: bool


class ResultOut(Out):
    reader: str
    stage: str
    arm: str
    case: str
    pid: str
    sid: str
    image: str
    repetition: int
    item: str
    value: str
    current: bool
    time_ms: int
    created_at: UtcDateTime


def _stage_summary(reading: Reading, progress: StageProgress) -> StageSummary:
    settings = reading.definition.reading.reading
    return StageSummary(
        stage=progress.stage,
        done=progress.done,
        total=progress.total,
        washout_until=progress.washout_until,
        restart_allowed=settings.restart_allowed(progress.stage),
    )


def _summary(db: DB, access: Access, reading: Reading) -> ReadingSummary:
    general = reading.definition.general
    settings = reading.definition.reading.reading
    reader = Reader(db, access, reading)
    stages = [_stage_summary(reading, reader.progress(s)) for s in settings.stages] if access.actor.user_id else []
    blind = settings.blind
    return ReadingSummary(
        name=reading.name,
        title=general.title or reading.name,
        description=general.description,
        instructions=general.instructions,
        instructions_url=general.instructionsUrl,
        mode=settings.mode,
        is_admin=reading.is_admin,
        results_visible=reading.is_admin or blind is None or not blind.hideResults,
        restricted=not reading.is_admin and blind is not None and (blind.restrictToReading or blind.hideMetadata),
        stages=stages,
        updated_at=reading.doc.updated_at,
    )


def _out(reading: Reading) -> ReadingOut:
    return ReadingOut(
        name=reading.name,
        is_admin=reading.is_admin,
        definition=reading.definition.model_dump(mode="json"),
        updated_at=reading.doc.updated_at,
    )


@router.get("/readings", response_model=list[ReadingSummary])
def list_readings(access: ProjectAccess, db: DB) -> list[ReadingSummary]:
    """The readings the caller may read or administer, with their progress (cases done of total) per stage."""
    return [_summary(db, access, r) for r in Readings(db, access).visible()]


@router.post("/readings", response_model=ReadingOut, status_code=status.HTTP_201_CREATED)
def create_reading(body: ReadingIn, access: ProjectAccess, db: DB) -> ReadingOut:
    """Create a reading (project admins): its ``general``, ``form`` and ``reading`` tabs, validated."""
    reading = Readings(db, access).create(body.name, body.definition)
    db.commit()
    return _out(reading)


@router.post("/reading-definition/check", response_model=CheckOut)
def check_definition(body: DefinitionIn, access: ProjectAccess) -> CheckOut:
    """Every problem of a reading definition with where it is (the form designer's live preview)."""
    return CheckOut(problems=[Problem(where=w, message=m) for w, m in definition_problems(body.definition)])


@router.get(R, response_model=ReadingOut)
def get_reading(name: str, access: ProjectAccess, db: DB) -> ReadingOut:
    return _out(Readings(db, access).get(name))


@router.put(R, response_model=ReadingOut)
def replace_reading(name: str, body: DefinitionIn, access: ProjectAccess, db: DB) -> ReadingOut:
    """Replace a reading's definition (its admins); results already given stay."""
    if not isinstance(body.definition, dict):
        raise InvalidInput("the definition must be an object with general, form and reading")
    reading = Readings(db, access).replace(name, body.definition)
    db.commit()
    return _out(reading)


@router.delete(R, status_code=status.HTTP_204_NO_CONTENT)
def delete_reading(name: str, access: ProjectAccess, db: DB) -> Response:
    """Delete a reading and all its results (project admins)."""
    Readings(db, access).delete(name)
    db.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _label(reading: Reading, index: int, pid: str, sid: str, path: str | None) -> str:
    blind = reading.definition.reading.reading.blind
    if blind is not None and blind.hideMetadata:
        return f"Case {index + 1}"
    return f"{pid}#{sid}" + (f"/{path}" if path else "")


@router.get(S, response_model=StageOut)
def stage_slots(name: str, stage: StageName, access: ProjectAccess, db: DB, seed: Seed = "") -> StageOut:
    """The caller's cases of a stage in reading order, each done or not (and locked until a washout ends),
    with the stage's viewer context (autoloaders), tools, blinding and form."""
    reading = Readings(db, access).get(name)
    progress = Reader(db, access, reading).progress(stage, seed)
    config = reading.definition.reading
    blind = config.reading.blind
    st = config.reading.stage(stage)
    summary = _stage_summary(reading, progress)
    slots = [
        SlotOut(
            index=s.slot.index,
            label=_label(reading, s.slot.index, s.slot.case.pid, s.slot.case.sid, s.slot.case.path),
            pid=s.slot.case.pid,
            sid=s.slot.case.sid,
            file_id=s.slot.case.file_id,
            path=s.slot.case.path,
            repetition=s.slot.repetition,
            arm=s.slot.arm,
            period=s.slot.period,
            done=s.done,
            locked=s.locked,
        )
        for s in progress.slots
    ]
    return StageOut(
        reading=reading.name,
        **summary.model_dump(),
        viewer=with_targets(viewer_of(config, stage), reading.definition.form, access.actor.username),
        tools=config.tools.model_dump(mode="json"),
        blind=blind,
        instructions=st.instructions or reading.definition.general.instructions,
        form=reading.definition.form,
        slots=slots,
    )


@router.get(f"{S}/answers", response_model=CurrentOut)
def current_answers(
    name: str,
    stage: StageName,
    access: ProjectAccess,
    db: DB,
    pid: Annotated[str, Query(min_length=1, max_length=128)],
    sid: Annotated[str, Query(min_length=1, max_length=128)],
    repetition: Annotated[int, Query(ge=1, le=20)] = 1,
    arm: Annotated[str, Query(max_length=64)] = "",
    file_id: Annotated[DbInt | None, Query()] = None,
) -> CurrentOut:
    """The current answers of one case (the caller's own; in a joint reading the shared ones)."""
    reader = Reader(db, access, Readings(db, access).get(name))
    study = nodes.get_study(db, access, pid, sid)
    answers = reader.current_case(stage, (study.id, file_id, repetition, arm))
    return CurrentOut(answers=answers, done=reader.is_done(answers))


@router.post(f"{S}/answers", response_model=AnswersOut, status_code=status.HTTP_201_CREATED)
def give_answers(name: str, stage: StageName, body: AnswersIn, access: ProjectAccess, db: DB) -> AnswersOut:
    """Record answers of one case: each changed answer is a new result (the old ones are kept)."""
    reader = Reader(db, access, Readings(db, access).get(name))
    study = nodes.get_study(db, access, body.pid, body.sid)
    key = (study.id, body.file_id, body.repetition, body.arm)
    added = reader.record(
        stage, study, body.file_id, body.repetition, body.arm, body.answers, time_ms=body.time_ms,
        visit_id=body.visit_id,
    )  # fmt: skip
    db.commit()
    answers = reader.current_case(stage, key)
    return AnswersOut(added=len(added), done=reader.is_done(answers), answers=answers)


@router.post(f"{S}/visits", response_model=OpenedOut, status_code=status.HTTP_201_CREATED)
def open_visit(name: str, stage: StageName, body: OpenIn, access: ProjectAccess, db: DB) -> OpenedOut:
    """Open a case: its visit records the active time until the first answer and in total; the answer
    has the case's answers so far. ``leaving`` times the visit of the case left, in the same request."""
    reader = Reader(db, access, Readings(db, access).get(name))
    if body.leaving is not None:
        reader.time_visit(body.leaving.id, body.leaving.active_ms, body.leaving.first_answer_ms)
    study = nodes.get_study(db, access, body.pid, body.sid)
    visit = reader.open_visit(stage, study, body.file_id, body.repetition, body.arm)
    db.commit()
    answers = reader.current_case(stage, (study.id, body.file_id, body.repetition, body.arm))
    return OpenedOut(
        id=visit.id,
        active_ms=visit.active_ms,
        first_answer_ms=visit.first_answer_ms,
        answers=answers,
        done=reader.is_done(answers),
    )


@router.patch(f"{R}/visits/{{visit_id}}", response_model=VisitOut)
def time_visit(name: str, visit_id: DbInt, body: VisitIn, access: ProjectAccess, db: DB) -> VisitOut:
    """The active time of an open case so far (hidden-page time left out by the page)."""
    reader = Reader(db, access, Readings(db, access).get(name))
    visit = reader.time_visit(visit_id, body.active_ms, body.first_answer_ms)
    db.commit()
    return VisitOut(id=visit.id, active_ms=visit.active_ms, first_answer_ms=visit.first_answer_ms)


@router.delete(f"{S}/results", status_code=status.HTTP_204_NO_CONTENT)
def restart_stage(name: str, stage: StageName, access: ProjectAccess, db: DB) -> Response:
    """Restart a stage: delete the caller's own results of it, where the reading allows it."""
    Reader(db, access, Readings(db, access).get(name)).restart(stage)
    db.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(f"{R}/results", response_model=list[ResultOut])
def results(
    name: str,
    access: ProjectAccess,
    db: DB,
    stage: StageName | None = None,
    history: bool = False,
) -> list[ResultOut]:
    """The results: a reader's own, everyone's for reading admins; the current answers, or every one given."""
    _, rows = visible_rows(db, access, name, stage=stage, history=history)
    return [
        ResultOut(
            reader=r.reader, stage=r.stage, arm=r.arm, case=r.case, pid=r.pid, sid=r.sid, image=r.image,
            repetition=r.repetition, item=r.item, value=r.value, current=r.current, time_ms=r.time_ms,
            created_at=r.created_at,
        )
        for r in rows
    ]  # fmt: skip


@router.get(f"{R}/results.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def export_results(name: str, access: ProjectAccess, db: DB, stage: StageName | None = None) -> Response:
    """Every answer ever given (with ``current`` 1 for the standing ones) as CSV, with case times."""
    reading, rows = visible_rows(db, access, name, stage=stage, history=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
    return Response(
        export_csv(db, reading, rows),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{reading.name}-results-{stamp}.csv"'},
    )


class AnalysisIn(Strict):
    """What the analysis compares against: an uploaded ``case,item,value`` reference table (its CSV text) or
    a reader whose answers are the reference; the covariance method of the MRMC analysis; per item, the
    answers that mean "finding present"; for ``markers`` items, the distance (mm) within which two readers'
    markers match and whether only markers of the same name (label) match."""

    reference_csv: str | None = Field(None, max_length=5_000_000)
    reference_reader: str | None = Field(None, max_length=255)
    covariance: CovarianceMethod = "jackknife"
    positive: dict[str, list[Annotated[str, Field(max_length=255)]]] = Field(default_factory=dict, max_length=500)
    marker_tolerance_mm: float = Field(DEFAULT_TOLERANCE_MM, gt=0, le=1000)
    markers_by_label: bool = False


@router.post(f"{R}/analysis", response_model=ReadingAnalysis)
def analyse_results(name: str, body: AnalysisIn, access: ProjectAccess, db: DB, state: State) -> ReadingAnalysis:
    """Agreement (kappas, ICC), accuracy against the reference and the MRMC ROC analysis over the arms, item by
    item, of every reader's current answers: for the reading's admins. Nothing is stored."""
    result = analyse(
        db,
        access,
        state.layout,
        name,
        reference_csv=body.reference_csv,
        reference_reader=body.reference_reader,
        covariance=body.covariance,
        positive=body.positive,
        marker_tolerance_mm=body.marker_tolerance_mm,
        markers_by_label=body.markers_by_label,
    )
    db.rollback()
    return result
