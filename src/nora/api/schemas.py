"""Request and response schemas: tables are never exposed raw."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from nora.archive.services.projects import ColorLimPreset, ProjectSettings


def as_utc(value: UtcDateTime) -> dt.datetime:
    """The database keeps naive UTC times; the API always says so, as an RFC 3339 time with its offset."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


#: a time in a response: serialised with its offset (``2026-12-01T22:35:00Z``), declared ``date-time``
UtcDateTime = Annotated[dt.datetime, AfterValidator(as_utc)]


class Strict(BaseModel):
    """A request body: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    """A response: every field is in every answer, so the output-mode schema marks defaulted fields required."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class ErrorOut(Out):
    """The body of every 4xx and 5xx answer (the 422 of a request that does not fit its schema too)."""

    detail: str = Field(description="what was wrong and what is accepted")


class Health(Out):
    status: str
    version: str


class LoginIn(Strict):
    username: str = Field(max_length=128)
    password: str = Field(max_length=1024)


class Me(Out):
    username: str
    is_admin: bool


class PasswordIn(Strict):
    """A user changing their own password (the old one proves it is them)."""

    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)
    keep_tokens: bool = Field(default=False, description="keep the API tokens (other web sessions end anyway)")


class AdminPasswordIn(Strict):
    """A system admin setting a user's password."""

    password: str = Field(max_length=1024)
    keep_tokens: bool = Field(default=False, description="keep the user's API tokens (their web sessions end)")


class PasswordChangedOut(Out):
    sessions_ended: int = Field(description="web sessions of the user that were ended")
    tokens_revoked: int = Field(description="API tokens of the user that were revoked")


class TokenIn(Strict):
    name: str = Field(default="", max_length=128)
    expires_days: float | None = Field(default=None, gt=0, le=3650)


class TokenCreated(Out):
    id: int
    name: str
    token: str
    expires_at: UtcDateTime | None


class TokenOut(Out):
    model_config = ConfigDict(from_attributes=True, json_schema_serialization_defaults_required=True)
    id: int
    name: str
    prefix: str
    created_at: UtcDateTime
    expires_at: UtcDateTime | None
    revoked_at: UtcDateTime | None
    last_used_at: UtcDateTime | None


