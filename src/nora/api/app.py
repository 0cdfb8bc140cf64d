"""The FastAPI application factory: REST API under /api, OpenAPI at /api/docs, and the built frontend.

The factory is the server's composition root: it builds the settings' database, data root and
background services (:class:`nora.runtime.Services`) once, holds them on ``app.state.nora`` (injected
into routes like the database session) and starts and stops the services in the one lifespan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

import nora
from nora.api import errors, security
from nora.api.deps import AppState
from nora.api.routes import (
    admin,
    annotation,
    auth,
    dicomheader,
    events,
    files,
    importing,
    jobs,
    pacs,
    projects,
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
    sessions = make_sessionmaker(make_engine(settings.effective_database_url))
    services = Services.build(settings, sessions)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # recovery, DICOM nodes, workers, daemon; stopped in the reverse order
        services.start(
            jobs=settings.processing.daemon_in_server,
            nodes=settings.dicom_nodes_in_serve,
        )
        try:
            yield
        finally:
            services.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="nora",
        version=nora.__version__,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        description="REST API of nora, an open medical imaging research platform.",
    )
    throttle = LoginThrottle(
        free=settings.login_free_attempts,
        address_limit=settings.login_address_attempts,
        max_lock_s=settings.login_max_lock_s,
    )
    state = AppState(settings, sessions, Layout(settings.home), services, throttle)
    app.state.nora = state
    errors.install(app)
    _limit_uploads(app, settings.max_upload_mb * 1024 * 1024)
    security.install(app, state)

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
        segmentation,
        events,
    ):
        api.include_router(module.router)

    @api.get("/health", tags=["system"], response_model=Health)
    def health() -> Health:
        return Health(status="ok", version=nora.__version__)

    app.include_router(api)
    _frontend(app, frontend_dist or FRONTEND_DIST)
    return app


def _limit_uploads(app: FastAPI, max_bytes: int) -> None:
    """Refuse bodies whose declared length exceeds the limit before reading them."""

    @app.middleware("http")
    async def _limit(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > max_bytes + 1024 * 1024):
            return JSONResponse(
                {"detail": f"request body too large (limit {max_bytes // (1024 * 1024)} MB)"}, status_code=413
            )
        return await call_next(request)


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
