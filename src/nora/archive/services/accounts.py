"""Users, passwords (argon2), API tokens and web sessions.

Passwords are stored as argon2id hashes. Tokens (API tokens and web-session tokens alike) are random
secrets shown once; only their SHA-256 is stored, so a database leak does not leak usable credentials.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.archive.models import ApiToken, User, utcnow
from nora.archive.services import audit
from nora.archive.services.access import Actor, require_system_admin
from nora.core.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from nora.core.ids import new_token

_hasher = PasswordHasher()
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@\-]{0,63}$")
MIN_PASSWORD = 8


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_username(username: str) -> str:
    if not isinstance(username, str) or not _USERNAME.match(username):
        raise InvalidInput(f"invalid user name {username!r}: 1-64 letters, digits, '.', '_', '@' or '-'")
    return username


def check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise InvalidInput(f"password too short: at least {MIN_PASSWORD} characters")
    return password


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"user {username!r} does not exist")
    return user


def create_user(
    session: Session,
    actor: Actor,
    username: str,
    password: str | None,
    *,
    is_admin: bool = False,
    full_name: str = "",
    email: str = "",
) -> User:
    """Create a user (system admins only). ``password=None`` makes an account that cannot log in."""
    require_system_admin(actor)
    check_username(username)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} already exists")
    user = User(
        username=username,
        password_hash=_hasher.hash(check_password(password)) if password is not None else None,
        is_admin=is_admin,
        full_name=full_name,
        email=email,
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", target=username, is_admin=is_admin)
    return user


@dataclass(frozen=True)
class PasswordChanged:
    sessions_ended: int
    tokens_revoked: int


def set_password(
    session: Session,
    actor: Actor,
    username: str,
    password: str,
    *,
    keep_tokens: bool = False,
    keep_session: str | None = None,
) -> PasswordChanged:
    """Set a password (one's own, or anyone's for system admins) and end the user's web sessions but
    ``keep_session`` (the secret of the caller's own session), and revoke their API tokens unless
    ``keep_tokens``: whoever learnt the old password loses what they opened with it."""
    if actor.username != username:
        require_system_admin(actor)
    user = get_user(session, username)
    user.password_hash = _hasher.hash(check_password(password))
    kept = hash_token(keep_session) if keep_session else None
    ended = revoked = 0
    now = utcnow()
    for token in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)):
        if token.kind == "session" and token.token_hash != kept:
            session.delete(token)
            ended += 1
        elif token.kind == "api" and not keep_tokens and token.revoked_at is None:
            token.revoked_at = now
            revoked += 1
    audit.record(session, actor, "user.password", target=username, sessions_ended=ended, tokens_revoked=revoked)
    return PasswordChanged(ended, revoked)


def delete_user(session: Session, actor: Actor, username: str) -> None:
    require_system_admin(actor)
    if actor.username == username:
        raise InvalidInput("you cannot delete your own account")
    session.delete(get_user(session, username))
    audit.record(session, actor, "user.delete", target=username)


def list_users(session: Session, actor: Actor) -> list[User]:
    require_system_admin(actor)
    return list(session.scalars(select(User).order_by(User.username)))


def authenticate(session: Session, username: str, password: str) -> User:
    """The user with this password; :class:`NotAuthenticated` otherwise (same message either way)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or user.disabled or not user.password_hash:
        _hasher.hash("timing-equaliser")
        raise NotAuthenticated("wrong user name or password")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise NotAuthenticated("wrong user name or password") from None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


@dataclass(frozen=True)
class NewToken:
    id: int
    name: str
    secret: str
    expires_at: dt.datetime | None


def create_token(
    session: Session,
    user: User,
    name: str = "",
    *,
    kind: str = "api",
    lifetime: dt.timedelta | None = None,
) -> NewToken:
    """Issue a token for ``user``; the secret is returned here only."""
    if len(name) > 128:
        raise InvalidInput("token name too long (at most 128 characters)")
    secret = ("nora_" if kind == "api" else "") + new_token()
    expires = utcnow() + lifetime if lifetime is not None else None
    token = ApiToken(
        user_id=user.id, name=name, token_hash=hash_token(secret), prefix=secret[:12], kind=kind, expires_at=expires
    )
    session.add(token)
    session.flush()
    if kind == "api":
        audit.record(session, Actor.of(user), "token.create", target=name, token_id=token.id)
    return NewToken(token.id, name, secret, expires)


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.kind == "api").order_by(ApiToken.id)
        )
    )


def revoke_token(session: Session, actor: Actor, token_id: int) -> None:
    """Revoke one of the actor's own tokens (system admins: any token)."""
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.user_id and not actor.is_admin):
        raise NotFound(f"token {token_id} does not exist")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    audit.record(session, actor, "token.revoke", target=str(token_id))


def user_for_token(session: Session, secret: str, *, kind: str | None = None) -> User:
    """The user a token belongs to; :class:`NotAuthenticated` for unknown, expired or revoked tokens."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None or (kind is not None and token.kind != kind):
        raise NotAuthenticated("invalid token")
    now = utcnow()
    if token.revoked_at is not None:
        raise NotAuthenticated("token has been revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise NotAuthenticated("token has expired")
    user = session.get(User, token.user_id)
    if user is None or user.disabled:
        raise NotAuthenticated("account disabled")
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now
    return user


def end_session(session: Session, secret: str) -> None:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is not None:
        session.delete(token)
