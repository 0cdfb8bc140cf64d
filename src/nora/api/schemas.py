"""Request and response schemas: tables are never exposed raw."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(Strict):
    username: str = Field(max_length=128)
    password: str = Field(max_length=1024)


class Me(BaseModel):
    username: str
    is_admin: bool


class TokenIn(Strict):
    name: str = Field(default="", max_length=128)
    expires_days: float | None = Field(default=None, gt=0, le=3650)


class TokenCreated(BaseModel):
    id: int
    name: str
    token: str
    expires_at: dt.datetime | None


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class ProjectOut(BaseModel):
    name: str
    description: str
    role: str
    readonly: bool
    download: bool
    batchtool: bool
    deanonym: bool
    anonymised: bool
    public: bool
    n_patients: int
    n_studies: int
    settings: dict[str, Any] | None = None


class ProjectIn(Strict):
    name: str = Field(max_length=128)
    description: str = Field(default="", max_length=10000)
    settings: dict[str, Any] | None = None


class ProjectPatch(Strict):
    description: str | None = Field(default=None, max_length=10000)
    settings: dict[str, Any] | None = None


class StudyRow(BaseModel):
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
    jobs: dict[str, int]


class StudyPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[StudyRow]


class PatientRow(BaseModel):
    patient_id: int
    pid: str
    name: str | None
    birth_date: str | None
    orig_pid: str | None
    sex: str
    ptags: list[str]
    n_studies: int


class PatientPage(BaseModel):
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


class NodeOut(BaseModel):
    pid: str
    sid: str | None = None
    created: bool = True


class FileOut(BaseModel):
    id: int
    path: str
    format: str
    size: int
    header: dict[str, Any]
    tags: list[str]
    modified_at: dt.datetime
    study_id: int | None
    patient_id: int
    pid: str
    sid: str | None
    url: str


class FilePage(BaseModel):
    total: int
    items: list[FileOut]


class TagChange(Strict):
    add: list[str] = Field(default_factory=list, max_length=100)
    remove: list[str] = Field(default_factory=list, max_length=100)


class TagsOut(BaseModel):
    tags: list[str]


class RightIn(Strict):
    role: str = "user"
    readonly: bool = False
    download: bool = False
    batchtool: bool = False
    deanonym: bool = False


class RightOut(RightIn):
    model_config = ConfigDict(extra="ignore")
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


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    username: str
    is_admin: bool
    full_name: str
    email: str
    disabled: bool
    created_at: dt.datetime


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: dt.datetime
    username: str
    action: str
    project: str
    target: str
    detail: dict[str, Any]
