"""The segmentation assistant: sessions on an image for an ROI, interactions, undo, Reset, the result."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, status
from pydantic import Field

from nora.api.deps import DB, ProjectAccess, State
from nora.api.schemas import Out, Strict
from nora.archive.services.access import Access
from nora.core.validation import DbInt
from nora.segmentation.assistant import service
from nora.segmentation.assistant.encoding import ENCODING, pack
from nora.segmentation.assistant.interactions import Interaction, MaskIn
from nora.segmentation.assistant.sessions import Session

router = APIRouter(prefix="/projects/{project}/assistant", tags=["assistant"])

SessionId = Annotated[str, Path(min_length=1, max_length=64, description="the session's id")]


class SessionIn(Strict):
    file_id: DbInt = Field(ge=1, description="the image (a file of a study) the ROI is drawn on")
    roi: str = Field(min_length=1, max_length=128, description="the target ROI's name in the image's study")
    initial: MaskIn | None = Field(None, description="start from this mask (the ROI's content, a model's output)")
    model: DbInt | None = Field(
        None, ge=1, description="a patchwork model of the project proposes the initial mask (the patchwork backend)"
    )


class AssistantResultOut(Out):
    """The result on the image grid: ``lo``/``hi`` inclusive voxel bounds, ``data`` the packed box."""

    encoding: Literal["bbox-packbits-gzip-base64"] = Field(
        description="base64 of gzip of the box's voxels in C order, 8 a byte, least significant bit first"
    )
    lo: list[int] | None
    hi: list[int] | None
    voxels: int
    data: str


class StepOut(Out):
    """The answer to an interaction, an undo or a Reset."""

    id: str
    version: int = Field(description="counts every change of the result; show the answer of the highest")
    interactions: int = Field(description="how many interactions (undo steps) the session holds")
    expires_in_s: float
    result: AssistantResultOut


class SessionOut(StepOut):
    backend: Literal["builtin", "patchwork", "nninteractive"]
    model: int | None = Field(description="the patchwork model the session started from")
    file_id: int
    roi: str
    pid: str
    sid: str
    matrix: list[int]
    affine: list[list[float]]
    history: list[Interaction] = Field(description="the interactions so far, as sent, oldest first")


def _result(session: Session) -> AssistantResultOut:
    p = pack(session.result)
    return AssistantResultOut(
        encoding=ENCODING,
        lo=list(p.lo) if p.lo else None,
        hi=list(p.hi) if p.hi else None,
        voxels=p.voxels,
        data=p.data,
    )


def _step(state: State, session: Session) -> StepOut:
    return StepOut(
        id=session.id,
        version=session.version,
        interactions=len(session.history),
        expires_in_s=state.services.assistant.expires_in(session),
        result=_result(session),
    )


def _out(state: State, session: Session) -> SessionOut:
    s = service.summary(session)
    return SessionOut(
        **_step(state, session).model_dump(),
        backend=s["backend"],
        model=s["model"],
        file_id=s["file_id"],
        roi=s["roi"],
        pid=s["pid"],
        sid=s["sid"],
        matrix=s["matrix"],
        affine=s["affine"],
        history=s["interactions"],
    )


def _session(state: State, access: Access, session_id: str) -> Session:
    access.require_write()
    return state.services.assistant.get(session_id, access.actor.user_id, access.project.id)


@router.post("/sessions", response_model=SessionOut, status_code=status.HTTP_201_CREATED)
def open_session(body: SessionIn, access: ProjectAccess, db: DB, state: State) -> SessionOut:
    """Open the caller's session on an image for an ROI of its study (needs write access).

    The image is read once, here; a session of the same user, image and ROI ends. The backend is
    ``patchwork`` when ``model`` is given (the model runs on the image once, here), else the project's
    ``assistant_backend`` setting or the server's ``[assistant] backend``."""
    session = service.open_session(
        db,
        access,
        state.layout,
        state.services.assistant,
        state.settings.assistant,
        file_id=body.file_id,
        roi=body.roi,
        initial=body.initial,
        model=body.model,
    )
    return _out(state, session)


@router.get("/sessions/{session_id}", response_model=SessionOut)
def get_session(session_id: SessionId, access: ProjectAccess, state: State) -> SessionOut:
    """The caller's session: its image, interactions and current result."""
    return _out(state, _session(state, access, session_id))


@router.post("/sessions/{session_id}/interactions", response_model=StepOut)
def add_interaction(session_id: SessionId, body: Interaction, access: ProjectAccess, db: DB, state: State) -> StepOut:
    """Add points, a scribble, a box, a lasso or a mask (world coordinates, RAS mm); answers the new result."""
    session = _session(state, access, session_id)
    service.interact(db, access, state.layout, state.services.assistant, session, body)
    return _step(state, session)


@router.post("/sessions/{session_id}/undo", response_model=StepOut)
def undo(session_id: SessionId, access: ProjectAccess, state: State) -> StepOut:
    """Forget the last interaction."""
    return _step(state, service.undo(access, _session(state, access, session_id)))


@router.post("/sessions/{session_id}/reset", response_model=StepOut)
def reset(session_id: SessionId, access: ProjectAccess, state: State) -> StepOut:
    """Forget every interaction (Reset): the result is empty again."""
    return _step(state, service.reset(access, _session(state, access, session_id)))


@router.get("/sessions/{session_id}/result", response_model=AssistantResultOut)
def result(session_id: SessionId, access: ProjectAccess, state: State) -> AssistantResultOut:
    """The current result only."""
    return _result(_session(state, access, session_id))


@router.delete("/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
def close_session(session_id: SessionId, access: ProjectAccess, state: State) -> None:
    """End the session (it ends by itself after ``[assistant] idle_timeout_s`` unused)."""
    access.require_write()
    state.services.assistant.close(session_id, access.actor.user_id, access.project.id)
