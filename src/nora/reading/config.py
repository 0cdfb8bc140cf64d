"""A reading's definition: the form designer's tabs ``general``, ``form`` and ``reading``, validated.

The ``reading`` tab is ``{"reading": ..., "tools": ..., "viewer": ...}`` as in NORA:

- ``reading``: ``mode`` (``individual`` | ``joint``; ``blind`` is individual with the default
  :class:`Blind` settings), ``blind``, ``random`` (``none`` | ``full`` | ``idhash``), ``randomize``
  (``patient`` | ``study`` | ``image``), ``repetitions``, ``crossover`` (two ``arms`` and
  ``washoutDays``), ``allowRestartOfTraining`` / ``allowRestartOfSerious`` and the two stages
  ``mode_training`` and ``mode_serious`` (:class:`Stage`: case selection and viewer context);
- ``tools``: which annotation tools the reader's case view offers (:class:`Tools`: ``roi``, ``markers``,
  ``measure``; other keys kept as given);
- ``viewer``: the viewer state with its autoloaders (``sortOrder``/``sortDirection`` order the cases);
  a stage's or arm's own ``viewer`` is laid over it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from nora.archive.selection import parse_file_selectors, parse_subject_selector
from nora.core.errors import InvalidInput, validation_problems
from nora.core.validation import validated
from nora.reading.condition import parse_condition
from nora.reading.forms import Form, problems
from nora.viewer.autoloaders import Autoloader

STAGES = ("training", "serious")
Stage_ = Literal["training", "serious"]
Username = Annotated[str, StringConstraints(min_length=1, max_length=128)]
ArmName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Open(BaseModel):
    """Viewer state and tool settings: the page's, kept as given."""

    model_config = ConfigDict(extra="allow")


def _viewer_context(value: dict[str, Any]) -> dict[str, Any]:
    """A viewer context's ``autoloader`` (if any) is a valid autoloader definition."""
    if value.get("autoloader") is not None:
        try:
            Autoloader.model_validate(value["autoloader"])
        except ValidationError as exc:
            raise ValueError(f"autoloader: {validation_problems(exc.errors())}") from None
    return value


ViewerContext = Annotated[dict[str, Any], AfterValidator(_viewer_context)]


class Viewer(_Open):
    sortOrder: Literal["pid", "sid", "date", "PatientID", "StudyID", "StudyDate"] = "pid"  # noqa: N815
    sortDirection: Literal["asc", "desc"] = "asc"  # noqa: N815
    #: the autoloader that opens each case's images (the viewer's own definition, as its presets hold it)
    autoloader: Autoloader | None = None


def _checked(parse: Callable[[str], object], value: str) -> str:
    """``value`` if ``parse`` accepts it; its :class:`InvalidInput` as the ``ValueError`` pydantic reports."""
    try:
        parse(value)
    except InvalidInput as exc:
        raise ValueError(exc.message) from None
    return value


class Stage(_Strict):
    """One stage: which cases (selection language and/or NORA's ``SQLCondition``) and its viewer context."""

    enabled: bool = True
    #: a subject selector (``*``, ``stag:training``, ``10*#*``)
    selection: Annotated[str, StringConstraints(min_length=1, max_length=4000)] = "*"
    #: NORA's condition on tags, e.g. ``STAG LIKE '%Training%'`` (translated, never run as SQL)
    SQLCondition: Annotated[str, StringConstraints(max_length=4000)] = ""  # noqa: N815
    #: with ``randomize: image``: the images of a study that are cases (a file selector)
    images: Annotated[str, StringConstraints(max_length=4000)] = ""
    viewer: ViewerContext = Field(default_factory=dict)
    instructions: Annotated[str, StringConstraints(max_length=20000)] = ""

    @field_validator("selection")
    @classmethod
    def _selection(cls, value: str) -> str:
        return _checked(parse_subject_selector, value)

    @field_validator("SQLCondition")
    @classmethod
    def _condition(cls, value: str) -> str:
        return _checked(parse_condition, value)

    @field_validator("images")
    @classmethod
    def _images(cls, value: str) -> str:
        return _checked(parse_file_selectors, value) if value else value


class Arm(_Strict):
    name: ArmName
    viewer: ViewerContext = Field(default_factory=dict)


class Crossover(_Strict):
    """Two arms: each reader reads half the cases in each arm first, the rest in the other after a washout."""

    arms: list[Arm] = Field(min_length=2, max_length=2)
    washoutDays: float = Field(0, ge=0, le=3650)  # noqa: N815

    @model_validator(mode="after")
    def _check(self) -> Crossover:
        if self.arms[0].name == self.arms[1].name:
            raise ValueError("the two arms need different names")
        return self


