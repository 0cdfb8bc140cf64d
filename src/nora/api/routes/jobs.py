"""Processing: the job catalog, launching batches, the job monitor, saved batches, autoexecution rules."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field, TypeAdapter

from nora.api.deps import DB, CurrentActor, JobServices, ProjectAccess, State
from nora.api.schemas import Out, UtcDateTime
from nora.archive.services.access import has_capability
from nora.core.ids import Psid
from nora.core.validation import DbInt
from nora.processing import autoexec, service
from nora.processing.autoexec import AutoexecRule
from nora.processing.catalog import CATALOG, ArgType
from nora.processing.spec import GENERIC, BatchDef, script_rows

router = APIRouter(tags=["processing"])
P = "/projects/{project}"


SCRIPT_HELP = "Script with $f1.. $o1.. $p1.. $s1.. $n1.."


# --------------------------------------------------------------------------------------------- schemas


class JobOut(Out):
    id: int
    batch_id: int | None
    batch: str
    psid: str
    name: str
    kind: str = Field(description="job (a batch tool job), import, retrieve, or a kind a feature registers")
    state: str
    phase: str
    queue: str
    executor: str
    step: int
    message: str
    progress: float = Field(description="0..1: what a running job reported (its progress.json), 1 when done")
    exit_code: int | None
    created_at: UtcDateTime
    started_at: UtcDateTime | None
    finished_at: UtcDateTime | None


class JobDetail(JobOut):
    spec: dict[str, Any] = Field(description="the job's stored specification, shown as JSON")
    error: dict[str, Any] | None = Field(description="the error record the runner wrote (error.json), if any")


class JobIds(BaseModel):
    ids: list[DbInt] = Field(min_length=1, max_length=10_000)


class LaunchIn(BaseModel):
    batch: BatchDef | None = Field(default=None, description="an inline batch; else batch_name names a saved one")
    batch_name: str = Field(default="", max_length=255)
    rows: list[str] = Field(default_factory=list, max_length=20_000)
    select: str = Field(default="", max_length=5000)
    queue: str | None = Field(default=None, max_length=64)


class LaunchOut(Out):
    batch_id: int
    name: str
    queue: str
    executor: str
    jobs: int
    errors: list[JobOut]


class SavedBatch(Out):
    name: str
    owner: bool
    shared: bool
    content: BatchDef
    updated_at: UtcDateTime


class SavedBatchIn(BaseModel):
    content: BatchDef
    shared: bool = False


class QueueOut(Out):
    name: str
    partition: str
    params: str
    allowed: bool
    default: bool


class CatalogArg(Out):
    """One argument row a catalog job declares."""

    name: str
    type: ArgType
    help: str
    required: bool
    default: str | float | bool
    options: list[str]
    multi: bool
    choices: str = Field(description='"" (free text) or a list the page offers: "models" = the project\'s models')


class CatalogJob(Out):
    """One entry of the job menu: a generic script job (no declared rows) or a built-in."""

    id: str
    title: str
    description: str
    #: "study" (per study or subject) or "cohort" (once over all selected studies: launch the batch at that level)
    level: str = "study"
    args: list[CatalogArg]


class CatalogOut(Out):
    executor: str
    jobs: list[CatalogJob]
    queues: list[QueueOut]


class ScriptRowsIn(BaseModel):
    script: str = Field(max_length=200_000)


class ScriptRow(Out):
    """An argument row a script refers to ($f1 -> name f1, type FILE)."""

    name: str
    type: ArgType


class Killed(Out):
    killed: list[int]


class Dismissed(Out):
    dismissed: list[int]


class RuleList(Out):
    rules: list[AutoexecRule] = Field(max_length=100)


#: job monitor rows (dicts of the service) validated as one list: one call instead of one model per job
JOB_LIST = TypeAdapter(list[JobOut])


# ------------------------------------------------------------------------------------------------ routes


@router.get("/processing/catalog", response_model=CatalogOut)
def catalog(actor: CurrentActor, db: DB, state: State) -> CatalogOut:
    """The job menu (generic Bash/Python jobs and the built-ins) and the queues the caller may use."""
    config = state.settings
    generic = [
        CatalogJob(id=g, title=f"Generic {g.capitalize()} job", description=SCRIPT_HELP, args=[]) for g in GENERIC
    ]
    builtins = [CatalogJob.model_validate(b.public()) for b in CATALOG.values()]
    queues = [
        QueueOut(
            name=name,
            partition=spec.partition,
            params=spec.params,
            allowed=not spec.restricted or has_capability(db, actor, f"QUEUE_{name}"),
            default=name == config.processing.default_queue,
        )
        for name, spec in sorted(config.processing.queues.items())
    ]
    return CatalogOut(executor=config.processing.executor, jobs=generic + builtins, queues=queues)


@router.post("/processing/script-rows", response_model=list[ScriptRow])
def script_argument_rows(body: ScriptRowsIn, actor: CurrentActor) -> list[ScriptRow]:
    """The argument rows a Bash/Python script refers to ($f1 -> a FILE row f1), in the batch tool's order."""
    return [ScriptRow(name=name, type=kind) for name, kind in script_rows(body.script)]


