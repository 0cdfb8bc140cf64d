"""Autoloader presets: which files of a case load into which viewports, and how they look.

A preset has a level (``patient``, ``study`` or ``either``), a main viewport, an optional layout and
loader entries. Each entry has a file pattern in the backend selection language (``t1_mprage/*.nii``,
``tag:brainmask``), the viewport IDs it loads into, an enabled flag and an intent (background or overlay,
colormap, colour limits, opacity, 4D frame). :func:`resolve` finds each entry's files for one case.
Presets are validated when they are built, so an invalid one is never stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.archive.models import File, FileTag
from nora.archive.selection import (
    AbsolutePath,
    SelectionHit,
    SubjectSelector,
    parse_file_selectors,
    resolve_selection,
)
from nora.archive.services import audit, nodes
from nora.archive.services.access import Access
from nora.archive.services.documents import Documents
from nora.core.errors import InvalidInput, NotFound
from nora.core.ids import Psid, check_name
from nora.core.validation import DbInt, validated
from nora.viewer.layouts import MAX_VIEWPORTS, VIEWPORTS, LayoutName, SliceName

AUTOLOADER = "autoloader"  #: the json documents kind of presets
_COLORMAP = re.compile(r"^[A-Za-z0-9_\-]{1,40}$")
MAX_LOADERS = 64


class Intent(BaseModel):
    """How a loaded object is shown."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    role: Literal["background", "overlay", "3d"] = "background"
    colormap: str | None = None
    cal_min: float | None = None
    cal_max: float | None = None
    opacity: float | None = Field(default=None, ge=0.0, le=1.0)
    frame: int | None = Field(default=None, ge=0, le=100_000)
    slice: SliceName | None = None
    outline: bool | None = None

    @field_validator("colormap")
    @classmethod
    def _colormap(cls, value: str | None) -> str | None:
        if value is not None and not _COLORMAP.match(value):
            raise ValueError("colormap names are 1-40 letters, digits, '_' or '-'")
        return value

    @model_validator(mode="after")
    def _limits(self) -> Intent:
        if self.cal_min is not None and self.cal_max is not None and self.cal_min >= self.cal_max:
            raise ValueError(f"cal_min ({self.cal_min}) must be below cal_max ({self.cal_max})")
        return self


def _file_pattern(value: str) -> str:
    """A loader's file pattern: the selection language's file selectors, relative to the case."""
    try:
        selectors = parse_file_selectors(value)
    except InvalidInput as exc:
        raise ValueError(exc.message) from None
    if selectors.info:
        raise ValueError("an autoloader pattern selects files; '[info]' is not allowed")
    if any(isinstance(t, AbsolutePath) for t in selectors.terms):
        raise ValueError("an autoloader pattern is relative to the case; 'ABS:' paths are not allowed")
    return value


