"""PACS query / retrieve / send for the configured PACS nodes (``Settings.pacs``).

Rights: ``PACSQUERY_<node>`` to query and retrieve, ``PACS_<node>`` to send (system admins hold every
capability). A retrieve is a job of kind ``retrieve`` (:func:`create_retrieve` queues it; the engine's
worker pool runs it, :mod:`nora.importing.kinds`): C-MOVE to our move node (or C-GET), then
:func:`nora.importing.service.import_dicom_tree` into the chosen project (its own import job, linked from
the retrieve job's spec). Every retrieve and send is audited.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from nora.archive.db import transaction
from nora.archive.services import audit
from nora.archive.services.access import Access, Actor, has_capability, project_access
from nora.archive.storage import Layout
from nora.core.errors import Forbidden, InvalidInput, NoraError, NotFound, Unavailable
from nora.core.settings import DicomNodeSettings, PacsSettings, Settings
from nora.dicom.net import Client, FindQuery, Peer, Spool, TransferResult
from nora.importing import jobs
from nora.importing.node import find_node, spool_root
from nora.processing.lifecycle import JobPhase, initial
from nora.processing.models import Job

log = logging.getLogger(__name__)

KIND = "retrieve"
MAX_STUDIES = 500
INTERRUPTED = "interrupted: the server stopped during the retrieve; pull the studies again"
#: a node's spool by node name (the running node's own where this process runs it)
SpoolOf = Callable[[str], Spool]


@dataclass(frozen=True)
class PacsNode:
    """A configured PACS as a caller sees it."""

    name: str
    ae_title: str
    host: str
    port: int
    description: str
    retrieve: str
    can_query: bool
    can_send: bool


@dataclass(frozen=True)
class RetrieveItem:
    """One study to pull, or only some of its series."""

    study_uid: str
    series_uids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        FindQuery("SERIES", study_uid=self.study_uid)  # validates the UID
        for uid in self.series_uids:
            FindQuery("SERIES", study_uid=uid)


# ------------------------------------------------------------------------------------------------ config


def _pacs(settings: Settings, name: str) -> PacsSettings:
    pacs = settings.pacs.get(name)
    if pacs is None:
        raise NotFound(f"PACS {name!r} is not configured")
    return pacs


def peer(settings: Settings, name: str) -> Peer:
    pacs = _pacs(settings, name)
    return Peer(name, pacs.ae_title, pacs.host, pacs.port)


def client(settings: Settings, name: str) -> Client:
    pacs = _pacs(settings, name)
    calling = pacs.calling_ae or (settings.dicom_nodes[0].ae_title if settings.dicom_nodes else "NORA")
    return Client(calling, timeout=pacs.max_wait)


def move_node(settings: Settings, name: str) -> DicomNodeSettings:
    """Our node that receives this PACS's C-MOVE results."""
    pacs = _pacs(settings, name)
    if pacs.move_node:
        return find_node(settings, pacs.move_node)
    for node in settings.dicom_nodes:
        if node.type in ("move", "both"):
            return node
    raise InvalidInput(
        f"PACS {name!r} retrieves by C-MOVE but no DICOM node of type 'move' or 'both' is configured; "
        "configure one (and register its AE title, host and port in the PACS) or set retrieve = 'get'"
    )


def _require(session: Session, actor: Actor, settings: Settings, name: str, prefix: str) -> None:
    _pacs(settings, name)
    if not has_capability(session, actor, f"{prefix}_{name}"):
        raise Forbidden(f"user {actor.username!r} has no {prefix}_{name} right")


def list_nodes(session: Session, actor: Actor, settings: Settings) -> list[PacsNode]:
    """The PACS nodes the actor may query or send to."""
    found = []
    for name, pacs in sorted(settings.pacs.items()):
        can_query = has_capability(session, actor, f"PACSQUERY_{name}")
        can_send = has_capability(session, actor, f"PACS_{name}")
        if can_query or can_send:
            found.append(
                PacsNode(
                    name, pacs.ae_title, pacs.host, pacs.port, pacs.description, pacs.retrieve, can_query, can_send
                )
            )
    return found


# ----------------------------------------------------------------------------------------------- queries


def echo(session: Session, actor: Actor, settings: Settings, name: str) -> None:
    _require(session, actor, settings, name, "PACSQUERY")
    client(settings, name).echo(peer(settings, name))


def find(session: Session, actor: Actor, settings: Settings, name: str, query: FindQuery) -> list[dict[str, Any]]:
    """One C-FIND at the query's level."""
    _require(session, actor, settings, name, "PACSQUERY")
    return client(settings, name).find(peer(settings, name), query)


