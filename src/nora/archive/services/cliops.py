"""Archive operations behind the ``nora`` command line that take more than one service call.

NORA's CLI names files by path (``--add``, ``--del``), studies by ``PID#SID`` (``--to``, ``--del_pat``) and
output locations by selector (``--out``, ``--pathout``); this module turns those names into rows and calls the
file, node and account services. Every operation validates all of its arguments before it changes anything,
so a refused argument leaves the archive as it was (the caller commits or rolls back the one transaction).
``--sql`` lives in :mod:`.readonly_sql` and ``--exportmeta`` in :mod:`.exportmeta`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from nora.archive.migrate import current_revision
from nora.archive.models import ApiToken, File, FileTag, Patient, PatientTag, Study, StudyTag
from nora.archive.selection import (
    AbsolutePath,
    FileSelector,
    SelectionHit,
    StudyPattern,
    SubjectSelector,
    parse_subject_selector,
    resolve_selection,
)
from nora.archive.services import accounts, nodes
from nora.archive.services.access import Access, Actor, require_system_admin
from nora.archive.services.files import Upload, delete_file, file_location, register_existing, store_uploads
from nora.archive.services.table import patient_public
from nora.archive.services.tags import tags_of
from nora.archive.storage import Layout, safe_relpath
from nora.core.errors import InvalidInput, NotFound
from nora.core.ids import Psid
from nora.imaging.formats import inspect_file

MAX_TOKEN_DAYS = 3650
_CHUNK = 5000


def is_initialised(engine: Engine) -> bool:
    """Whether the database has nora's schema (``nora init`` has run); never creates a SQLite file."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).is_file():
        return False
    try:
        return current_revision(engine) is not None
    except DBAPIError:
        return False


def psid(pid: str, sid: str | None) -> str:
    """NORA's name of a study (``PID#SID``) or, without a study, of a patient (``PID``)."""
    return str(Psid(pid, sid or None))


@dataclass(frozen=True)
class Table:
    """Rows of named columns, values already JSON-compatible."""

    columns: list[str]
    rows: list[list[Any]]


# ------------------------------------------------------------------------------------------------ adding


def add_in_place(session: Session, access: Access, layout: Layout, paths: Sequence[Path]) -> list[File]:
    """Index files that already lie inside the project folder (NORA's ``--add FILE...``), all or nothing."""
    rows: dict[int, File] = {}
    for path in _unique(paths):
        row = register_existing(session, access, layout, path)
        rows[row.id] = row
    return list(rows.values())


def add_copies(
    session: Session,
    access: Access,
    layout: Layout,
    target: Psid,
    sources: Sequence[Path],
    *,
    folder: str = "",
    overwrite: bool = False,
) -> list[File]:
    """Copy files from outside into the study (or patient) ``target``, creating the study if needed.

    Each file keeps its name, inside ``folder`` (relative to the study folder) when given. Every source is
    inspected before anything is created, so an unreadable file leaves no new patient, study or file behind.
    """
    access.require_write()
    pid, sid = target.pid, target.sid
    prefix = safe_relpath(folder.strip("/")) + "/" if folder.strip("/") else ""
    plan: list[tuple[str, Path]] = []
    for src in _unique(sources):
        if not src.is_file():
            raise NotFound(f"{src} is not a file")
        rel = safe_relpath(prefix + src.name)
        inspect_file(src, name=rel)
        plan.append((rel, src))
    if not plan:
        raise InvalidInput("no files to add")
    patient = nodes.create_patient(session, access, layout, pid, exist_ok=True)
    study = nodes.create_study(session, access, layout, patient, sid, exist_ok=True) if sid else None
    with ExitStack() as stack:
        uploads = [Upload(rel, stack.enter_context(src.open("rb"))) for rel, src in plan]
        return store_uploads(session, access, layout, patient, study, uploads, overwrite=overwrite)


def _unique(paths: Iterable[Path]) -> list[Path]:
    return list(dict.fromkeys(paths))


# ---------------------------------------------------------------------------------------------- deleting


