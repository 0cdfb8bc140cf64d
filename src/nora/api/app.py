"""The FastAPI application factory: REST API under /api, OpenAPI at /api/docs, and the built frontend.

The factory is the server's composition root: :func:`bind` builds the settings' database, data root and
background services (:class:`nora.runtime.Services`) once, holds them on ``app.state.nora`` (injected
into routes like the database session), and the one lifespan starts and stops the services.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

import nora
from nora.api import errors, security
from nora.api.cache import ResponseCache
from nora.api.deps import AppState
from nora.api.routes import (
    admin,
    annotation,
    assistant,
    auth,
    dicomheader,
    events,
    files,
    importing,
    jobs,
    pacs,
    projects,
    reading,
    segmentation,
    table,
    tags,
    trash,
    viewer,
)
from nora.api.schemas import Health
from nora.archive.db import make_engine, make_sessionmaker
from nora.archive.services.throttle import LoginThrottle
from nora.archive.storage import Layout
from nora.core.settings import Settings
from nora.runtime import Services

FRONTEND_DIST = Path(__file__).resolve().parents[3] / "frontend" / "dist"


def create_app(settings: Settings, frontend_dist: Path | None = None) -> FastAPI:
    """Build the app on the database and data root named by ``settings`` (already initialised)."""
    app = build_routes(frontend_dist)
    bind(app, settings)
    return app


def build_routes(frontend_dist: Path | None = None) -> FastAPI:
    """The app's routes, middleware and lifespan, without settings or services (:func:`bind` gives them).

    Everything here reads the state it serves from ``app.state.nora`` at the request, so one such app can be
    bound again to other settings; the tests do that, as FastAPI's set-up of ~320 routes costs about half a
    second of CPU an app.
    """
    app = FastAPI(
        lifespan=_lifespan,
        title="nora",
        version=nora.__version__,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        description="REST API of nora, an open medical imaging research platform.",
    )
    errors.install(app)
    security.install(app)

    api = APIRouter(prefix="/api", responses=errors.responses())
    for module in (
        auth,
        projects,
        table,
        files,
        trash,
        tags,
        admin,
        viewer,
        dicomheader,
        importing,
        jobs,
        pacs,
        annotation,
        reading,
        segmentation,
        assistant,
        events,
    ):
        api.include_router(module.router)

    @api.get("/health", tags=["system"], response_model=Health)
    def health() -> Health:
        return Health(status="ok", version=nora.__version__)

    app.include_router(api)
    _frontend(app, frontend_dist or FRONTEND_DIST)
    return app


def bind(app: FastAPI, settings: Settings) -> AppState:
    """Give ``app`` its database, data root and background services (:class:`nora.runtime.Services`), built
    from ``settings`` once, held on ``app.state.nora``; the lifespan starts and stops them."""
    sessions = make_sessionmaker(make_engine(settings.effective_database_url))
    throttle = LoginThrottle(
        free=settings.login_free_attempts,
        address_limit=settings.login_address_attempts,
        max_lock_s=settings.login_max_lock_s,
    )
    cache = ResponseCache(settings.response_cache_mb * 1024 * 1024)
    state = AppState(settings, sessions, Layout(settings.home), Services.build(settings, sessions), throttle, cache)
    app.state.nora = state
    return state


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Recovery, DICOM nodes, workers, daemon; stopped in the reverse order."""
    state: AppState = app.state.nora
    state.services.start(
        jobs=state.settings.processing.daemon_in_server,
        nodes=state.settings.dicom_nodes_in_serve,
    )
    try:
        yield
    finally:
        state.services.stop()


def _frontend(app: FastAPI, dist: Path) -> None:
    index = dist / "index.html"
    if (dist / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=dist / "assets"), name="assets")

    @app.get("/{path:path}", include_in_schema=False)
    def spa(path: str) -> Response:
        if path.startswith("api/") or path == "api":
            return JSONResponse({"detail": f"no such API route: /{path}"}, status_code=404)
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(dist.resolve()):
            return FileResponse(candidate)
        if index.is_file():
            return FileResponse(index, headers={"Cache-Control": "no-cache"})
        return JSONResponse({"detail": "frontend not built: run 'npm run build' in frontend/"}, status_code=404)