def search(session: Session, actor: Actor, settings: Settings, name: str, query: FindQuery) -> list[dict[str, Any]]:
    """Studies matching the query, each with its series (``series``): what the PACS query page shows."""
    _require(session, actor, settings, name, "PACSQUERY")
    if query.level != "STUDY":
        raise InvalidInput("a search starts at the study level")
    scu, target = client(settings, name), peer(settings, name)
    studies = scu.find(target, query, limit=MAX_STUDIES)
    for study in studies:
        series_query = FindQuery("SERIES", study_uid=study["StudyInstanceUID"])
        study["series"] = scu.find(target, series_query)
    return studies


# ---------------------------------------------------------------------------------------------- retrieve


def create_retrieve(
    sessions: sessionmaker[Session],
    layout: Layout,
    settings: Settings,
    actor: Actor,
    name: str,
    project: str,
    items: Sequence[RetrieveItem],
    method: str | None = None,
) -> Job:
    """Check rights and input and record a queued retrieve job (the engine's worker pool runs it)."""
    if not items:
        raise InvalidInput("nothing to retrieve: select at least one study or series")
    method = method or _pacs(settings, name).retrieve
    if method not in ("move", "get"):
        raise InvalidInput(f"retrieve method {method!r}: use 'move' or 'get'")
    with transaction(sessions) as session:
        _require(session, actor, settings, name, "PACSQUERY")
        access = project_access(session, actor, project)
        access.require_write()
        if method == "move":
            move_node(settings, name)
        spec = {
            "pacs": name,
            "method": method,
            "items": [{"study_uid": i.study_uid, "series_uids": list(i.series_uids)} for i in items],
        }
        job = Job(
            project_id=access.project.id,
            user_id=actor.user_id,
            name=f"retrieve {len(items)} from {name}"[:255],
            kind=KIND,
            **initial(),
            spec=spec,
            message="queued",
        )
        session.add(job)
        session.flush()
        job.log_path = str(jobs.job_dir(layout, job.id) / "log.txt")
        audit.record(session, actor, "pacs.retrieve", project=project, target=str(job.id), **spec)
    return job


def run_retrieve(
    sessions: sessionmaker[Session],
    layout: Layout,
    settings: Settings,
    actor: Actor,
    job_id: int,
    spool_of: SpoolOf | None = None,
) -> None:
    """Run a retrieve job (in this thread); its failure is recorded on the job, not raised.

    Only errors are caught: an interrupt or exit stops the retrieve with the process (the job stays
    running until the next start's recovery marks it interrupted).
    """
    spool_of = spool_of or (lambda node: Spool(spool_root(layout, node)))
    tracker = jobs.Tracker(sessions, layout, job_id)
    with sessions() as session:
        job = session.get(Job, job_id)
        if job is None:
            return
        spec, project = dict(job.spec), _project_name(session, job.project_id)
    work = tracker.folder / "retrieved"
    try:
        tracker.update(phase=JobPhase.RUNNING, progress=0.0, message="retrieving", force=True)
        items = [RetrieveItem(i["study_uid"], tuple(i.get("series_uids") or ())) for i in spec["items"]]
        counts = _transfer(settings, spool_of, spec["pacs"], spec["method"], items, work, tracker)
        if not any(work.rglob("*.dcm")):
            raise Unavailable(f"PACS {spec['pacs']!r} sent no instances for the selected studies")
        tracker.update(progress=0.5, message=f"importing {counts.completed} instances", force=True)
        report = _import(sessions, layout, settings, actor, project, work, tracker)
        summary = f"retrieved {counts.completed} instances"
        if counts.failed or counts.warning:
            summary += f" ({counts.failed} failed, {counts.warning} with warnings at the PACS)"
        message = f"{summary}; import job {report.job_id}: {report.summary()}"
        with transaction(sessions) as session:
            row = session.get(Job, job_id)
            if row is not None:
                row.spec = {**row.spec, "import_job": report.job_id, "instances": counts.completed}
        tracker.log(message)
        tracker.update(phase=JobPhase.DONE, progress=1.0, message=message, force=True)
        shutil.rmtree(work, ignore_errors=True)
    except Exception as exc:  # the job's boundary: its failure is its outcome
        text = exc.message if isinstance(exc, NoraError) else f"{exc.__class__.__name__}: {exc}"
        if not isinstance(exc, NoraError):
            log.exception("retrieve job %s failed", job_id)
        tracker.log(f"FAILED: {text}")
        tracker.update(phase=JobPhase.ERROR, message=f"failed: {text}", force=True)


def _project_name(session: Session, project_id: int) -> str:
    from nora.archive.models import Project

    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"project {project_id} no longer exists")
    return project.name


