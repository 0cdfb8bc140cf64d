"""URL calls: ``?project=P&call={"pid","sid","selmode","preset","user","token"}`` opens a case.

The token (an API token from the user's profile) authenticates the caller; the route then starts a web
session. What opens is checked against the caller's own rights, like everything else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from nora.archive.models import User
from nora.archive.services import accounts, nodes
from nora.archive.services.access import Access
from nora.core.errors import InvalidInput, NotAuthenticated
from nora.core.validation import validated
from nora.viewer import autoloaders


class Call(BaseModel):
    """The ``call`` parameter; unknown keys are ignored (NORA's calls carry extra ones)."""

    model_config = ConfigDict(extra="ignore")

    pid: str | None = Field(default=None, max_length=128)
    sid: str | None = Field(default=None, max_length=128)
    selmode: str | None = Field(default=None, max_length=32)
    preset: str | None = Field(default=None, max_length=128)
    user: str | None = Field(default=None, max_length=128)
    token: str | None = Field(default=None, max_length=256)


def parse(raw: str | dict[str, Any]) -> Call:
    """The call from its JSON text (as in the URL) or an already decoded object."""
    data: object = raw
    if isinstance(raw, str):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"the 'call' parameter is not valid JSON: {exc.msg} at position {exc.pos}") from None
    if not isinstance(data, dict):
        raise InvalidInput('the \'call\' parameter must be a JSON object like {"pid": "...", "token": "..."}')
    return validated(Call, data, "'call' parameter")


def authenticate(session: Session, call: Call) -> User:
    """The user the call's token belongs to; :class:`NotAuthenticated` for bad, expired or foreign tokens."""
    if not call.token:
        raise NotAuthenticated('the URL call has no token: add "token" (from your profile) or log in first')
    try:
        user = accounts.user_for_token(session, call.token, kind="api")
    except NotAuthenticated as exc:
        raise NotAuthenticated(f"the URL call's token was refused: {exc.message}") from None
    if call.user and call.user != user.username:
        raise NotAuthenticated(f"the URL call's token does not belong to user {call.user!r}")
    return user


@dataclass(frozen=True)
class Case:
    pid: str | None
    sid: str | None
    preset: str | None


def open_case(session: Session, access: Access, call: Call) -> Case:
    """Check that the case and preset exist for this caller (NotFound says which does not)."""
    if call.sid and not call.pid:
        raise InvalidInput("the URL call names a study ('sid') but no patient ('pid')")
    if call.pid and call.sid:
        nodes.get_study(session, access, call.pid, call.sid)
    elif call.pid:
        nodes.get_patient(session, access, call.pid)
    if call.preset:
        autoloaders.get_preset(session, access, call.preset)
    return Case(call.pid, call.sid, call.preset)
