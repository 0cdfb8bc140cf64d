"""Autoexecution: per-project rules that launch a saved batch on newly imported studies.

Rules live in the project's settings (``settings["autoexec"]``), each ``{"name", "filter", "batch",
"queue", "enabled"}``: ``filter`` is a file-search-bar expression of the selection language (``t1* &
STAG:baseline``; empty matches every study), ``batch`` the name of a saved batch, ``queue`` the NORA queue
(default: ``default_queue_import``, else the default queue).

Importers call :func:`run_autoexec` once a study is complete; each rule runs at most once per study (the
batch's ``origin`` remembers it), so calling it again, or after a restart, launches nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.archive.models import Patient, Study
from nora.archive.selection import files_condition, parse_filter
from nora.archive.services import audit
from nora.archive.services.access import Access, Actor, project_access
from nora.archive.services.projects import validate_settings
from nora.archive.storage import Layout
from nora.core.errors import InvalidInput, NoraError, NotFound
from nora.core.ids import Psid
from nora.core.validation import validated
from nora.processing.config import ProcessingSettings
from nora.processing.models import Batch
from nora.processing.service import LaunchRequest, launch, load_saved

log = logging.getLogger(__name__)


class AutoexecRule(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    name: str = Field(min_length=1, max_length=100)
    filter: str = Field(default="", max_length=2000)
    batch: str = Field(min_length=1, max_length=255)
    queue: str = Field(default="", max_length=64)
    enabled: bool = True


def rules_of(access: Access) -> list[AutoexecRule]:
    return [AutoexecRule.model_validate(r) for r in access.project.settings.get("autoexec", [])]


def set_rules(session: Session, access: Access, rules: Sequence[dict[str, Any] | AutoexecRule]) -> list[AutoexecRule]:
    """Replace the project's rules (project admins); filters and batch names are checked first."""
    access.require_admin()
    parsed = [r if isinstance(r, AutoexecRule) else validated(AutoexecRule, r, "autoexecution rule") for r in rules]
    names = [r.name for r in parsed]
    if len(set(names)) != len(names):
        raise InvalidInput("two autoexecution rules have the same name")
    for rule in parsed:
        parse_filter(rule.filter)
        load_saved(session, access, rule.batch)
    access.project.settings = validate_settings({"autoexec": [r.model_dump() for r in parsed]}, access.project.settings)
    audit.record(session, access.actor, "autoexec.rules", project=access.project.name, rules=names)
    return parsed


def _matches(session: Session, study: Study, rule: AutoexecRule) -> bool:
    condition = files_condition(parse_filter(rule.filter))
    return session.scalar(select(Study.id).where(Study.id == study.id, condition)) is not None


def run_autoexec(
    session: Session,
    actor: Actor,
    layout: Layout,
    config: ProcessingSettings,
    project: str,
    psid: Psid,
    *,
    queue: str | None = None,
) -> list[Batch]:
    """Launch every enabled rule of ``project`` whose filter matches the study ``psid`` (once per rule).

    This is the function importers call for a new study (``actor`` is the importing user, or SYSTEM).
    The caller commits. A rule whose batch cannot launch is logged and skipped; the others still run.
    """
    access = project_access(session, actor, project)
    if psid.sid is None:
        raise InvalidInput(f"autoexecution runs on a study (PID#SID), not on the patient {psid}")
    study = session.scalar(
        select(Study)
        .join(Patient, Patient.id == Study.patient_id)
        .where(Study.project_id == access.project.id, Patient.pid == psid.pid, Study.sid == psid.sid)
    )
    if study is None:
        raise NotFound(f"no study {str(psid)!r} in project {project!r}")
    launched = []
    for rule in rules_of(access):
        origin = f"autoexec:{rule.name}:{psid}"
        if not rule.enabled or not _matches(session, study, rule):
            continue
        if session.scalar(select(Batch.id).where(Batch.origin == origin, Batch.project_id == access.project.id)):
            continue
        request = LaunchRequest(
            batch_name=rule.batch,
            rows=[psid],
            queue=queue or rule.queue or config.default_queue_import or None,
            origin=origin,
        )
        try:
            with session.begin_nested():
                launched.append(launch(session, access, layout, config, request))
        except NoraError as exc:
            log.warning("autoexecution rule %r on %s: %s", rule.name, psid, exc.message)
    return launched
