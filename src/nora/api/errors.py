"""The one place where domain errors become HTTP statuses."""

from __future__ import annotations

import http
import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from nora.api.casekeys import scrub
from nora.api.schemas import ErrorOut
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


#: the status of a request that does not fit the route's schema (a body, a path or a query parameter)
INVALID_REQUEST = 422


def responses() -> dict[int | str, dict[str, Any]]:
    """The error answers every operation declares (FastAPI ``responses=``, set once on the ``/api`` router):
    each status of :data:`STATUS` and the 422, all with the one body :class:`ErrorOut`."""
    described = {INVALID_REQUEST: "the request does not fit the operation's schema (body, path or query)"}
    for error, status in STATUS.items():
        what = "any unexpected error" if error is NoraError else f"{error.__name__} (or a subclass)"
        described[status] = f"{described[status]}, {what}" if status in described else what
    return {status: {"model": ErrorOut, "description": text} for status, text in sorted(described.items())}


def share_responses(document: dict[str, Any]) -> None:
    """Declare the error answers once, under ``components/responses``, and refer to them from every
    operation (FastAPI writes each in full into each operation, in the media type of the route's
    success, while an error is always JSON)."""
    body = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ErrorOut.__name__}"}}}
    shared = document.setdefault("components", {}).setdefault("responses", {})
    names: dict[str, str] = {}
    for status, answer in responses().items():
        names[str(status)] = http.HTTPStatus(int(status)).phrase.title().replace(" ", "")
        shared[names[str(status)]] = {"description": answer["description"], "content": body}
    for path in document.get("paths", {}).values():
        for operation in path.values():
            declared = operation.get("responses", {})
            for status in declared.keys() & names.keys():
                declared[status] = {"$ref": f"#/components/responses/{names[status]}"}


def install(app: FastAPI) -> None:
    """Answer every error with :class:`ErrorOut` and declare those answers once in the OpenAPI document."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            share_responses(generate())
        return generate()

    app.openapi = openapi  # type: ignore[method-assign]

    @app.exception_handler(NoraError)
    async def _nora_error(request: Request, exc: NoraError) -> JSONResponse:
        status = status_for(type(exc))
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if isinstance(exc, Throttled):
            headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}
        # a caller who named the case by its key never reads its PID or SID in an error
        return JSONResponse({"detail": scrub(request, exc.message)}, status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = validation_problems(exc.errors(), "body", skip=("body",))
        return JSONResponse({"detail": f"invalid request: {problems}"}, status_code=INVALID_REQUEST)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse({"detail": "internal server error"}, status_code=500)
