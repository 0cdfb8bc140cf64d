"""System administration: users, their passwords and tokens, capability rights and the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from nora.api.deps import COOKIE, DB, CurrentActor
from nora.api.schemas import (
    AdminPasswordIn,
    AuditOut,
    PasswordChangedOut,
    RightIn,
    RightOut,
    TokenCreated,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
)
from nora.archive.services import accounts, audit, cliops, rights
from nora.archive.services.access import require_system_admin
from nora.core.validation import DbInt

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get("/users", response_model=list[UserOut])
def list_users(actor: CurrentActor, db: DB) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in accounts.list_users(db, actor)]


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def create_user(body: UserIn, actor: CurrentActor, db: DB) -> UserOut:
    user = accounts.create_user(
        db, actor, body.username, body.password, is_admin=body.is_admin, full_name=body.full_name, email=body.email
    )
    db.commit()
    return UserOut.model_validate(user)


@router.delete("/users/{username}", status_code=status.HTTP_204_NO_CONTENT)
def delete_user(username: str, actor: CurrentActor, db: DB) -> None:
    accounts.delete_user(db, actor, username)
    db.commit()


@router.put("/users/{username}/password", response_model=PasswordChangedOut)
def set_password(
    username: str, body: AdminPasswordIn, request: Request, actor: CurrentActor, db: DB
) -> PasswordChangedOut:
    """Set a user's password (system admins): the user's web sessions end and, unless ``keep_tokens``,
    their API tokens are revoked."""
    require_system_admin(actor)
    own = request.cookies.get(COOKIE) if username == actor.username else None
    changed = accounts.set_password(db, actor, username, body.password, keep_tokens=body.keep_tokens, keep_session=own)
    db.commit()
    return PasswordChangedOut(sessions_ended=changed.sessions_ended, tokens_revoked=changed.tokens_revoked)


@router.get("/users/{username}/tokens", response_model=list[TokenOut])
def user_tokens(username: str, actor: CurrentActor, db: DB) -> list[TokenOut]:
    """A user's API tokens (``nora --admin token list``); revoke one with ``DELETE /api/auth/tokens/{id}``."""
    require_system_admin(actor)
    return [TokenOut.model_validate(t) for t in cliops.tokens_of(db, actor, username)]


@router.post("/users/{username}/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
def create_user_token(username: str, body: TokenIn, actor: CurrentActor, db: DB) -> TokenCreated:
    """An API token for a user (``nora --admin token create``); the secret is in this answer only."""
    require_system_admin(actor)
    token = cliops.issue_token(db, actor, username, body.name, body.expires_days)
    db.commit()
    return TokenCreated(id=token.id, name=token.name, token=token.secret, expires_at=token.expires_at)


@router.get("/users/{username}/rights", response_model=list[RightOut])
def user_rights(username: str, actor: CurrentActor, db: DB) -> list[RightOut]:
    return [RightOut.of(username, r) for r in rights.rights_of_user(db, actor, username)]


@router.put("/users/{username}/rights/{scope}", response_model=RightOut)
def set_user_right(username: str, scope: str, body: RightIn, actor: CurrentActor, db: DB) -> RightOut:
    """Grant a project right or a capability (``PACS_<node>``, ``PACSQUERY_<node>``, ``QUEUE_<queue>``)."""
    r = rights.grant(db, actor, username, scope, rights.RightSpec(**body.model_dump()))
    db.commit()
    return RightOut.of(username, r)


@router.delete("/users/{username}/rights/{scope}", status_code=status.HTTP_204_NO_CONTENT)
def delete_user_right(username: str, scope: str, actor: CurrentActor, db: DB) -> None:
    rights.revoke(db, actor, username, scope)
    db.commit()


@router.get("/audit", response_model=list[AuditOut])
def audit_log(actor: CurrentActor, db: DB, project: str | None = None, limit: DbInt = 200) -> list[AuditOut]:
    require_system_admin(actor)
    return [AuditOut.model_validate(e) for e in audit.entries(db, project, limit)]
