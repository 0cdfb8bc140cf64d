"""Live events of a project: server-sent events that tell the web desktop which of its views went stale.

One stream per open desktop (not per row): the server compares the project's :class:`~nora.archive.events.Stamp`
once a second and sends ``event: change`` with the change kinds of the parts that differ. Each event's
id is the stamp, so a browser that reconnects (``EventSource`` does by itself, sending ``Last-Event-ID``)
is first told what changed while it was away. The caller's read right is checked when the stream opens
and at every comparison: a revoked right ends the stream.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from nora.api.deps import DB, AppState, OptionalActor, ReadAccess, State
from nora.archive.events import Stamp, stamp
from nora.archive.services.access import Actor, read_access
from nora.core.errors import NoraError

router = APIRouter(prefix="/projects/{project}", tags=["events"])

POLL_S = 1.0
KEEPALIVE_S = 15.0
#: a stream ends after this long at most; the browser reconnects at once and loses nothing (event ids)
LONGEST_S = 600.0


def _event(name: str, stamp_now: Stamp, data: object) -> str:
    return f"event: {name}\nid: {stamp_now.text()}\ndata: {json.dumps(data)}\n\n"


def _current(state: AppState, actor: Actor | None, project: str) -> Stamp | None:
    """The project's stamp, or None once the caller may no longer read it."""
    with state.sessions() as session:
        try:
            access = read_access(session, actor, project)
        except NoraError:
            return None
        return stamp(session, access.project.id, access.project.name)


async def _stream(
    request: Request, state: AppState, actor: Actor | None, project: str, since: Stamp | None, seconds: float
) -> AsyncIterator[str]:
    now = await run_in_threadpool(_current, state, actor, project)
    if now is None:
        return
    yield f"retry: {int(POLL_S * 1000)}\n\n"
    if since is not None and since.changes(now):
        yield _event("change", now, {"kinds": since.changes(now)})
    yield _event("ready", now, {"project": project})
    start = last_sent = time.monotonic()
    while time.monotonic() - start < seconds:
        await anyio.sleep(POLL_S)
        if await request.is_disconnected():
            return
        newer = await run_in_threadpool(_current, state, actor, project)
        if newer is None:
            return
        if kinds := now.changes(newer):
            yield _event("change", newer, {"kinds": kinds})
            last_sent = time.monotonic()
        elif time.monotonic() - last_sent >= KEEPALIVE_S:
            yield ": keepalive\n\n"
            last_sent = time.monotonic()
        now = newer


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}},
)
def project_events(
    request: Request,
    access: ReadAccess,
    actor: OptionalActor,
    state: State,
    db: DB,
    seconds: Annotated[float, Query(ge=0, le=LONGEST_S, description="end the stream after this long")] = LONGEST_S,
    last_event_id: Annotated[str | None, Header(description="the last event's id (sent on reconnect)")] = None,
) -> StreamingResponse:
    """Server-sent events: ``ready`` once, then ``change`` with ``{"kinds": [...]}`` whenever the project's
    rows (``imported``), row tags or metadata (``studies``), files (``files``) or jobs (``jobs``) change."""
    name = access.project.name
    db.close()  # the stream opens a short session per comparison; this one would stay idle for minutes
    return StreamingResponse(
        _stream(request, state, actor, name, Stamp.parse(last_event_id), seconds),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
