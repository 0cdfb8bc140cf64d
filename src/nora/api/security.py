"""The web security rules every request passes before a route sees it (pure ASGI middleware).

- :class:`SecurityHeaders`: a Content-Security-Policy without inline script, ``frame-ancestors 'self'``,
  ``X-Frame-Options``, ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer`` on every
  answer (URL calls carry tokens in the address, which must not travel on in a Referer).
- :class:`CsrfGuard`: a request with an unsafe method (POST, PUT, PATCH, DELETE) that does not carry
  ``Authorization`` (so a browser may have attached the session cookie) must come from the page itself:
  ``Sec-Fetch-Site: same-origin``, or an ``Origin`` equal to the server's own origin (or one of
  ``trusted_origins``). Scripts with a Bearer token, and clients that send neither header (not a browser:
  every browser sends one of them on a cross-origin request), pass.
- :class:`BodyLimit`: a body whose declared length exceeds ``max_upload_mb`` (plus 1 MB of form overhead), or
  a ``Content-Length`` that is not a number, gets 413 before it is read.
- :class:`UploadGate`: a multipart body is parsed (and spooled to disk) only for a caller known from the
  headers who may write in the project of the path; others get 401/403/404 before the body is read.

Proxies: :func:`install` puts uvicorn's ``ProxyHeadersMiddleware`` outermost, trusting
``settings.trusted_proxies`` only, so ``X-Forwarded-Proto: https`` from such a proxy makes the request
HTTPS (the session cookie is then ``Secure``) and ``X-Forwarded-For`` names the client address.

Each rule reads the settings and services of the app it serves (``scope["app"].state.nora``, see
:func:`nora.api.app.bind`) at the request, never at installation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from nora.api.deps import COOKIE, AppState
from nora.api.errors import status_for
from nora.archive.services.access import Actor, project_access
from nora.archive.services.accounts import user_for_token
from nora.core.errors import NoraError, NotAuthenticated
from nora.core.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: the web desktop: scripts and workers from this origin only (niivue's image decoders use blob: workers and
#: WebAssembly), styles may be inline (React's style attributes), images and media from data:/blob: URLs
APP_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
    "connect-src 'self' blob: data:; media-src 'self' blob: data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'self'"
)
#: the OpenAPI page (/api/docs) is FastAPI's Swagger UI: its script and style come from a CDN and it starts
#: with a small inline script; it shows no user data
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'"
)
HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"SAMEORIGIN"),
)
_PROJECT_PATH = re.compile(r"^/api/projects/(?P<project>[^/]+)/")
#: NORA's import form, whose token may travel in its ``call`` field
LEGACY_IMPORT = "/api/import"
#: how much of a form is read ahead to find a ``call`` sent before the file
PEEK = 64 * 1024


def install(app: FastAPI) -> None:
    """Add the middleware in the order requests pass it: proxy headers, headers, CSRF, upload gate, body limit."""
    app.add_middleware(BodyLimit)
    app.add_middleware(UploadGate)
    app.add_middleware(CsrfGuard)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(TrustedProxies)


def _state(scope: Scope) -> AppState:
    state: AppState = scope["app"].state.nora
    return state


class TrustedProxies:
    """uvicorn's ``ProxyHeadersMiddleware`` trusting the serving app's ``trusted_proxies``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.by_trusted: dict[tuple[str, ...], ProxyHeadersMiddleware] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        trusted = tuple(_state(scope).settings.trusted_proxies)
        middleware = self.by_trusted.get(trusted)
        if middleware is None:
            middleware = self.by_trusted[trusted] = ProxyHeadersMiddleware(self.app, trusted_hosts=list(trusted))  # type: ignore[arg-type]
        await middleware(scope, receive, send)  # type: ignore[arg-type]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie") or ""
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


