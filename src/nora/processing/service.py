"""Processing services: launch batches, the job monitor's queries and actions, saved batches.

Launching needs the project's ``batchtool`` right (and ``QUEUE_<queue>`` for restricted queues). A launch
resolves every subject's inputs at once: subjects whose inputs do not resolve get their jobs in the
error state with the reason (they show in the monitor and in the ``JOB:e`` filter), the others are
queued for the daemon's engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from nora.archive.models import JsonDocument, Patient, Study, utcnow
from nora.archive.selection import SelectionHit, SubjectSelector, resolve_selection
from nora.archive.selection.patterns import contains_text
from nora.archive.services import audit
from nora.archive.services.access import Access
from nora.archive.services.documents import Documents
from nora.archive.storage import Layout
from nora.core.errors import InvalidInput, NoraError, NotFound
from nora.core.ids import Psid, check_name
from nora.core.settings import ProcessingConfig, Settings
from nora.processing.config import choose_queue
from nora.processing.executors import make_executor
from nora.processing.lifecycle import JobPhase, initial, move
from nora.processing.models import Batch, Job
from nora.processing.resolve import Target, resolve_chain, resolve_cohort
from nora.processing.spec import BatchDef, parse_batch

MAX_TARGETS = 20_000
#: the most studies one cohort job (a training) resolves at launch
MAX_COHORT = 5_000
MAX_LOG = 1 << 20
BATCH_KIND = "batch"


@dataclass(frozen=True)
class LaunchRequest:
    """A batch (inline, or the name of a saved one) for some rows (studies or patients) or a selector.

    ``rows`` are exact IDs (what the table's ticked rows are); ``select`` is subject-selector text typed
    by the user, parsed here once.
    """

    batch: BatchDef | dict[str, Any] | None = None
    batch_name: str = ""
    rows: Sequence[Psid] = ()
    select: str = ""
    queue: str | None = None
    origin: str = ""


def _row_hits(session: Session, access: Access, rows: Sequence[Psid]) -> list[SelectionHit]:
    """The studies (and whole patients) of ``rows``, looked up by exact, case-sensitive PID and SID."""
    wanted = list(dict.fromkeys(rows))
    pids = sorted({r.pid for r in wanted})
    patients = dict(
        session.execute(
            select(Patient.pid, Patient.id).where(Patient.project_id == access.project.id, Patient.pid.in_(pids))
        ).all()
    )
    studies: dict[tuple[int, str], int] = {}
    if any(r.is_study for r in wanted):
        query = select(Study.patient_id, Study.sid, Study.id).where(
            Study.patient_id.in_(sorted(patients.values())), Study.sid.in_(sorted({r.sid for r in wanted if r.sid}))
        )
        studies = {(patient_id, sid): study_id for patient_id, sid, study_id in session.execute(query).all()}
    missing = [
        str(r)
        for r in wanted
        if r.pid not in patients or (r.sid is not None and (patients[r.pid], r.sid) not in studies)
    ]
    if missing:
        raise NotFound(f"not in project {access.project.name!r}: {', '.join(missing[:5])}")
    whole = [patients[r.pid] for r in wanted if r.sid is None]
    single = [studies[patients[r.pid], r.sid] for r in wanted if r.sid is not None]
    return resolve_selection(session, access.project.id, SubjectSelector.of_nodes(whole, single), "[info]")


def _targets(session: Session, access: Access, batch: BatchDef, rows: Sequence[Psid], select_text: str) -> list[Target]:
    pairs: dict[tuple[int, int | None], Target] = {}
    hits = []
    if rows:
        hits += _row_hits(session, access, rows)
    if select_text:
        hits += resolve_selection(session, access.project.id, select_text, "[info]")
    if not rows and not select_text:
        raise InvalidInput("no subjects: give rows (PID#SID or PID) or a subject selector")
    patients = {p.id: p for p in session.scalars(select(Patient).where(Patient.id.in_({h.patient_id for h in hits})))}
    study_ids = {h.study_id for h in hits if h.study_id is not None}
    studies_by_id = {s.id: s for s in session.scalars(select(Study).where(Study.id.in_(study_ids)))}
    for h in hits:
        patient = patients[h.patient_id]
        if batch.level == "subject":
            pairs.setdefault((patient.id, None), Target(patient, None))
        elif h.study_id is not None and batch.level == "cohort" and len(pairs) >= MAX_COHORT:
            raise InvalidInput(f"more than {MAX_COHORT} studies: a cohort job takes at most {MAX_COHORT}")
        elif h.study_id is not None:
            pairs.setdefault((patient.id, h.study_id), Target(patient, studies_by_id[h.study_id]))
    if not pairs:
        raise InvalidInput("the selection contains no " + ("subjects" if batch.level == "subject" else "studies"))
    if len(pairs) > MAX_TARGETS:
        raise InvalidInput(f"{len(pairs)} targets: at most {MAX_TARGETS} per launch")
    return sorted(pairs.values(), key=lambda t: t.psid.sort_key())


def load_saved(session: Session, access: Access, name: str) -> BatchDef:
    doc = _saved_doc(session, access, name)
    if doc is None:
        raise NotFound(f"no saved batch {name!r} in project {access.project.name!r}")
    return parse_batch(doc.content)


def launch(session: Session, access: Access, layout: Layout, config: ProcessingConfig, request: LaunchRequest) -> Batch:
    """Create a batch and its jobs (queued, or in error with the reason); the daemon runs them."""
    access.require_batchtool()
    if request.batch is not None:
        batch = parse_batch(request.batch)
    elif request.batch_name:
        batch = load_saved(session, access, request.batch_name)
    else:
        raise InvalidInput("give a batch (JSON) or the name of a saved batch")
    project_queue = str(access.project.settings.get("queues", {}).get("default", ""))
    queue = choose_queue(session, access.actor, config, request.queue, project_queue)
    targets = _targets(session, access, batch, request.rows, request.select)
    row = Batch(
        project_id=access.project.id,
        user_id=access.actor.user_id,
        username=access.actor.username,
        name=batch.name or request.batch_name or "batch",
        level=batch.level,
        queue=queue,
        executor=config.executor,
        spec=batch.model_dump(),
        origin=request.origin,
    )
    session.add(row)
    session.flush()
    jobs = _cohort_job(session, access, layout, batch, row, targets) if batch.level == "cohort" else []
    for chain, target in enumerate(targets if batch.level != "cohort" else []):
        for step, resolved in enumerate(resolve_chain(session, access, layout, target, batch)):
            jobdef = batch.jobs[step]
            failed = isinstance(resolved, str)
            jobs.append(
                Job(
                    project_id=access.project.id,
                    patient_id=target.patient.id,
                    study_id=target.study.id if target.study else None,
                    batch_id=row.id,
                    user_id=access.actor.user_id,
                    name=jobdef.label or jobdef.job,
                    kind="job",
                    **initial(JobPhase.ERROR if failed else JobPhase.QUEUED),
                    spec={"psid": str(target.psid), "job": jobdef.job, "definition": jobdef.model_dump()}
                    if failed
                    else resolved,
                    message=resolved if isinstance(resolved, str) else "",
                    step=step,
                    chain=chain,
                    queue=queue,
                    executor=config.executor,
                    finished_at=utcnow() if failed else None,
                )
            )
    session.add_all(jobs)
    session.flush()
    audit.record(
        session,
        access.actor,
        "batch.launch",
        project=access.project.name,
        target=row.name,
        batch_id=row.id,
        n_targets=len(targets),
        n_jobs=len(jobs),
        queue=queue,
    )
    return row


def _cohort_job(
    session: Session, access: Access, layout: Layout, batch: BatchDef, row: Batch, targets: list[Target]
) -> list[Job]:
    """The one job of a cohort batch (NORA's analyses): over every selected study, of no single study."""
    jobdef = batch.jobs[0]
    if len(batch.jobs) != 1:
        raise InvalidInput("a cohort batch holds one job (it runs once over all selected studies)")
    try:
        resolved: dict[str, Any] | str = resolve_cohort(session, access, layout, targets, jobdef)
    except NoraError as exc:
        resolved = exc.message
    failed = isinstance(resolved, str)
    job = Job(
        project_id=access.project.id,
        batch_id=row.id,
        user_id=access.actor.user_id,
        name=jobdef.label or jobdef.job,
        kind="job",
        **initial(JobPhase.ERROR if failed else JobPhase.QUEUED),
        spec={"psid": "", "job": jobdef.job, "definition": jobdef.model_dump()} if failed else resolved,
        message=resolved if isinstance(resolved, str) else "",
        queue=row.queue,
        executor=row.executor,
        finished_at=utcnow() if failed else None,
    )
    return [job]


# --------------------------------------------------------------------------------------------- monitor

SortKey = Literal["id", "-id", "state", "psid", "name", "created", "-created", "updated", "-updated"]


#: the columns of a job monitor row (JobOut's fields; ``pid``/``sid`` become ``psid``): plain rows, not ORM
#: objects (500 jobs a page: the objects and their garbage-collector traffic were most of the route's CPU)
LIST_COLUMNS = (
    Job.id,
    Job.batch_id,
    Batch.name.label("batch"),
    Patient.pid,
    Study.sid,
    Job.name,
    Job.kind,
    Job.state,
    Job.phase,
    Job.queue,
    Job.executor,
    Job.step,
    Job.message,
    Job.progress,
    Job.exit_code,
    Job.created_at,
    Job.started_at,
    Job.finished_at,
)
_LIST_KEYS = tuple(c.key for c in LIST_COLUMNS)


def _listed(access: Access) -> Select[*tuple[Any, ...]]:
    return (
        select(*LIST_COLUMNS)
        .outerjoin(Patient, Patient.id == Job.patient_id)
        .outerjoin(Study, Study.id == Job.study_id)
        .outerjoin(Batch, Batch.id == Job.batch_id)
        .where(Job.project_id == access.project.id)
    )


def _summaries(session: Session, query: Select[*tuple[Any, ...]]) -> list[dict[str, Any]]:
    out = []
    for row in session.execute(query):
        item = dict(zip(_LIST_KEYS, row, strict=True))
        pid, sid = item.pop("pid"), item.pop("sid")
        item["psid"] = str(Psid(pid, sid)) if pid else ""
        item["batch"] = item["batch"] or ""
        out.append(item)
    return out


def list_jobs(
    session: Session,
    access: Access,
    states: Sequence[str] = (),
    search: str = "",
    sort: str = "-id",
    hide_done: bool = False,
    batch_id: int | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """Jobs of the project as job monitor rows (the fields of the API's ``JobOut``, with their PID#SID and
    batch name): filtered, searched, sorted."""
    query = _listed(access)
    bad = [s for s in states if s not in ("q", "r", "e", "d", "x")]
    if bad:
        raise InvalidInput(f"unknown job state {bad[0]!r}: use q, r, e, d or x")
    if states:
        query = query.where(Job.state.in_(list(states)))
    elif hide_done:
        query = query.where(Job.state.in_(["q", "r", "e"]))
    if batch_id is not None:
        query = query.where(Job.batch_id == batch_id)
    if search:
        columns_searched = (Patient.pid_lc, Study.sid_lc, Job.name, Job.message, Batch.name)
        query = query.where(or_(*[contains_text(column, search) for column in columns_searched]))
    columns = {
        "id": Job.id,
        "state": Job.state,
        "psid": Patient.pid_lc,
        "name": Job.name,
        "created": Job.created_at,
        "updated": Job.updated_at,
        "batch": Batch.name,
    }
    key = sort.lstrip("-")
    if key not in columns:
        raise InvalidInput(f"cannot sort by {sort!r}: use {', '.join(columns)} (prefix - for descending)")
    order = columns[key].desc() if sort.startswith("-") else columns[key].asc()
    return _summaries(session, query.order_by(order, Job.id.desc()).limit(max(1, min(limit, 10_000))))


def job_summary(session: Session, access: Access, job_id: int) -> dict[str, Any]:
    """One job as a job monitor row (see :func:`list_jobs`)."""
    found = _summaries(session, _listed(access).where(Job.id == job_id))
    if not found:
        raise NotFound(f"job {job_id} not found in project {access.project.name!r}")
    return found[0]


def batch_definition(session: Session, access: Access, batch_id: int) -> BatchDef:
    """The batch a launch ran (its jobs and arguments as launched), to edit and run again."""
    row = session.get(Batch, batch_id)
    if row is None or row.project_id != access.project.id:
        raise NotFound(f"batch {batch_id} not found in project {access.project.name!r}")
    return parse_batch(row.spec)


def get_job(session: Session, access: Access, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None or job.project_id != access.project.id:
        raise NotFound(f"job {job_id} not found in project {access.project.name!r}")
    return job


def job_log(session: Session, access: Access, job_id: int) -> str:
    """The tail of the job's log (at most 1 MB), with its error record's message when it failed."""
    job = get_job(session, access, job_id)
    if not job.log_path:
        return "" if job.state != "e" else f"[nora] {job.message}\n"
    path = Path(job.log_path)
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, path.stat().st_size - MAX_LOG))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        text = ""
    return text


def error_record(session: Session, access: Access, job_id: int) -> dict[str, Any] | None:
    import json

    job = get_job(session, access, job_id)
    if not job.job_dir:
        return {"message": job.message} if job.state in ("e", "x") else None
    try:
        data = json.loads((Path(job.job_dir) / "error.json").read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def kill_jobs(session: Session, access: Access, config: Settings, job_ids: Sequence[int]) -> list[int]:
    """Stop jobs: queued ones end at once in error, running ones are cancelled (the runner records it)."""
    access.require_batchtool()
    killed = []
    for job_id in job_ids:
        job = get_job(session, access, job_id)
        if job.phase == JobPhase.QUEUED:
            move(job, JobPhase.ERROR, message="killed before it started")
            killed.append(job.id)
        elif job.phase in (JobPhase.SUBMITTED, JobPhase.RUNNING) and job.external_id:
            make_executor(job.executor or "local", config).cancel([job.external_id])
            job.kill_requested = True
            killed.append(job.id)
    session.flush()
    audit.record(session, access.actor, "job.kill", project=access.project.name, target=",".join(map(str, killed)))
    return killed


def dismiss_errors(session: Session, access: Access, job_ids: Sequence[int]) -> list[int]:
    """Mark failed jobs as seen (state ``x``): they leave the monitor's error list and the JOB:e filter."""
    access.require_batchtool()
    done = []
    for job_id in job_ids:
        job = get_job(session, access, job_id)
        if job.phase == JobPhase.ERROR:
            move(job, JobPhase.DISMISSED)
            done.append(job.id)
    session.flush()
    audit.record(session, access.actor, "job.dismiss", project=access.project.name, target=",".join(map(str, done)))
    return done


# ---------------------------------------------------------------------------------------- saved batches


def _batches(session: Session, access: Access) -> Documents:
    return Documents(session, access, BATCH_KIND, "saved batch")


def _saved_doc(session: Session, access: Access, name: str) -> JsonDocument | None:
    return _batches(session, access).lookup(name)


def list_saved(session: Session, access: Access) -> list[JsonDocument]:
    return _batches(session, access).visible()


def save_batch(session: Session, access: Access, name: str, content: Any, shared: bool = False) -> JsonDocument:
    """Save (or replace) one of the caller's batches after validating it."""
    access.require_batchtool()
    check_name(name, "batch name")
    batch = parse_batch(content)
    doc = _batches(session, access).put(name, batch.model_dump(), shared=shared)
    audit.record(session, access.actor, "batch.save", project=access.project.name, target=name)
    return doc


def delete_saved(session: Session, access: Access, name: str) -> None:
    access.require_batchtool()
    batches = _batches(session, access)
    doc = batches.lookup(name)
    if doc is None or not batches.may_change(doc):
        raise NotFound(f"no saved batch {name!r} of yours in project {access.project.name!r}")
    batches.delete(doc)
    audit.record(session, access.actor, "batch.delete", project=access.project.name, target=name)
