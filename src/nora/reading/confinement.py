"""Readers confined to a blind reading: what the server lets them reach in the project.

A caller is *confined* in a project when they read (and do not administer) a reading whose ``blind``
settings have ``restrictToReading``: NORA's readers of a blind reading "restricted to the reading, with
no table". The API (``nora.api.confinement``) then closes every project route but the reading's own, the
viewer's autoload and file bytes, the ROI and marker routes and the annotation versions, and those only for
the studies and patients of the caller's cases (any stage of a confining reading), and never the other
readers' annotation targets of the reading's ``roi`` / ``markers`` items (:meth:`Confinement.hides`). Project
admins and a
reading's admins are never confined. A reading with an empty ``readers`` list is read by every user of the
project, so such a blind reading confines them all.

The reading's ``tools`` (:class:`Tools`) say which annotation tools its readers have; a confined reader's
saves through another tool are refused (:meth:`Confinement.require_tool`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.archive.models import Study
from nora.archive.services.access import Access
from nora.core.errors import Forbidden
from nora.reading.cases import stage_cases
from nora.reading.forms import MarkersItem, RoiItem
from nora.reading.service import Reading, Readings
from nora.reading.targets import target_name, target_path

Tool = Literal["roi", "markers", "measure"]


def confining(reading: Reading) -> bool:
    """Whether ``reading`` confines its caller: a reader, not an admin, of a blind reading with restrictToReading."""
    blind = reading.definition.reading.reading.blind
    return not reading.is_admin and blind is not None and blind.restrictToReading


@dataclass(frozen=True)
class Confinement:
    """The confining readings of one caller in one project."""

    session: Session
    access: Access
    readings: tuple[Reading, ...]

    @property
    def names(self) -> str:
        return ", ".join(repr(r.name) for r in self.readings)

    def refuse(self, what: str) -> Forbidden:
        return Forbidden(
            f"{what} is closed to you: you read the blind reading {self.names} of project "
            f"{self.access.project.name!r}, which restricts its readers to the reading (Reading in the top bar)"
        )

    def has_study(self, study_id: int) -> bool:
        """Whether the study is one of the caller's cases (of any stage of a confining reading)."""
        for reading in self.readings:
            config = reading.definition.reading
            by_study = config.model_copy(update={"reading": config.reading.model_copy(update={"randomize": "study"})})
            for stage in config.reading.stages:
                if stage_cases(self.session, self.access, by_study, stage, only=(study_id, None)):
                    return True
        return False

    def has_patient(self, patient_id: int) -> bool:
        """Whether one of the patient's studies is one of the caller's cases."""
        studies = self.session.scalars(select(Study.id).where(Study.patient_id == patient_id))
        return any(self.has_study(s) for s in studies)

    def require_study(self, study_id: int | None, what: str = "this study") -> None:
        if study_id is None or not self.has_study(study_id):
            raise self.refuse(what)

    def require_patient(self, patient_id: int, what: str = "this patient") -> None:
        if not self.has_patient(patient_id):
            raise self.refuse(what)

    def hides(self, path: str) -> bool:
        """Whether ``path`` (``ROIS/x.nii.gz``, ``annotations/x.json``) is another reader's annotation target of
        a confining reading's form: readers of a blind reading never see each other's ROIs or marker sets."""
        folder, _, file = path.rpartition("/")
        stem = file.removesuffix(".nii.gz").removesuffix(".json")
        me = self.access.actor.username
        for reading in self.readings:
            for item in reading.definition.form.answerable:
                if isinstance(item, RoiItem | MarkersItem):
                    own_folder = target_path(item, me).rpartition("/")[0]
                    base = target_name(item, "")  # BASE_
                    if folder == own_folder and stem.startswith(base) and stem != target_name(item, me):
                        return True
        return False

    def require_tool(self, tool: Tool) -> None:
        """Refuse a save through ``tool`` unless every confining reading offers it."""
        for reading in self.readings:
            if not reading.definition.reading.tools.allows(tool):
                raise Forbidden(f"the reading {reading.name!r} does not offer its readers the {tool} tool (its tools)")


def _may_confine(content: dict[str, Any]) -> bool:
    """The stored definition (as saved: every key present) has blinding with restrictToReading: every project
    request asks, so the other readings are not parsed."""
    settings = (content.get("reading") or {}).get("reading") or {}
    blind = settings.get("blind") if isinstance(settings, dict) else None
    return isinstance(blind, dict) and blind.get("restrictToReading", True) is not False


def confinement(session: Session, access: Access) -> Confinement | None:
    """The caller's confinement in the project, or None (see the module)."""
    if access.actor.user_id is None or access.is_project_admin:
        return None
    readings = tuple(r for r in Readings(session, access).visible(_may_confine) if confining(r))
    return Confinement(session, access, readings) if readings else None
