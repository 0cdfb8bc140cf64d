"""PACS query / retrieve / send: the configured PACS nodes a caller may use, C-FIND, pull into a project
(a ``retrieve`` job the engine runs), and C-STORE of a study back to a node.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from nora.api.deps import DB, CurrentActor, State
from nora.api.schemas import Out, UtcDateTime
from nora.core.validation import DbInt
from nora.dicom.net import FindQuery
from nora.importing import pacs
from nora.processing.models import Job

log = logging.getLogger(__name__)


router = APIRouter(prefix="/pacs", tags=["pacs"])

_TEXT = Field(default="", max_length=64)


class PacsNodeOut(Out):
    name: str
    ae_title: str
    host: str
    port: int
    description: str
    retrieve: str = Field(description="'move' (C-MOVE to our node) or 'get' (C-GET)")
    can_query: bool = Field(description="PACSQUERY_<name>: query and retrieve")
    can_send: bool = Field(description="PACS_<name>: send studies to this node")


class FindIn(BaseModel):
    """Search keys: names with '^' between family and given name, '*' and '?' wildcards, dates
    YYYYMMDD or ranges YYYYMMDD-YYYYMMDD (open ends allowed)."""

    level: str = Field(default="STUDY", description="PATIENT, STUDY or SERIES")
    patient_name: str = _TEXT
    patient_id: str = _TEXT
    birth_date: str = Field(default="", max_length=17)
    study_date: str = Field(default="", max_length=17)
    modality: str = Field(default="", max_length=16)
    study_description: str = _TEXT
    accession_number: str = Field(default="", max_length=16)
    study_uid: str = _TEXT

    def query(self) -> FindQuery:
        return FindQuery(**self.model_dump())


class FindRow(Out):
    """A C-FIND answer at one level: exactly that level's keys (see RETURN_KEYS of nora.dicom.net.query)."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


class _PatientKeys(Out):
    """The patient's keys of a C-FIND answer at PATIENT or STUDY level."""

    PatientName: str = ""
    PatientID: str = ""
    PatientBirthDate: str = ""
    PatientSex: str = ""


class _StudyKeys(_PatientKeys):
    """The keys of a C-FIND answer at STUDY level: the patient's and the study's."""

    StudyInstanceUID: str = ""
    StudyDate: str = ""
    StudyTime: str = ""
    StudyDescription: str = ""
    AccessionNumber: str = ""
    StudyID: str = ""
    ModalitiesInStudy: list[str] = Field(default_factory=list)
    NumberOfStudyRelatedSeries: int | None = None
    NumberOfStudyRelatedInstances: int | None = None


class PacsPatientFindRow(_PatientKeys, FindRow):
    NumberOfPatientRelatedStudies: int | None = None


class PacsStudyFindRow(_StudyKeys, FindRow):
    pass


class PacsSeriesRow(FindRow):
    StudyInstanceUID: str = ""
    SeriesInstanceUID: str = ""
    Modality: str = ""
    SeriesNumber: int | None = None
    SeriesDescription: str = ""
    SeriesDate: str = ""
    NumberOfSeriesRelatedInstances: int | None = None


class PacsStudyRow(_StudyKeys):
    """A study of the PACS query page: its C-FIND keys, the patient's number of studies and the series."""

    NumberOfPatientRelatedStudies: int | None = None
    series: list[PacsSeriesRow] = Field(default_factory=list)


class RetrieveItemIn(BaseModel):
    study_uid: str = Field(max_length=64)
    series_uids: list[str] = Field(default_factory=list, max_length=1000, description="empty: the whole study")


class RetrieveIn(BaseModel):
    project: str = Field(max_length=128)
    items: list[RetrieveItemIn] = Field(min_length=1, max_length=1000)
    method: str | None = Field(default=None, description="'move' or 'get' (default: the node's setting)")