class Loader(BaseModel):
    """One entry: a file pattern, the viewports it loads into, whether it runs, and its intent."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    pattern: str = Field(min_length=1, max_length=500)
    viewports: list[DbInt] = Field(default_factory=lambda: [0], min_length=1, max_length=MAX_VIEWPORTS)
    enabled: bool = True
    intent: Intent = Field(default_factory=Intent)

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return _file_pattern(value)

    @field_validator("viewports")
    @classmethod
    def _viewports(cls, value: list[int]) -> list[int]:
        bad = [v for v in value if not 0 <= v < MAX_VIEWPORTS]
        if bad:
            raise ValueError(f"viewport IDs are 0-{MAX_VIEWPORTS - 1}, not {bad}")
        return sorted(set(value))


class AnnotationLoader(BaseModel):
    """NORA's annotation loader: a marker set of the patient every case opens with, prepared when missing.

    The page opens ``annotations/<name>.json`` of the case's patient, or makes an empty set of this type,
    colour and size under that name (docs/annotation.md's marker set format, whose rules these repeat).
    """

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    name: str = Field(min_length=1, max_length=128)
    type: Literal["pointset", "freeline"] = "pointset"
    color: str = Field(default="#ffcc00", pattern=r"^#[0-9a-fA-F]{6}$")
    size: float = Field(default=3.0, gt=0, le=100)
    enabled: bool = True

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        check_name(value, "marker set name")
        return value


_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class RoiLoader(BaseModel):
    """NORA's ROI loader: the case's ROI files matching a pattern open in the ROI tool, in a colour; with
    ``autocreate`` an empty ROI ``name`` is made on the background's grid when the case has none."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    pattern: str = Field(default="ROIS/*.nii.gz", min_length=1, max_length=500)
    colour: str = "#ff3b30"
    autocreate: bool = False
    name: str = Field(default="roi", min_length=1, max_length=128, description="the ROI autocreate makes")
    enabled: bool = True

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return _file_pattern(value)

    @field_validator("colour")
    @classmethod
    def _colour(cls, value: str) -> str:
        if not _COLOUR.match(value):
            raise ValueError("a colour is #rrggbb")
        return value.lower()

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        try:
            check_name(value, "ROI name")
        except InvalidInput as exc:
            raise ValueError(exc.message) from None
        return value


class Autoloader(BaseModel):
    """A whole preset."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    level: Literal["patient", "study", "either"] = "either"
    main_viewport: int = Field(default=0, ge=0, lt=MAX_VIEWPORTS)
    enabled: bool = True
    layout: LayoutName | None = None
    loaders: list[Loader] = Field(default_factory=list, max_length=MAX_LOADERS)
    #: annotation targets every case opens with (marker sets; prepared when the patient has none)
    annotations: list[AnnotationLoader] = Field(default_factory=list, max_length=MAX_LOADERS)
    rois: list[RoiLoader] = Field(default_factory=list, max_length=MAX_LOADERS)
    #: moving to another case (arrow keys or a table click) with changed annotation targets (the ROI
    #: loaders' ROIs, the annotation loaders' marker sets): save them, or ask first
    on_next_case: Literal["save", "ask"] = "save"

    @model_validator(mode="before")
    @classmethod
    def _old_roi_save(cls, raw: object) -> object:
        """Presets saved before the one setting kept the ROIs' choice as ``roi_save``: read it into
        ``on_next_case`` ("ask" when either asked), and store it no more."""
        if not isinstance(raw, dict) or "roi_save" not in raw:
            return raw
        out = dict(raw)
        old = out.pop("roi_save")
        if old not in ("save", "ask"):
            raise ValueError(f"roi_save (the old name of on_next_case) is 'save' or 'ask', not {old!r}")
        if old == "ask":
            out["on_next_case"] = "ask"
        else:
            out.setdefault("on_next_case", old)
        return out

    @model_validator(mode="after")
    def _fits_layout(self) -> Autoloader:
        if self.layout is None:
            return self
        count = VIEWPORTS[self.layout]
        for i, loader in enumerate(self.loaders):
            missing = [v for v in loader.viewports if v >= count]
            if missing:
                raise ValueError(
                    f"loader {i + 1} names viewport(s) {missing}; layout {self.layout!r} has 0-{count - 1}"
                )
        if self.main_viewport >= count:
            raise ValueError(f"main viewport {self.main_viewport} does not exist in layout {self.layout!r}")
        return self


def validate(raw: object) -> Autoloader:
    """An :class:`Autoloader` from JSON data, or :class:`InvalidInput` naming every problem."""
    return validated(Autoloader, raw, "autoloader preset", whole="preset")


@dataclass(frozen=True)
class Preset:
    name: str
    shared: bool
    owner: str
    mine: bool
    definition: Autoloader


def _presets(session: Session, access: Access) -> Documents:
    return Documents(session, access, AUTOLOADER, "autoloader preset")


def list_presets(session: Session, access: Access) -> list[Preset]:
    presets = _presets(session, access)
    docs = presets.visible()
    owners = presets.owner_names(docs)
    out = []
    for d in docs:
        try:
            definition = validate(d.content)
        except InvalidInput:
            continue  # a preset stored by an older version that no longer validates is not offered
        out.append(Preset(d.name, d.shared, owners.get(d.owner_id or -1, ""), presets.is_mine(d), definition))
    return out


def get_preset(session: Session, access: Access, name: str) -> Preset:
    """The caller's own preset of that name, else the shared one."""
    presets = _presets(session, access)
    doc = presets.lookup(name)
    if doc is None:
        raise NotFound(f"autoloader preset {name!r} does not exist in project {access.project.name!r}")
    return Preset(doc.name, doc.shared, presets.owner_name(doc), presets.is_mine(doc), validate(doc.content))


def save_preset(session: Session, access: Access, name: str, definition: Autoloader, *, shared: bool) -> Preset:
    """Create or overwrite a preset. Personal presets need read access; shared ones need write access,
    and only their owner or a project admin may overwrite them (see :mod:`nora.archive.services.documents`)."""
    check_name(name, "autoloader preset name")
    presets = _presets(session, access)
    presets.require_writer()
    if shared:
        access.require_write()
    presets.put(name, definition.model_dump(mode="json"), shared=shared)
    audit.record(session, access.actor, "autoloader.save", project=access.project.name, target=name, shared=shared)
    return Preset(name, shared, access.actor.username, True, definition)


def delete_preset(session: Session, access: Access, name: str, *, shared: bool) -> None:
    presets = _presets(session, access)
    doc = presets.shared(name) if shared else presets.own(name)
    if doc is None or doc.shared != shared:
        raise NotFound(f"autoloader preset {name!r} does not exist in project {access.project.name!r}")
    if shared:
        access.require_write()
    presets.delete(doc)
    audit.record(session, access.actor, "autoloader.delete", project=access.project.name, target=name, shared=shared)


@dataclass(frozen=True)
class LoaderHits:
    index: int
    loader: Loader
    hits: list[SelectionHit]


def case_selector(level: str, patient_id: int, study_id: int | None) -> SubjectSelector:
    """The subject part that confines a preset to one case (patient- or study-wide), by database id."""
    if level == "study" and study_id is None:
        raise InvalidInput("this autoloader works at study level: choose a study, not only a patient")
    if level == "patient" or study_id is None:
        return SubjectSelector.of_nodes(patient_ids=[patient_id])
    return SubjectSelector.of_nodes(study_ids=[study_id])


def _subject(session: Session, access: Access, level: str, case: Psid) -> SubjectSelector:
    if case.sid is not None:
        study = nodes.get_study(session, access, case.pid, case.sid)
        return case_selector(level, study.patient_id, study.id)
    return case_selector(level, nodes.get_patient(session, access, case.pid).id, None)


def resolve(session: Session, access: Access, definition: Autoloader, case: Psid) -> list[LoaderHits]:
    """Each enabled loader's files for the patient or study ``case``, in the selection's order."""
    subject = _subject(session, access, definition.level, case)
    out = []
    for i, loader in enumerate(definition.loaders):
        if loader.enabled:
            out.append(LoaderHits(i, loader, resolve_selection(session, access.project.id, subject, loader.pattern)))
    return out


@dataclass(frozen=True)
class RoiLoaderHits:
    index: int
    loader: RoiLoader
    hits: list[SelectionHit]


def resolve_rois(session: Session, access: Access, definition: Autoloader, case: Psid) -> list[RoiLoaderHits]:
    """Each enabled ROI loader's files of the case (its study when one is given: ROIs belong to a study)."""
    if not any(r.enabled for r in definition.rois):
        return []
    subject = _subject(session, access, "study" if case.sid is not None else "patient", case)
    return [
        RoiLoaderHits(i, r, resolve_selection(session, access.project.id, subject, r.pattern))
        for i, r in enumerate(definition.rois)
        if r.enabled
    ]


SnapshotMode = Literal["smart", "strict", "tag"]
_DIGITS = re.compile(r"\d+")


def _smart(path: str) -> str:
    """Keep the folder, generalise numbers in the file name (series numbers differ between cases)."""
    folder, _, name = path.rpartition("/")
    return (f"{folder}/" if folder else "") + _DIGITS.sub("*", name)


def snapshot_pattern(session: Session, access: Access, file_id: int, mode: SnapshotMode) -> str:
    """A pattern for the file ``file_id``: exact (strict), generalised (smart) or by its first tag (tag)."""
    row = session.get(File, file_id)
    if row is None or row.project_id != access.project.id:
        raise NotFound(f"file {file_id} not found in project {access.project.name!r}")
    if mode == "strict":
        return row.path
    if mode == "tag":
        tag = session.scalars(select(FileTag.tag).where(FileTag.file_id == row.id).order_by(FileTag.tag)).first()
        if tag is not None:
            return f"tag:{tag}"
    return _smart(row.path)
