"""The subject/study table, patients and studies, and their metadata."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response, status

from nora.api.deps import DB, ProjectAccess, ReadAccess, State
from nora.api.schemas import NodeOut, PatientIn, PatientPage, StudyIn, StudyPage
from nora.archive.services import nodes
from nora.archive.services.table import TableQuery, query_patients, query_studies
from nora.core.validation import DbInt

router = APIRouter(prefix="/projects/{project}", tags=["table"])

FilterBar = Annotated[str, Query(max_length=2000)]


def table_query(
    pid: FilterBar = "",
    name: FilterBar = "",
    birth_date: FilterBar = "",
    sid: FilterBar = "",
    study_date: FilterBar = "",
    sdesc: FilterBar = "",
    modality: FilterBar = "",
    ptag: FilterBar = "",
    stag: FilterBar = "",
    files: FilterBar = "",
    sort: str = "pid",
    offset: DbInt = 0,
    limit: DbInt = 200,
) -> TableQuery:
    """The filter bars (selection language), the file-search bar, sorting and paging of the table."""
    bars = {
        "pid": pid,
        "name": name,
        "birth_date": birth_date,
        "sid": sid,
        "study_date": study_date,
        "sdesc": sdesc,
        "modality": modality,
        "ptag": ptag,
        "stag": stag,
    }
    return TableQuery({k: v for k, v in bars.items() if v}, files, sort, offset, limit)


Table = Annotated[TableQuery, Depends(table_query)]


@router.get("/studies", response_model=StudyPage)
def list_studies(request: Request, access: ReadAccess, db: DB, state: State, q: Table) -> Response:
    """Studies of the project filtered by the filter bars (selection language) and the file-search bar."""

    def page() -> bytes:
        total, rows = query_studies(db, access, q, state.settings.page_size_max)
        # one validation of the whole page (200 rows), not a model built per row
        out = StudyPage.model_validate({"total": total, "offset": q.offset, "limit": q.limit, "items": rows})
        return out.model_dump_json(by_alias=True).encode()

    return state.cache.answer(request, db, access, page)


@router.get("/patients", response_model=PatientPage)
def list_patients(request: Request, access: ReadAccess, db: DB, state: State, q: Table) -> Response:
    """Patients with at least one study matching the same filters (``sort`` is by patient ID here)."""

    def page() -> bytes:
        total, rows = query_patients(db, access, q, state.settings.page_size_max)
        out = PatientPage.model_validate({"total": total, "offset": q.offset, "limit": q.limit, "items": rows})
        return out.model_dump_json(by_alias=True).encode()

    return state.cache.answer(request, db, access, page)


@router.post("/patients", response_model=NodeOut, status_code=status.HTTP_201_CREATED)
def create_patient(body: PatientIn, access: ProjectAccess, db: DB, state: State) -> NodeOut:
    nodes.create_patient(db, access, state.layout, body.pid, name=body.name, birth_date=body.birth_date, sex=body.sex)
    db.commit()
    return NodeOut(pid=body.pid)


@router.post("/patients/{pid}/studies", response_model=NodeOut, status_code=status.HTTP_201_CREATED)
def create_study(pid: str, body: StudyIn, access: ProjectAccess, db: DB, state: State) -> NodeOut:
    patient = nodes.get_patient(db, access, pid)
    nodes.create_study(
        db,
        access,
        state.layout,
        patient,
        body.sid,
        study_date=body.study_date,
        description=body.description,
        modality=body.modality,
    )
    db.commit()
    return NodeOut(pid=pid, sid=body.sid)


@router.delete("/patients/{pid}", status_code=status.HTTP_204_NO_CONTENT)
def delete_patient(pid: str, access: ProjectAccess, db: DB, state: State) -> None:
    nodes.delete_patient(db, access, state.layout, pid)
    db.commit()


@router.delete("/patients/{pid}/studies/{sid}", status_code=status.HTTP_204_NO_CONTENT)
def delete_study(pid: str, sid: str, access: ProjectAccess, db: DB, state: State) -> None:
    nodes.delete_study(db, access, state.layout, pid, sid)
    db.commit()


@router.get("/patients/{pid}/meta")
def get_patient_meta(pid: str, access: ReadAccess, db: DB) -> dict[str, Any]:
    return nodes.get_patient(db, access, pid).meta


@router.put("/patients/{pid}/meta")
def put_patient_meta(
    pid: str, meta: Annotated[dict[str, Any], Body()], access: ProjectAccess, db: DB, state: State
) -> dict[str, Any]:
    out = nodes.set_meta(db, access, state.layout, nodes.get_patient(db, access, pid), None, meta)
    db.commit()
    return out


@router.get("/patients/{pid}/studies/{sid}/meta")
def get_study_meta(pid: str, sid: str, access: ReadAccess, db: DB) -> dict[str, Any]:
    return nodes.get_study(db, access, pid, sid).meta


@router.put("/patients/{pid}/studies/{sid}/meta")
def put_study_meta(
    pid: str, sid: str, meta: Annotated[dict[str, Any], Body()], access: ProjectAccess, db: DB, state: State
) -> dict[str, Any]:
    study = nodes.get_study(db, access, pid, sid)
    out = nodes.set_meta(db, access, state.layout, nodes.get_patient(db, access, pid), study, meta)
    db.commit()
    return out