class RetrieveJobOut(Out):
    id: int
    state: str = Field(description="q queued, r running, e error, d done")
    progress: float
    message: str
    pacs: str
    import_job: int | None = None
    created_at: UtcDateTime
    updated_at: UtcDateTime


class SendIn(BaseModel):
    project: str = Field(max_length=128)
    pid: str = Field(max_length=128)
    sid: str = Field(max_length=128)


class SendOut(Out):
    sent: int
    failed: int
    warning: int


def _job_out(job: Job) -> RetrieveJobOut:
    return RetrieveJobOut(
        id=job.id,
        state=job.state,
        progress=job.progress,
        message=job.message,
        pacs=str(job.spec.get("pacs", "")),
        import_job=job.spec.get("import_job"),
        created_at=job.created_at,
        updated_at=job.updated_at,
    )


@router.get("/nodes", response_model=list[PacsNodeOut])
def list_nodes(actor: CurrentActor, db: DB, state: State) -> list[PacsNodeOut]:
    return [PacsNodeOut(**n.__dict__) for n in pacs.list_nodes(db, actor, state.settings)]


class EchoOut(Out):
    ok: bool


FoundRow = PacsPatientFindRow | PacsStudyFindRow | PacsSeriesRow
FIND_ROWS: dict[str, type[FoundRow]] = {
    "PATIENT": PacsPatientFindRow,
    "STUDY": PacsStudyFindRow,
    "SERIES": PacsSeriesRow,
}


@router.post("/nodes/{node}/echo", response_model=EchoOut)
def echo(node: str, actor: CurrentActor, db: DB, state: State) -> EchoOut:
    """C-ECHO: whether the PACS answers us (502 with the reason when not)."""
    pacs.echo(db, actor, state.settings, node)
    return EchoOut(ok=True)


@router.post("/nodes/{node}/find", response_model=list[FoundRow])
def find(node: str, body: FindIn, actor: CurrentActor, db: DB, state: State) -> list[FoundRow]:
    """One C-FIND at the given level; rows keyed by DICOM keyword (the keys of that level)."""
    query = body.query()
    row = FIND_ROWS.get(query.level, PacsStudyFindRow)
    return [row.model_validate(r) for r in pacs.find(db, actor, state.settings, node, query)]


@router.post("/nodes/{node}/search", response_model=list[PacsStudyRow])
def search(node: str, body: FindIn, actor: CurrentActor, db: DB, state: State) -> list[PacsStudyRow]:
    """Studies matching the keys, each with its series (what the PACS query page shows)."""
    body.level = "STUDY"
    return [PacsStudyRow(**row) for row in pacs.search(db, actor, state.settings, node, body.query())]


@router.post("/nodes/{node}/retrieve", response_model=RetrieveJobOut, status_code=status.HTTP_202_ACCEPTED)
def retrieve(node: str, body: RetrieveIn, actor: CurrentActor, state: State) -> RetrieveJobOut:
    """Pull studies (or some of their series) into a project as a background job; poll ``/pacs/jobs/{id}``."""
    items = [pacs.RetrieveItem(i.study_uid, tuple(i.series_uids)) for i in body.items]
    job = pacs.create_retrieve(
        state.sessions, state.layout, state.settings, actor, node, body.project, items, body.method
    )
    state.services.notify_jobs()
    return _job_out(job)


@router.get("/jobs/{job_id}", response_model=RetrieveJobOut)
def retrieve_job(job_id: DbInt, actor: CurrentActor, db: DB) -> RetrieveJobOut:
    return _job_out(pacs.get_job(db, actor, job_id))


@router.post("/nodes/{node}/send", response_model=SendOut)
def send(node: str, body: SendIn, actor: CurrentActor, db: DB, state: State) -> SendOut:
    """C-STORE the DICOM files of one study to the node (rights: PACS_<node>, download in the project)."""
    result = pacs.send_study(db, actor, state.settings, state.layout, node, body.project, body.pid, body.sid)
    db.commit()
    return SendOut(sent=result.completed, failed=result.failed, warning=result.warning)