def _transfer(
    settings: Settings,
    spool_of: SpoolOf,
    name: str,
    method: str,
    items: list[RetrieveItem],
    work: Path,
    tracker: jobs.Tracker,
) -> TransferResult:
    scu, target = client(settings, name), peer(settings, name)
    total = TransferResult()
    for n, item in enumerate(items):

        def progress(done: int, expected: int, n: int = n) -> None:
            share = (n + (done / expected if expected else 0.0)) / len(items)
            tracker.update(progress=0.5 * share, message=f"study {n + 1}/{len(items)}: {done}/{expected} instances")

        series = list(item.series_uids) or None
        if method == "get":
            result = scu.get(target, item.study_uid, series, Spool(work), "GET", progress)
        else:
            result = _move(settings, spool_of, name, scu, target, item, work, progress)
        tracker.log(f"study {item.study_uid}: {result.completed} instances, {result.failed} failed")
        total.completed += result.completed
        total.failed += result.failed
        total.warning += result.warning
    return total


def _move(
    settings: Settings,
    spool_of: SpoolOf,
    name: str,
    scu: Client,
    target: Peer,
    item: RetrieveItem,
    work: Path,
    progress: Callable[[int, int], None],
) -> TransferResult:
    node = move_node(settings, name)
    spool = spool_of(node.name)
    spool.add_claim(node.ae_title, item.study_uid)
    try:
        result = scu.move(target, item.study_uid, list(item.series_uids) or None, node.ae_title, progress)
        # our SCP answered each C-STORE only after writing it, and the PACS answers the C-MOVE after its
        # last C-STORE: everything that arrived is on disk now
        claimed = spool.claim(node.ae_title, item.study_uid, list(item.series_uids) or None)
    finally:
        spool.remove_claim(node.ae_title, item.study_uid)
    if claimed is None and result.completed:
        raise Unavailable(
            f"{target} reported {result.completed} instances sent to {node.ae_title!r} but none arrived in node "
            f"{node.name!r}: is it running ('nora dicom-node' or 'nora serve'), and does the PACS have its address?"
        )
    if claimed is not None:
        dest = work / "MOVE" / "incoming" / claimed.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(claimed, dest)
    return result


def _import(
    sessions: sessionmaker[Session],
    layout: Layout,
    settings: Settings,
    actor: Actor,
    project: str,
    work: Path,
    tracker: jobs.Tracker,
) -> Any:
    from nora.importing.service import import_dicom_tree

    def progress(fraction: float, message: str) -> None:
        tracker.update(progress=0.5 + 0.5 * fraction, message=f"importing: {message}")

    return import_dicom_tree(
        sessions, layout, actor, project, work, progress=progress, own_source=True, processing=settings.processing
    )


def get_job(session: Session, actor: Actor, job_id: int) -> Job:
    """A retrieve job, for its owner, the project's readers and system admins."""
    job = session.get(Job, job_id)
    if job is None or job.kind != KIND:
        raise NotFound(f"retrieve job {job_id} not found")
    if not actor.is_admin and job.user_id != actor.user_id:
        project_access(session, actor, _project_name(session, job.project_id))
    return job


# --------------------------------------------------------------------------------------------------- send


def send_files(
    session: Session,
    actor: Actor,
    settings: Settings,
    name: str,
    access: Access,
    files: Sequence[Path],
    target: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> TransferResult:
    """C-STORE DICOM files of ``access``'s project to PACS ``name`` (rights: PACS_<name>, download)."""
    _require(session, actor, settings, name, "PACS")
    access.require_download()
    result = client(settings, name).send(peer(settings, name), files, progress)
    audit.record(
        session,
        actor,
        "pacs.send",
        project=access.project.name,
        target=target,
        pacs=name,
        sent=result.completed,
        failed=result.failed,
    )
    return result


def send_study(
    session: Session,
    actor: Actor,
    settings: Settings,
    layout: Layout,
    name: str,
    project: str,
    pid: str,
    sid: str,
    progress: Callable[[int, int], None] | None = None,
) -> TransferResult:
    """Send the DICOM files kept in one study (originals kept at import, DICOM uploads) to PACS ``name``."""
    from nora.archive.models import File
    from nora.archive.services.nodes import get_study

    access = project_access(session, actor, project)
    study = get_study(session, access, pid, sid)
    rows = session.scalars(
        select(File).where(File.study_id == study.id, File.format == "dicom").order_by(File.path)
    ).all()
    if not rows:
        raise InvalidInput(
            f"study {pid}#{sid} has no DICOM files to send (the project may not keep originals at import)"
        )
    files = [layout.file_path(project, pid, sid, r.path) for r in rows]
    return send_files(session, actor, settings, name, access, files, f"{pid}#{sid}", progress)