def find_file(session: Session, access: Access, layout: Layout, spec: str) -> File:
    """The file row named by an absolute path inside the project or by ``PID/SID/relpath`` (``PID/relpath``)."""
    project_dir = layout.project_dir(access.project.name)
    if not spec.startswith("/"):
        spec = str(project_dir / safe_relpath(spec))
    selector = FileSelector(terms=(AbsolutePath(spec),))
    hits = resolve_selection(session, access.project.id, "*", selector, project_dir)
    if not hits or hits[0].file_id is None:
        raise NotFound(f"{spec} is not a registered file of project {access.project.name!r}")
    # a path with a study level reads as a study file first (the layout's rule), then as a patient file
    hit = next((h for h in hits if h.sid is not None), hits[0])
    row = session.get(File, hit.file_id)
    assert row is not None
    return row


def delete_files(session: Session, access: Access, layout: Layout, specs: Sequence[str]) -> list[str]:
    """Delete the rows and files named by ``specs`` (see :func:`find_file`); every name must exist."""
    access.require_write()
    rows = {row.id: row for row in (find_file(session, access, layout, s) for s in specs)}
    names = []
    for row in rows.values():
        names.append(str(file_location(session, layout, access, row)))
        delete_file(session, access, layout, row)
    return names


def delete_nodes(session: Session, access: Access, layout: Layout, psids: Sequence[Psid]) -> list[str]:
    """Delete patients and studies with their files; every one must exist."""
    access.require_write()
    wanted = [(p.pid, p.sid) for p in dict.fromkeys(psids)]
    for pid, sid in wanted:  # all must exist before anything is deleted
        if sid is None:
            nodes.get_patient(session, access, pid)
        else:
            nodes.get_study(session, access, pid, sid)
    whole = {pid for pid, sid in wanted if sid is None}
    done = []
    for pid, sid in wanted:
        if sid is None:
            nodes.delete_patient(session, access, layout, pid)
        elif pid not in whole:
            nodes.delete_study(session, access, layout, pid, sid)
        done.append(psid(pid, sid))
    return done


# --------------------------------------------------------------------------------------------- selecting


def select_hits(
    session: Session, access: Access, layout: Layout, subject: str | SubjectSelector, files: str
) -> list[SelectionHit]:
    """The backend selector ``-s SUBJECT FILES`` of this project."""
    project_dir = layout.project_dir(access.project.name)
    return resolve_selection(session, access.project.id, subject, files, project_dir)


def hit_path(access: Access, layout: Layout, hit: SelectionHit) -> Path:
    """The absolute path of a hit: its file, or for an ``[info]`` hit its study (or patient) folder."""
    if hit.path is None:
        return layout.node_dir(access.project.name, hit.pid, hit.sid)
    return layout.file_path(access.project.name, hit.pid, hit.sid, hit.path)


