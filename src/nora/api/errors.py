"""The one place where domain errors become HTTP statuses."""

from __future__ import annotations

import logging
import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from nora.core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NoraError,
    NotAuthenticated,
    NotFound,
    ServerFault,
    Throttled,
    TooLarge,
    Unavailable,
    category,
    validation_problems,
)

log = logging.getLogger(__name__)

#: error class -> HTTP status; an error takes the status of its nearest class listed here
STATUS: dict[type[NoraError], int] = {
    InvalidInput: 400,
    TooLarge: 413,
    NotFound: 404,
    Conflict: 409,
    NotAuthenticated: 401,
    Throttled: 429,
    Forbidden: 403,
    Unavailable: 502,
    ServerFault: 500,
    NoraError: 500,
}


def status_for(error: type[NoraError]) -> int:
    """The HTTP status of an error class: that of its nearest base class listed in :data:`STATUS`."""
    return STATUS[category(error, STATUS)]


def install(app: FastAPI) -> None:
    @app.exception_handler(NoraError)
    async def _nora_error(_request: Request, exc: NoraError) -> JSONResponse:
        status = status_for(type(exc))
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if isinstance(exc, Throttled):
            headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}
        return JSONResponse({"detail": exc.message}, status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = validation_problems(exc.errors(), "body", skip=("body",))
        return JSONResponse({"detail": f"invalid request: {problems}"}, status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse({"detail": "internal server error"}, status_code=500)
