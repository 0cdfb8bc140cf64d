"""Request dependencies: the database session, the caller, and their access to a project."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Path, Request, Response
from sqlalchemy.orm import Session, sessionmaker

from nora.api import casekeys, confinement
from nora.api.cache import ResponseCache
from nora.archive.models import User
from nora.archive.services.access import Access, Actor, project_access, read_access
from nora.archive.services.accounts import create_token, user_for_token
from nora.archive.services.throttle import LoginThrottle
from nora.archive.storage import Layout
from nora.core.errors import NotAuthenticated
from nora.core.settings import Settings
from nora.reading.casekeys import CaseKeys
from nora.runtime import Services

COOKIE = "nora_session"


@dataclass
class AppState:
    """What the app factory builds once: the settings, the database, the data root and the services."""

    settings: Settings
    sessions: sessionmaker[Session]
    layout: Layout
    services: Services
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    #: the table, file-list and job-list answers of the current database revision
    cache: ResponseCache = field(default_factory=lambda: ResponseCache(0))
    #: the opaque case keys of pseudonymised readers (:mod:`nora.reading.casekeys`)
    case_keys: CaseKeys = field(init=False)

    def __post_init__(self) -> None:
        self.case_keys = CaseKeys(self.layout.home)


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.nora
    return state


def db_session(state: Annotated[AppState, Depends(app_state)]) -> Iterator[Session]:
    """A session per request; routes commit their writes, anything uncommitted is rolled back."""
    with state.sessions() as session:
        yield session


def start_web_session(
    db: Session, request: Request, response: Response, state: AppState, user: User, name: str
) -> None:
    """Create a session token for ``user`` and hand it to the browser as the HttpOnly session cookie
    (``Secure`` when the request came over HTTPS, directly or through a trusted proxy, or by setting)."""
    hours = state.settings.session_hours
    token = create_token(db, user, name, kind="session", lifetime=dt.timedelta(hours=hours))
    response.set_cookie(
        COOKIE,
        token.secret,
        max_age=int(hours * 3600),
        httponly=True,
        samesite="lax",
        secure=state.settings.cookie_secure or request.url.scheme == "https",
        path="/",
    )


def credentials(request: Request) -> tuple[str, str] | None:
    """(kind, secret) from ``Authorization: Bearer`` or the session cookie."""
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, secret = auth.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise NotAuthenticated("use 'Authorization: Bearer <token>'")
        return "api", secret.strip()
    cookie = request.cookies.get(COOKIE)
    return ("session", cookie) if cookie else None


def optional_actor(request: Request, db: Annotated[Session, Depends(db_session)]) -> Actor | None:
    creds = credentials(request)
    if creds is None:
        return None
    actor = Actor.of(user_for_token(db, creds[1], kind=creds[0]))
    # commit only when the token's last_used_at was written (at most once a minute): a commit expires the
    # user, and reading it again cost every request a query
    if db.dirty:
        db.commit()
    return actor


def current_actor(actor: Annotated[Actor | None, Depends(optional_actor)]) -> Actor:
    if actor is None:
        raise NotAuthenticated("not logged in: log in or send 'Authorization: Bearer <token>'")
    return actor


def access(
    request: Request,
    project: Annotated[str, Path(description="project name")],
    actor: Annotated[Actor, Depends(current_actor)],
    db: Annotated[Session, Depends(db_session)],
) -> Access:
    """The caller's rights on the project (readers confined to a blind reading: only its routes); a case key
    in the path stands for its case's PID and SID."""
    granted = project_access(db, actor, project)
    casekeys.resolve_path(request, db, granted)
    confinement.guard(request, db, granted)
    return granted


def reading_access(
    request: Request,
    project: Annotated[str, Path(description="project name")],
    actor: Annotated[Actor | None, Depends(optional_actor)],
    db: Annotated[Session, Depends(db_session)],
) -> Access:
    """For read-only routes: the caller's rights, or guest access when the project is public."""
    granted = read_access(db, actor, project)
    casekeys.resolve_path(request, db, granted)
    confinement.guard(request, db, granted)
    return granted


DB = Annotated[Session, Depends(db_session)]
CurrentActor = Annotated[Actor, Depends(current_actor)]
ProjectAccess = Annotated[Access, Depends(access)]
ReadAccess = Annotated[Access, Depends(reading_access)]
OptionalActor = Annotated[Actor | None, Depends(optional_actor)]
State = Annotated[AppState, Depends(app_state)]


def services(state: State) -> Services:
    return state.services


JobServices = Annotated[Services, Depends(services)]