def describe_hits(
    session: Session, access: Access, layout: Layout, hits: Sequence[SelectionHit]
) -> list[dict[str, Any]]:
    """Hits as JSON objects: files with format, size and tags; ``[info]`` hits with study and patient fields."""
    if any(h.file_id is None for h in hits):
        return _describe_nodes(session, access, layout, hits)
    ids = [h.file_id for h in hits if h.file_id is not None]
    rows: dict[int, File] = {}
    tags: dict[int, list[str]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows.update({r.id: r for r in session.scalars(select(File).where(File.id.in_(chunk)))})
        tags.update(tags_of(session, FileTag, "file_id", chunk))
    out = []
    for h in hits:
        assert h.file_id is not None
        row = rows[h.file_id]
        out.append(
            {
                "psid": psid(h.pid, h.sid),
                "pid": h.pid,
                "sid": h.sid,
                "path": h.path,
                "filename": str(hit_path(access, layout, h)),
                "file_id": h.file_id,
                "format": row.format,
                "size": row.size,
                "tags": tags[h.file_id],
            }
        )
    return out


def _describe_nodes(
    session: Session, access: Access, layout: Layout, hits: Sequence[SelectionHit]
) -> list[dict[str, Any]]:
    patients = {p.id: p for p in session.scalars(select(Patient).where(Patient.id.in_({h.patient_id for h in hits})))}
    study_ids = [h.study_id for h in hits if h.study_id is not None]
    studies = {s.id: s for s in session.scalars(select(Study).where(Study.id.in_(study_ids)))}
    stags = tags_of(session, StudyTag, "study_id", study_ids)
    ptags = tags_of(session, PatientTag, "patient_id", list(patients))
    out = []
    for h in hits:
        study = studies.get(h.study_id) if h.study_id is not None else None
        out.append(
            {
                "psid": psid(h.pid, h.sid),
                **patient_public(access, patients[h.patient_id]),
                "sid": h.sid,
                "folder": str(hit_path(access, layout, h)),
                "study_date": study.study_date.isoformat() if study and study.study_date else None,
                "sdesc": study.description if study else None,
                "modality": study.modality if study else None,
                "ptags": ptags[h.patient_id],
                "stags": stags.get(h.study_id, []) if h.study_id is not None else [],
            }
        )
    return out


def by_filename(described: Sequence[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """NORA's ``--json --byfilename``: per study (``PID#SID``), per file path, its absolute file name."""
    out: dict[str, dict[str, str]] = {}
    for item in described:
        out.setdefault(item["psid"], {})[item.get("path") or "[info]"] = item.get("filename") or item["folder"]
    return out


def selected_file_ids(hits: Sequence[SelectionHit]) -> list[int]:
    ids = [h.file_id for h in hits if h.file_id is not None]
    if len(ids) != len(hits):
        raise InvalidInput("tags of [info] rows cannot be changed here: select files, or use --addtag_study")
    return ids


def file_rows(session: Session, ids: list[int]) -> dict[int, File]:
    """The file rows of ``ids`` by id, fetched in chunks (a selection may name more than a query may hold)."""
    rows: dict[int, File] = {}
    for start in range(0, len(ids), _CHUNK):
        rows.update({r.id: r for r in session.scalars(select(File).where(File.id.in_(ids[start : start + _CHUNK])))})
    return rows


def output_location(
    session: Session,
    access: Access,
    layout: Layout,
    subject: str | SubjectSelector,
    name: str,
    *,
    must_exist: bool = True,
) -> Path:
    """The absolute path of ``name`` (``RESULTS/mask.nii.gz``) in the one study ``subject`` selects.

    Creates nothing. With ``must_exist=False`` (``--pathout``) a literal ``PID#SID`` whose study does not
    exist yet still gives its path.
    """
    rel = safe_relpath(name.strip("/"))
    selector = parse_subject_selector(subject) if isinstance(subject, str) else subject
    shown_subject = repr(subject) if isinstance(subject, str) else "the subject list"
    hits = [h for h in resolve_selection(session, access.project.id, selector, "[info]") if h.sid is not None]
    if len(hits) == 1:
        assert hits[0].sid is not None
        return layout.file_path(access.project.name, hits[0].pid, hits[0].sid, rel)
    if len(hits) > 1:
        shown = ", ".join(psid(h.pid, h.sid) for h in hits[:5]) + (" ..." if len(hits) > 5 else "")
        raise InvalidInput(
            f"{shown_subject} selects {len(hits)} studies ({shown}); an output location needs exactly one: "
            "use PID#SID, PID#LATEST or PID#OLDEST"
        )
    terms = selector.terms
    literal = len(terms) == 1 and isinstance(terms[0], StudyPattern) and "*" not in terms[0].pid + terms[0].sid
    if must_exist or not literal:
        raise NotFound(f"{shown_subject} selects no study in project {access.project.name!r}")
    term = terms[0]
    assert isinstance(term, StudyPattern)
    return layout.file_path(access.project.name, term.pid, term.sid, rel)


# ------------------------------------------------------------------------------------------------ tokens


def issue_token(
    session: Session, actor: Actor, username: str, name: str = "", days: float | None = None
) -> accounts.NewToken:
    """A new API token for ``username`` (themselves, or anyone for system admins); the secret is in the result."""
    user = accounts.get_user(session, username)
    if actor.user_id != user.id:
        require_system_admin(actor)
    if days is not None and not 0 < days <= MAX_TOKEN_DAYS:
        raise InvalidInput(f"token lifetime must be between 0 and {MAX_TOKEN_DAYS} days, not {days}")
    lifetime = dt.timedelta(days=days) if days is not None else None
    return accounts.create_token(session, user, name, lifetime=lifetime)


def tokens_of(session: Session, actor: Actor, username: str) -> list[ApiToken]:
    """The API tokens of ``username`` (their own, or anyone's for system admins); secrets are not stored."""
    user = accounts.get_user(session, username)
    if actor.user_id != user.id:
        require_system_admin(actor)
    return accounts.list_tokens(session, user)


__all__ = [
    "add_copies",
    "add_in_place",
    "by_filename",
    "delete_files",
    "delete_nodes",
    "describe_hits",
    "file_rows",
    "find_file",
    "hit_path",
    "is_initialised",
    "issue_token",
    "output_location",
    "psid",
    "Table",
    "select_hits",
    "selected_file_ids",
    "tokens_of",
]
