"""The change feed of a project: what the web desktop's open tables must refetch.

A :class:`Stamp` sums up, in a few aggregate queries, the parts of a project the desktop shows: its rows
(patients and studies), their tags and metadata, its files and their tags, and its processing jobs. Two
stamps of the same project differ in exactly the parts that changed in between, whoever changed them:
a route of this server, the daemon in another process, an import, a PACS retrieve or the CLI. The live
route (``GET /api/projects/{p}/events``) compares stamps and sends the parts that changed as the
desktop's change kinds; a stamp round-trips through text (the event id) so that a reconnecting browser
learns what changed while it was away.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Executable

from nora.archive.models import AuditEntry, File, FileTag, JobState, Patient, PatientTag, Study, StudyTag

#: the parts of a stamp, each named by the desktop change kind it raises (``invalidate()`` of the page):
#: ``imported`` new or deleted patients or studies (the table, its counts, the project list), ``studies``
#: tags or metadata of rows, ``files`` files and their tags, ``jobs`` processing jobs and their states,
#: ``monitor`` what the job monitor (Gridstats) shows of them beyond their state: a phase, step or message
#: change within one state (queued -> submitted, running -> finishing) that must not refetch the table.
KINDS = ("imported", "studies", "files", "jobs", "monitor")

_ROW_ACTIONS = ("tag.patient", "tag.study", "meta.set")
_FILE_ACTIONS = ("tag.file", "file.upload", "file.add", "file.delete")


@dataclass(frozen=True)
class Stamp:
    """A digest per part (:data:`KINDS`) of one project's state."""

    parts: tuple[str, ...]

    def text(self) -> str:
        """The stamp as an SSE event id: the digests joined by dots."""
        return ".".join(self.parts)

    @classmethod
    def parse(cls, text: str | None) -> Stamp | None:
        """The stamp written by :meth:`text`, or None for anything else (a stale or foreign event id)."""
        parts = tuple((text or "").split("."))
        if len(parts) != len(KINDS) or not all(len(p) == 12 and p.isalnum() for p in parts):
            return None
        return cls(parts)

    def changes(self, newer: Stamp) -> list[str]:
        """The change kinds of the parts that differ between this stamp and ``newer``."""
        return [kind for kind, a, b in zip(KINDS, self.parts, newer.parts, strict=True) if a != b]


def _digest(*values: object) -> str:
    return hashlib.sha1(repr(values).encode(), usedforsecurity=False).hexdigest()[:12]


def _one(session: Session, query: Executable) -> tuple[object, ...]:
    return tuple(session.execute(query).one())


def _last_audit(session: Session, project: str, actions: tuple[str, ...]) -> object:
    query = select(func.max(AuditEntry.id)).where(AuditEntry.project == project, AuditEntry.action.in_(actions))
    return session.scalar(query)


def stamp(session: Session, project_id: int, project: str) -> Stamp:
    """The current stamp of the project ``project_id`` (named ``project`` in the audit log)."""
    rows = (
        _one(session, select(func.count(Patient.id), func.max(Patient.id)).where(Patient.project_id == project_id)),
        _one(session, select(func.count(Study.id), func.max(Study.id)).where(Study.project_id == project_id)),
    )
    tags = (
        session.scalar(
            select(func.count()).select_from(PatientTag).join(Patient).where(Patient.project_id == project_id)
        ),
        session.scalar(select(func.count()).select_from(StudyTag).join(Study).where(Study.project_id == project_id)),
        _last_audit(session, project, _ROW_ACTIONS),
    )
    files = (
        _one(
            session,
            select(func.count(File.id), func.max(File.id), func.max(File.modified_at)).where(
                File.project_id == project_id
            ),
        ),
        session.scalar(select(func.count()).select_from(FileTag).join(File).where(File.project_id == project_id)),
        _last_audit(session, project, _FILE_ACTIONS),
    )
    jobs = sorted(
        (str(state), int(n), int(last or 0))
        for state, n, last in session.execute(
            select(JobState.state, func.count(), func.max(JobState.id))
            .where(JobState.project_id == project_id)
            .group_by(JobState.state)
        )
    )
    # every change of a job's phase sets updated_at (nora.processing.lifecycle.values_for)
    monitor = _one(
        session,
        select(func.count(), func.max(JobState.updated_at), func.sum(JobState.step)).where(
            JobState.project_id == project_id
        ),
    )
    return Stamp((_digest(rows), _digest(tags), _digest(files), _digest(jobs), _digest(monitor)))