async def _refuse(send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            + (headers or []),
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuses bodies whose declared length exceeds the limit before reading them (413).

    Pure ASGI: Starlette's ``BaseHTTPMiddleware`` (``@app.middleware("http")``) costs every request a task
    group and a pair of memory streams."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = _header(scope, b"content-length")
            max_bytes = _state(scope).settings.max_upload_mb * 1024 * 1024
            if length is not None and (not length.isdigit() or int(length) > max_bytes + 1024 * 1024):
                await _refuse(send, 413, f"request body too large (limit {max_bytes // (1024 * 1024)} MB)")
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """Adds the security headers to every HTTP answer (keeping any a route set itself)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = (DOCS_POLICY if scope["path"] == "/api/docs" else APP_POLICY).encode()

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {bytes(k).lower() for k, _ in headers}
                for key, value in (*HEADERS, (b"content-security-policy", policy)):
                    if key not in present:
                        headers.append((key, value))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin or URL, default ports filled in; None when it is not one."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)


def own_origin(scope: Scope) -> tuple[str, str, int] | None:
    """The origin the client reached: the request's scheme (HTTPS through a trusted proxy) and Host."""
    host = _header(scope, b"host")
    return _origin(f"{scope.get('scheme', 'http')}://{host}") if host else None


class CsrfGuard:
    """Refuses unsafe cookie-borne requests that a page of another origin made (403)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in UNSAFE and _header(scope, b"authorization") is None:
            problem = self.problem(scope)
            if problem is not None:
                await _refuse(send, 403, f"cross-origin request refused: {problem}")
                return
        await self.app(scope, receive, send)

    def problem(self, scope: Scope) -> str | None:
        """Why this request may not have come from the page itself, or None when it did (or from a script)."""
        site = _header(scope, b"sec-fetch-site")
        if site is not None:
            return None if site == "same-origin" else f"the browser says it came from a {site} page"
        origin = _header(scope, b"origin")
        if origin is None:
            return None  # not a browser: browsers send Sec-Fetch-Site or Origin on cross-origin requests
        parsed = _origin(origin)
        if parsed is not None and (parsed == own_origin(scope) or parsed in _trusted_origins(_state(scope).settings)):
            return None
        return f"it came from a page of {origin!r}, not of this server"


def _trusted_origins(settings: Settings) -> set[tuple[str, str, int]]:
    return {o for o in (_origin(u) for u in settings.trusted_origins) if o is not None}


class UploadGate:
    """Checks the caller of a multipart request from its headers before the body is read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type = (_header(scope, b"content-type") or "") if scope["type"] == "http" else ""
        if content_type.lower().startswith("multipart/"):
            call = None
            if (
                scope["path"] == LEGACY_IMPORT
                and _header(scope, b"authorization") is None
                and not _cookie(scope, COOKIE)
            ):
                receive, call = await _peek_call(receive, content_type)
            try:
                await run_in_threadpool(self.check, scope, call)
            except NoraError as exc:
                status = status_for(type(exc))
                extra = [(b"www-authenticate", b"Bearer")] if status == 401 else []
                await _refuse(send, status, exc.message, extra)
                return
        await self.app(scope, receive, send)

    def check(self, scope: Scope, call: dict[str, Any] | None = None) -> None:
        """Raise what the route would: no credentials (401), no such project (404), no write right (403).

        NORA's ``POST /api/import`` may carry its token inside the form: ``call``, when the form's first
        part (as NORA's clients send it), is read ahead of the file and checked the same way. A form with
        the file first is read as before, under the upload size limit, and the route checks it.
        """
        creds = _credentials(scope)
        legacy = scope["path"] == LEGACY_IMPORT
        if creds is None and not (legacy and call is not None):
            if legacy:
                return
            raise NotAuthenticated("not logged in: log in or send 'Authorization: Bearer <token>' before uploading")
        with _state(scope).sessions() as db:
            if creds is not None:
                actor = Actor.of(user_for_token(db, creds[1], kind=creds[0]))
            else:
                actor = call_actor(db, call or {})
            match = _PROJECT_PATH.match(scope["path"])
            project = match["project"] if match else (_query_value(scope, "project") or _call_project(call))
            if project and (match or legacy):
                project_access(db, actor, project).require_write()
            db.rollback()  # nothing to keep: the route authenticates again (and records last use)


def call_actor(db: Session, call: dict[str, Any]) -> Actor:
    """The caller named by NORA's import form: the API token in ``call`` (owned by ``call.user`` if given)."""
    token, user = str(call.get("token") or ""), str(call.get("user") or "")
    if not token:
        raise NotAuthenticated("give 'token' and 'user' in call, or 'Authorization: Bearer <token>'")
    owner = user_for_token(db, token, kind="api")
    if user and owner.username != user:
        raise NotAuthenticated(f"the token does not belong to user {user!r}")
    return Actor.of(owner)


def _credentials(scope: Scope) -> tuple[str, str] | None:
    """(kind, secret) from the headers, as :func:`nora.api.deps.credentials` reads them."""
    auth = _header(scope, b"authorization")
    if auth is not None:
        scheme, _, secret = auth.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise NotAuthenticated("use 'Authorization: Bearer <token>'")
        return "api", secret.strip()
    cookie = _cookie(scope, COOKIE)
    return ("session", cookie) if cookie else None


def _call_project(call: dict[str, Any] | None) -> str:
    return str((call or {}).get("project") or "")


async def _peek_call(receive: Receive, content_type: str) -> tuple[Receive, dict[str, Any] | None]:
    """The ``call`` JSON of a form whose first part it is (read from the first ``PEEK`` bytes), and a
    ``receive`` that hands the app those bytes again before the rest."""
    found = re.search(r'boundary="?([^";]+)"?', content_type)
    if found is None:
        return receive, None
    delimiter = b"--" + found.group(1).encode("latin-1")
    buffered: list[Message] = []
    data = b""
    while len(data) < PEEK and data.find(b"\r\n" + delimiter, len(delimiter)) == -1:
        message = await receive()
        buffered.append(message)
        data += message.get("body", b"")
        if message["type"] != "http.request" or not message.get("more_body", False):
            break

    async def replay() -> Message:
        return buffered.pop(0) if buffered else await receive()

    return replay, _first_part_call(data, delimiter)


def _first_part_call(data: bytes, delimiter: bytes) -> dict[str, Any] | None:
    if not data.startswith(delimiter + b"\r\n"):
        return None
    head, sep, rest = data[len(delimiter) + 2 :].partition(b"\r\n\r\n")
    end = rest.find(b"\r\n" + delimiter)
    if not sep or end == -1 or not re.search(rb'name="call"', head):
        return None
    try:
        value = json.loads(rest[:end])
    except ValueError:
        return None  # the route says what is wrong with it
    return value if isinstance(value, dict) else None


def _query_value(scope: Scope, name: str) -> str | None:
    values = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1")).get(name)
    return values[0] if values else None


__all__ = ["CsrfGuard", "SecurityHeaders", "UploadGate", "call_actor", "install"]
