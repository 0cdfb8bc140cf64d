"""Login (throttled), logout, password changes, the current user and API tokens."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request, Response, status
from sqlalchemy.orm import Session

from nora.api.deps import COOKIE, DB, AppState, CurrentActor, State, start_web_session
from nora.api.schemas import LoginIn, Me, PasswordChangedOut, PasswordIn, TokenCreated, TokenIn, TokenOut
from nora.archive.models import User
from nora.archive.services import accounts, audit
from nora.archive.services.access import Actor
from nora.core.errors import Forbidden, NotAuthenticated, Throttled
from nora.core.validation import DbInt

router = APIRouter(prefix="/auth", tags=["auth"])

#: who the audit log names for a failed login (the caller is not known)
ANONYMOUS = Actor(None, "anonymous")


def _verified(db: Session, state: AppState, request: Request, username: str, password: str) -> User:
    """``username`` if ``password`` is theirs; throttled per account and address (429 + Retry-After before
    the password is checked, so a locked attempt costs no argon2 verification); locks are audited."""
    address = request.client.host if request.client else ""
    wait = state.throttle.wait(username, address)
    if wait > 0:
        raise Throttled(f"too many failed logins: try again in {wait:.0f} s", wait)
    try:
        user = accounts.authenticate(db, username, password)
    except NotAuthenticated:
        for lock in state.throttle.failed(username, address):
            audit.record(
                db, ANONYMOUS, "auth.throttle", target=username, scope=lock.scope, address=address,
                seconds=round(lock.seconds, 1),
            )  # fmt: skip
        db.commit()
        raise
    state.throttle.succeeded(username)
    return user


@router.post(
    "/login",
    response_model=Me,
    responses={429: {"description": "too many failed logins for this account or address (see Retry-After)"}},
)
def login(body: LoginIn, request: Request, response: Response, db: DB, state: State) -> Me:
    """Log in (session cookie). Failed logins are throttled per account and per address: 429 + Retry-After."""
    user = _verified(db, state, request, body.username, body.password)
    start_web_session(db, request, response, state, user, "web session")
    audit.record(db, Actor.of(user), "auth.login")
    db.commit()
    return Me(username=user.username, is_admin=user.is_admin)


@router.post(
    "/password",
    response_model=PasswordChangedOut,
    responses={429: {"description": "too many wrong current passwords (see Retry-After)"}},
)
def change_password(
    body: PasswordIn, request: Request, actor: CurrentActor, db: DB, state: State
) -> PasswordChangedOut:
    """Change one's own password: the caller's other web sessions end, and their API tokens are revoked
    unless ``keep_tokens``. The current password is checked (and throttled) like a login."""
    try:
        _verified(db, state, request, actor.username, body.current_password)
    except Throttled:
        raise
    except NotAuthenticated:
        raise Forbidden("the current password is wrong") from None
    changed = accounts.set_password(
        db, actor, actor.username, body.new_password, keep_tokens=body.keep_tokens,
        keep_session=request.cookies.get(COOKIE),
    )  # fmt: skip
    db.commit()
    return PasswordChangedOut(sessions_ended=changed.sessions_ended, tokens_revoked=changed.tokens_revoked)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, response: Response, db: DB) -> None:
    secret = request.cookies.get(COOKIE)
    if secret:
        accounts.end_session(db, secret)
        db.commit()
    response.delete_cookie(COOKIE, path="/")


@router.get("/me", response_model=Me)
def me(actor: CurrentActor) -> Me:
    return Me(username=actor.username, is_admin=actor.is_admin)


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(actor: CurrentActor, db: DB) -> list[TokenOut]:
    user = accounts.get_user(db, actor.username)
    return [TokenOut.model_validate(t) for t in accounts.list_tokens(db, user)]


@router.post("/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
def create_token(body: TokenIn, actor: CurrentActor, db: DB) -> TokenCreated:
    user = accounts.get_user(db, actor.username)
    life = dt.timedelta(days=body.expires_days) if body.expires_days else None
    token = accounts.create_token(db, user, body.name, lifetime=life)
    db.commit()
    return TokenCreated(id=token.id, name=token.name, token=token.secret, expires_at=token.expires_at)


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: DbInt, actor: CurrentActor, db: DB) -> None:
    accounts.revoke_token(db, actor, token_id)
    db.commit()