class Blind(_Strict):
    """What a blinded reader does not see."""

    hideMetadata: bool = True  # noqa: N815 - PID, SID, dates, description: cases are numbered instead
    hideTags: bool = True  # noqa: N815
    hideColumns: list[str] = Field(default_factory=list)  # noqa: N815
    hideResults: bool = True  # noqa: N815 - earlier results (other stages, repetitions, readers)
    restrictToReading: bool = True  # noqa: N815 - no table: the reading only


class ReadingSettings(_Strict):
    mode: Literal["individual", "joint", "blind"] = "individual"
    blind: Blind | None = None
    random: Literal["none", "full", "idhash"] = "none"
    randomize: Literal["patient", "study", "image"] = "study"
    repetitions: int = Field(1, ge=1, le=20)
    crossover: Crossover | None = None
    allowRestartOfTraining: bool = False  # noqa: N815
    allowRestartOfSerious: bool = False  # noqa: N815
    mode_training: Stage | None = None
    mode_serious: Stage | None = None

    @model_validator(mode="after")
    def _check(self) -> ReadingSettings:
        if self.mode == "blind" and self.blind is None:
            self.blind = Blind()
        return self

    def stage(self, name: str) -> Stage:
        stage = self.mode_training if name == "training" else self.mode_serious if name == "serious" else None
        if name not in STAGES:
            raise InvalidInput(f"unknown stage {name!r}: training or serious")
        if stage is None or not stage.enabled:
            raise InvalidInput(f"the reading has no {name} stage (mode_{name} in its configuration)")
        return stage

    @property
    def stages(self) -> list[str]:
        return [s for s in STAGES if (st := getattr(self, f"mode_{s}")) is not None and st.enabled]

    def restart_allowed(self, stage: str) -> bool:
        return self.allowRestartOfTraining if stage == "training" else self.allowRestartOfSerious

    @property
    def joint(self) -> bool:
        return self.mode == "joint"


class Tools(_Open):
    """Which annotation tools the reader's case view offers (all by default); other keys are kept as given.

    The page shows only the tools switched on; the server refuses a confined reader's saves through the
    others (:mod:`nora.reading.confinement`)."""

    roi: bool = True
    markers: bool = True
    measure: bool = True

    def allows(self, tool: str) -> bool:
        return bool(getattr(self, tool, True))


class Configuration(_Strict):
    reading: ReadingSettings = Field(default_factory=ReadingSettings)
    tools: Tools = Field(default_factory=Tools)
    viewer: Viewer = Field(default_factory=Viewer)


class General(_Strict):
    title: Annotated[str, StringConstraints(max_length=255)] = ""
    description: Annotated[str, StringConstraints(max_length=20000)] = ""
    #: reading instructions: text, and / or a link (slides, a document)
    instructions: Annotated[str, StringConstraints(max_length=20000)] = ""
    instructionsUrl: Annotated[str, StringConstraints(pattern=r"^(https?://\S{1,2000})?$")] = ""  # noqa: N815
    #: who reads (user names; empty: every user of the project)
    readers: list[Username] = Field(default_factory=list, max_length=1000)
    #: reading admins besides the project admins: they edit it and see every reader's results
    admins: list[Username] = Field(default_factory=list, max_length=1000)


class Definition(_Strict):
    """The three tabs of the form designer."""

    general: General = Field(default_factory=General)
    form: Form = Field(default_factory=Form)
    reading: Configuration = Field(default_factory=Configuration)


def parse_definition(raw: object) -> Definition:
    """The definition, or one :class:`InvalidInput` naming every problem with its place."""
    return validated(Definition, raw, "reading definition")


def definition_problems(raw: object) -> list[tuple[str, str]]:
    """Every problem of a definition as ``(where, what)``, for the designer's live preview."""
    return problems(Definition, raw, "") if isinstance(raw, dict) else [("", "the definition must be an object")]


def viewer_of(config: Configuration, stage: str, arm: str = "") -> dict[str, Any]:
    """The viewer context of a stage (and arm): the reading's viewer with the stage's and arm's laid over it."""
    out = config.viewer.model_dump(mode="json", exclude_none=True)
    out.update(config.reading.stage(stage).viewer)
    crossover = config.reading.crossover
    if arm and crossover is not None and stage == "serious":
        for a in crossover.arms:
            if a.name == arm:
                out.update(a.viewer)
    return out
