"""Login, logout, the current user, their password and API tokens."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request, Response, status

from nora.api.deps import COOKIE, DB, CurrentActor, State, start_web_session
from nora.api.schemas import LoginIn, Me, PasswordChange, TokenCreated, TokenIn, TokenOut
from nora.archive.services import accounts, audit
from nora.archive.services.access import Actor

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", response_model=Me)
def login(body: LoginIn, response: Response, db: DB, state: State) -> Me:
    user = accounts.authenticate(db, body.username, body.password)
    start_web_session(db, response, state, user, "web session")
    audit.record(db, Actor.of(user), "auth.login")
    db.commit()
    return Me(username=user.username, is_admin=user.is_admin)


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


@router.put("/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(body: PasswordChange, actor: CurrentActor, db: DB) -> None:
    """Change the caller's own password; the current password must be given."""
    accounts.change_own_password(db, actor, body.current_password, body.new_password)
    db.commit()


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
def revoke_token(token_id: int, actor: CurrentActor, db: DB) -> None:
    accounts.revoke_token(db, actor, token_id)
    db.commit()
