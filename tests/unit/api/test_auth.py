"""Login, session cookie, API tokens (shown once, stored hashed, revocable, expiring)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from nora.archive.models import ApiToken, User
from nora.archive.services import accounts
from tests.unit.api.conftest import Env


def test_login_sets_httponly_cookie_and_logout_ends_the_session(env: Env) -> None:
    c = env.client("anonymous")
    r = c.post("/api/auth/login", json={"username": "user", "password": "user-password"})
    assert r.status_code == 200 and r.json() == {"username": "user", "is_admin": False}
    cookie = r.headers["set-cookie"]
    assert "nora_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert c.get("/api/auth/me").json()["username"] == "user"
    old = c.cookies.get("nora_session")
    assert c.post("/api/auth/logout").status_code == 204
    c.cookies.set("nora_session", old or "")
    assert c.get("/api/auth/me").status_code == 401


def test_wrong_password_and_unknown_user_give_the_same_401(env: Env) -> None:
    c = env.client("anonymous")
    a = c.post("/api/auth/login", json={"username": "user", "password": "nope-nope"})
    b = c.post("/api/auth/login", json={"username": "ghost", "password": "nope-nope"})
    assert a.status_code == b.status_code == 401
    assert a.json() == b.json() == {"detail": "wrong user name or password"}


def test_passwords_and_tokens_are_stored_hashed(env: Env) -> None:
    with env.sessions() as s:  # type: ignore[operator]
        user = s.scalar(select(User).where(User.username == "user"))
        assert user.password_hash.startswith("$argon2id$") and "user-password" not in user.password_hash
        hashes = list(s.scalars(select(ApiToken.token_hash)))
    assert env.tokens["user"] not in hashes
    assert accounts.hash_token(env.tokens["user"]) in hashes


def test_token_shown_once_listed_without_secret_and_revocable(env: Env) -> None:
    c = env.client("user")
    created = c.post("/api/auth/tokens", json={"name": "script", "expires_days": 30}).json()
    secret = created["token"]
    listed = c.get("/api/auth/tokens").json()
    assert all("token" not in t for t in listed) and any(t["name"] == "script" for t in listed)
    c.headers["authorization"] = f"Bearer {secret}"
    assert c.get("/api/auth/me").json()["username"] == "user"
    assert c.delete(f"/api/auth/tokens/{created['id']}").status_code == 204
    r = c.get("/api/auth/me")
    assert r.status_code == 401 and "revoked" in r.json()["detail"]


def test_a_used_token_records_when_it_was_last_used(env: Env) -> None:
    c = env.client("user")
    created = c.post("/api/auth/tokens", json={"name": "used", "expires_days": 30}).json()
    assert [t["last_used_at"] for t in c.get("/api/auth/tokens").json() if t["name"] == "used"] == [None]
    other = env.client("anonymous")
    assert other.get("/api/auth/me", headers={"authorization": f"Bearer {created['token']}"}).status_code == 200
    with env.sessions() as s:  # type: ignore[operator]
        used = s.scalar(select(ApiToken.last_used_at).where(ApiToken.id == created["id"]))
    assert used is not None


def test_expired_and_malformed_tokens_are_refused(env: Env) -> None:
    with env.sessions() as s:  # type: ignore[operator]
        user = accounts.get_user(s, "user")
        expired = accounts.create_token(s, user, "old", lifetime=dt.timedelta(seconds=-1))
        s.commit()
    c = env.client("anonymous")
    r = c.get("/api/projects", headers={"authorization": f"Bearer {expired.secret}"})
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    assert c.get("/api/projects", headers={"authorization": "Bearer nope"}).status_code == 401
    r = c.get("/api/projects", headers={"authorization": "Basic dXNlcjpwdw=="})
    assert r.status_code == 401 and "Bearer" in r.json()["detail"]


def test_users_see_only_their_projects(env: Env) -> None:
    assert env.client("norights").get("/api/projects").json() == []
    mine = env.client("readonly").get("/api/projects").json()
    assert [p["name"] for p in mine] == ["P1"] and mine[0]["readonly"] is True
    assert {p["name"] for p in env.client("admin").get("/api/projects").json()} == {"OTHER", "P1"}
    assert env.client("user").get("/api/projects/OTHER").status_code == 404


def test_every_write_is_audited(env: Env) -> None:
    c = env.client("user")
    c.post("/api/projects/P1/patients/PAT1/tags", json={"add": ["audited"]})
    log = env.client("admin").get("/api/admin/audit?project=P1").json()
    assert any(e["action"] == "tag.patient" and e["username"] == "user" for e in log)
