"""``nora --admin passwd``: the user's web sessions end, and their API tokens too unless ``--keep-tokens``."""

from __future__ import annotations

import pytest

from nora.archive.db import make_engine, make_sessionmaker
from nora.archive.services import accounts
from nora.core.errors import NotAuthenticated
from nora.core.settings import Settings
from tests.unit.cli.conftest import Cli, populate


def _web_session(cli: Cli, username: str) -> str:
    engine = make_engine(Settings(home=cli.home).effective_database_url)
    with make_sessionmaker(engine)() as s:
        secret = accounts.create_token(s, accounts.get_user(s, username), "browser", kind="session").secret
        s.commit()
    engine.dispose()
    return secret


def _session_works(cli: Cli, secret: str) -> bool:
    engine = make_engine(Settings(home=cli.home).effective_database_url)
    try:
        with make_sessionmaker(engine)() as s:
            accounts.user_for_token(s, secret, kind="session")
        return True
    except NotAuthenticated:
        return False
    finally:
        engine.dispose()


@pytest.mark.parametrize("keep", [False, True])
def test_passwd_ends_the_sessions_and_revokes_the_tokens(cli: Cli, keep: bool) -> None:
    populate(cli)
    cli.ok("--admin", "adduser", "bob", "--password-stdin", stdin="old-password-1\n")
    token = cli.ok("--admin", "token", "create", "bob", "--name", "laptop").json()["token"]
    browser = _web_session(cli, "bob")
    flags = ["--keep-tokens"] if keep else []
    out = cli.ok("--admin", "passwd", "bob", "--password-stdin", *flags, stdin="new-password-1\n").json()
    assert out == {"username": "bob", "sessions_ended": 1, "tokens_revoked": 0 if keep else 1}
    assert not _session_works(cli, browser)
    cli.monkeypatch.setenv("NORA_TOKEN", token)
    result = cli("--projectlist")
    assert (result.code == 0) is keep, result.err
    assert keep or "revoked" in result.err