class GuestSettings(Out):
    """The settings a guest of a public project sees: the viewer needs them; queues and rules stay private."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    public: bool = False
    anonymised: bool = False
    colorlimpresets: dict[str, ColorLimPreset] | None = None


class ProjectOut(Out):
    name: str
    description: str
    role: str
    readonly: bool
    download: bool
    batchtool: bool
    deanonym: bool
    anonymised: bool
    public: bool
    n_patients: int | None = Field(description="null for a reader confined to a blind reading")
    n_studies: int | None = Field(description="null for a reader confined to a blind reading")
    settings: GuestSettings | ProjectSettings | None = Field(
        default=None,
        description="the project's settings (guests of a public project and confined readers: only what the "
        "viewer needs)",
    )
    reading_only: bool = Field(
        default=False,
        description="the caller reads a blind reading that restricts its readers to the reading "
        "(restrictToReading): the project's table, files and tools are closed to them; the page opens the "
        "reading list",
    )


class ProjectIn(Strict):
    name: str = Field(max_length=128)
    description: str = Field(default="", max_length=10000)
    settings: ProjectSettings | None = None


class ProjectPatch(Strict):
    description: str | None = Field(default=None, max_length=10000)
    settings: ProjectSettings | None = Field(default=None, description="only the keys given change")


class JobCounts(Out):
    """Processing jobs of a study by state: queued, running, error."""

    q: int = 0
    r: int = 0
    e: int = 0


class StudyRow(Out):
    patient_id: int
    study_id: int
    pid: str
    name: str | None
    birth_date: str | None
    orig_pid: str | None
    sex: str
    sid: str
    study_date: str | None
    sdesc: str
    modality: str
    ptags: list[str]
    stags: list[str]
    n_files: int
    jobs: JobCounts


class StudyPage(Out):
    total: int
    offset: int
    limit: int
    items: list[StudyRow]


class PatientRow(Out):
    patient_id: int
    pid: str
    name: str | None
    birth_date: str | None
    orig_pid: str | None
    sex: str
    ptags: list[str]
    n_studies: int


class PatientPage(Out):
    total: int
    offset: int
    limit: int
    items: list[PatientRow]


class PatientIn(Strict):
    pid: str = Field(max_length=128)
    name: str = Field(default="", max_length=255)
    birth_date: str | None = None
    sex: str = Field(default="", max_length=8)


class StudyIn(Strict):
    sid: str = Field(max_length=128)
    study_date: str | None = None
    description: str = Field(default="", max_length=255)
    modality: str = Field(default="", max_length=64)


class NodeOut(Out):
    pid: str
    sid: str | None = None
    created: bool = True


class FileOut(Out):
    id: int
    path: str
    format: str
    size: int
    header: dict[str, Any]
    tags: list[str]
    modified_at: UtcDateTime
    study_id: int | None
    patient_id: int
    pid: str
    sid: str | None
    url: str


class FilePage(Out):
    total: int
    items: list[FileOut]


class TagChange(Strict):
    add: list[str] = Field(default_factory=list, max_length=100)
    remove: list[str] = Field(default_factory=list, max_length=100)


class TagsOut(Out):
    tags: list[str]


class TagStats(Out):
    """How many patients, studies and files carry each tag."""

    patient: dict[str, int]
    study: dict[str, int]
    file: dict[str, int]


class RightIn(Strict):
    role: str = "user"
    readonly: bool = False
    download: bool = False
    batchtool: bool = False
    deanonym: bool = False


class RightOut(RightIn):
    model_config = ConfigDict(extra="ignore", json_schema_serialization_defaults_required=True)
    username: str
    scope: str

    @classmethod
    def of(cls, username: str, right: Any) -> RightOut:
        """From a ``rights`` row."""
        return cls(
            username=username,
            scope=right.scope,
            role=right.role,
            readonly=right.readonly,
            download=right.download,
            batchtool=right.batchtool,
            deanonym=right.deanonym,
        )


class UserIn(Strict):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)
    is_admin: bool = False
    full_name: str = Field(default="", max_length=255)
    email: str = Field(default="", max_length=255)


class UserOut(Out):
    model_config = ConfigDict(from_attributes=True, json_schema_serialization_defaults_required=True)
    username: str
    is_admin: bool
    full_name: str
    email: str
    disabled: bool
    created_at: UtcDateTime


class AuditOut(Out):
    model_config = ConfigDict(from_attributes=True, json_schema_serialization_defaults_required=True)
    id: int
    at: UtcDateTime
    username: str
    action: str
    project: str
    target: str
    detail: dict[str, Any]


class FileRename(Strict):
    """A file's new path in its study (or patient) folder; the extension must stay."""

    path: str = Field(min_length=1, max_length=1024)


class TrashEntryOut(Out):
    model_config = ConfigDict(from_attributes=True, json_schema_serialization_defaults_required=True)
    id: int
    pid: str
    sid: str | None
    path: str
    format: str
    size: int
    tags: list[str]
    trashed_by: str
    trashed_at: dt.datetime


class DicomElementOut(Out):
    model_config = ConfigDict(from_attributes=True, json_schema_serialization_defaults_required=True)
    tag: str
    keyword: str
    name: str
    vr: str
    value: str
    depth: int


class DicomHeaderOut(Out):
    """A file's DICOM header (its own, or its kept originals') and its JSON sidecar."""

    model_config = ConfigDict(from_attributes=True, json_schema_serialization_defaults_required=True)
    path: str
    format: str
    instances: list[str] = Field(description="the DICOM files of the series, in order; `index` is the one shown")
    index: int
    elements: list[DicomElementOut]
    sidecar_path: str | None
    sidecar: dict[str, Any] | None
    note: str = Field(description="why something is missing, if it is")