@router.get(P + "/jobs", response_model=list[JobOut])
def list_jobs(
    request: Request,
    access: ProjectAccess,
    db: DB,
    server: State,
    state: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies defaults
    search: str = "",
    sort: str = "-id",
    hide_done: bool = False,
    batch_id: DbInt | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
) -> Response:
    def listing() -> bytes:
        rows = service.list_jobs(db, access, state, search, sort, hide_done, batch_id, limit)
        return JOB_LIST.dump_json(JOB_LIST.validate_python(rows), by_alias=True)

    return server.cache.answer(request, db, access, listing)


@router.get(P + "/jobs/{job_id}", response_model=JobDetail)
def job_detail(job_id: DbInt, access: ProjectAccess, db: DB) -> JobDetail:
    job = service.get_job(db, access, job_id)
    return JobDetail(
        **service.job_summary(db, access, job_id), spec=job.spec, error=service.error_record(db, access, job_id)
    )


@router.get(P + "/jobs/{job_id}/log", response_class=PlainTextResponse)
def job_log(job_id: DbInt, access: ProjectAccess, db: DB) -> str:
    return service.job_log(db, access, job_id)


@router.post(P + "/jobs/kill", response_model=Killed)
def kill(body: JobIds, access: ProjectAccess, db: DB, state: State) -> Killed:
    killed = service.kill_jobs(db, access, state.settings, body.ids)
    db.commit()
    return Killed(killed=killed)


@router.post(P + "/jobs/dismiss", response_model=Dismissed)
def dismiss(body: JobIds, access: ProjectAccess, db: DB) -> Dismissed:
    done = service.dismiss_errors(db, access, body.ids)
    db.commit()
    return Dismissed(dismissed=done)


@router.post(P + "/batches", response_model=LaunchOut, status_code=201)
def launch(body: LaunchIn, access: ProjectAccess, db: DB, state: State, jobs: JobServices) -> LaunchOut:
    """Launch a batch (inline, or a saved one by name) on rows (PID#SID or PID) or a subject selector."""
    request_ = service.LaunchRequest(
        batch=body.batch,
        batch_name=body.batch_name,
        rows=[Psid.parse(r) for r in body.rows],
        select=body.select,
        queue=body.queue,
    )
    batch = service.launch(db, access, state.layout, state.settings.processing, request_)
    db.commit()
    jobs.notify_jobs()
    rows = service.list_jobs(db, access, batch_id=batch.id, limit=10_000)
    errors = JOB_LIST.validate_python([r for r in rows if r["state"] == "e"])
    return LaunchOut(
        batch_id=batch.id, name=batch.name, queue=batch.queue, executor=batch.executor, jobs=len(rows), errors=errors
    )


@router.get(P + "/batches/{batch_id}", response_model=BatchDef)
def batch_definition(batch_id: DbInt, access: ProjectAccess, db: DB) -> BatchDef:
    """The batch as launched (its jobs and arguments): the batch tool's "Select failed & rerun" edits it."""
    return service.batch_definition(db, access, batch_id)


@router.get(P + "/saved-batches", response_model=list[SavedBatch])
def saved_batches(access: ProjectAccess, db: DB) -> list[SavedBatch]:
    return [
        SavedBatch(
            name=d.name,
            owner=d.owner_id == access.actor.user_id,
            shared=d.shared,
            content=BatchDef.model_validate(d.content),
            updated_at=d.updated_at,
        )
        for d in service.list_saved(db, access)
    ]


@router.put(P + "/saved-batches/{name}", response_model=SavedBatch)
def save_batch(name: str, body: SavedBatchIn, access: ProjectAccess, db: DB) -> SavedBatch:
    doc = service.save_batch(db, access, name, body.content, body.shared)
    db.commit()
    content = BatchDef.model_validate(doc.content)
    return SavedBatch(name=doc.name, owner=True, shared=doc.shared, content=content, updated_at=doc.updated_at)


@router.delete(P + "/saved-batches/{name}", status_code=204)
def delete_batch(name: str, access: ProjectAccess, db: DB) -> Response:
    service.delete_saved(db, access, name)
    db.commit()
    return Response(status_code=204)


@router.get(P + "/autoexec", response_model=RuleList)
def autoexec_rules(access: ProjectAccess) -> RuleList:
    return RuleList(rules=autoexec.rules_of(access))


@router.put(P + "/autoexec", response_model=RuleList)
def set_autoexec_rules(body: RuleList, access: ProjectAccess, db: DB) -> RuleList:
    rules = autoexec.set_rules(db, access, body.rules)
    db.commit()
    return RuleList(rules=rules)
