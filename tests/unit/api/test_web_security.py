"""The web security rules (nora.api.security, the login throttle, password changes, public projects):
security headers, the Secure cookie over HTTPS and behind a trusted proxy, cross-origin requests, callers of
multipart routes checked before the body is read, throttled logins, sessions and tokens after a password
change, and public projects made by system admins only."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from nora.api.app import create_app
from nora.archive.models import AuditEntry
from nora.archive.services import accounts
from nora.archive.services.access import SYSTEM
from nora.archive.services.throttle import LoginThrottle
from tests.support.pgcluster import free_port
from tests.unit.api.conftest import PROJECT, Env

P = f"/api/projects/{PROJECT}"


def _login(client: TestClient, user: str, password: str | None = None) -> str:
    r = client.post("/api/auth/login", json={"username": user, "password": password or f"{user}-password"})
    assert r.status_code == 200, r.text
    return r.cookies["nora_session"]


def _anonymous(env: Env) -> TestClient:
    return env.client("anonymous")


# --- security headers and the Secure cookie ---------------------------------------------------------------


def test_every_answer_carries_the_security_headers(env: Env) -> None:
    for url in ("/api/health", "/api/projects/NOPE", "/some/page"):
        r = _anonymous(env).get(url)
        policy = r.headers["content-security-policy"]
        script = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
        assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, policy
        assert "frame-ancestors 'self'" in policy
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["x-frame-options"] == "SAMEORIGIN"


def _set_cookie(response: object) -> str:
    return next(v for k, v in response.headers.multi_items() if k == "set-cookie")  # type: ignore[attr-defined]


def test_the_session_cookie_is_secure_over_https_and_behind_a_trusted_proxy(env: Env) -> None:
    body = {"username": "user", "password": "user-password"}
    plain = _anonymous(env).post("/api/auth/login", json=body)
    assert "secure" not in _set_cookie(plain).lower()
    direct = TestClient(env.app_client.app, base_url="https://testserver").post("/api/auth/login", json=body)
    assert "secure" in _set_cookie(direct).lower()
    # the test client's address is "testclient": untrusted by default, so its X-Forwarded-Proto is ignored
    spoofed = _anonymous(env).post("/api/auth/login", json=body, headers={"X-Forwarded-Proto": "https"})
    assert "secure" not in _set_cookie(spoofed).lower()
    proxied_app = create_app(
        env.settings.model_copy(update={"trusted_proxies": ["testclient"]}), frontend_dist=env.layout.home / "x"
    )
    proxied = TestClient(proxied_app).post("/api/auth/login", json=body, headers={"X-Forwarded-Proto": "https"})
    assert "secure" in _set_cookie(proxied).lower()


# --- cross-origin requests (the browser test is tests/e2e/test_security.py) -----------------------------------


def test_cookie_requests_from_another_origin_are_refused(env: Env) -> None:
    client = _anonymous(env)
    _login(client, "user")
    evil = {"Origin": "http://testserver:8001"}
    r = client.post(f"{P}/patients", json={"pid": "CSRF1"}, headers=evil)
    assert r.status_code == 403 and "cross-origin" in r.json()["detail"], r.text
    r = client.post(f"{P}/patients", json={"pid": "CSRF2"}, headers={"Sec-Fetch-Site": "same-site"})
    assert r.status_code == 403, r.text
    r = client.post("/api/auth/logout", headers={"Origin": "null"})
    assert r.status_code == 403, r.text
    assert client.get("/api/auth/me").status_code == 200  # the session survived
    # the page itself: same origin by Sec-Fetch-Site or by Origin
    assert (
        client.post(f"{P}/patients", json={"pid": "OK1"}, headers={"Sec-Fetch-Site": "same-origin"}).status_code == 201
    )
    assert client.post(f"{P}/patients", json={"pid": "OK2"}, headers={"Origin": "http://testserver"}).status_code == 201
    # a script with a Bearer token is not a browser page riding on a cookie
    script = env.client("user")
    assert script.post(f"{P}/patients", json={"pid": "OK3"}, headers=evil).status_code == 201


def test_trusted_origins_may_send_cookie_requests(env: Env) -> None:
    app = create_app(
        env.settings.model_copy(update={"trusted_origins": ["https://nora.example.org"]}),
        frontend_dist=env.layout.home / "x",
    )
    client = TestClient(app)
    _login(client, "user")
    ok = client.post(f"{P}/patients", json={"pid": "T1"}, headers={"Origin": "https://nora.example.org"})
    assert ok.status_code == 201, ok.text
    refused = client.post(f"{P}/patients", json={"pid": "T2"}, headers={"Origin": "https://other.example.org"})
    assert refused.status_code == 403


# --- multipart callers are checked before the body is read --------------------------------------------------


@contextmanager
def _served(app: FastAPI) -> Iterator[int]:
    """``app`` under a real Uvicorn on a free port, without its background services (lifespan off)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _answer_before_body(port: int, path: str, headers: dict[str, str], call: str | None = None) -> tuple[int, int]:
    """POST a multipart body declared as 400 MB but send only its first MB; (status, bytes sent) of the
    answer that arrives while the rest is still owed (a server that reads the body first never answers)."""
    boundary = "nora-test-boundary"
    first = f'--{boundary}\r\nContent-Disposition: form-data; name="call"\r\n\r\n{call}\r\n' if call else ""
    head = (
        f'{first}--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.zip"\r\n'
        "Content-Type: application/zip\r\n\r\n"
    ).encode()
    declared = 400 * 1024 * 1024
    lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Length: {declared}"]
    lines += [f"Content-Type: multipart/form-data; boundary={boundary}"] + [f"{k}: {v}" for k, v in headers.items()]
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + head)
        sent = len(head)
        chunk = b"\0" * 65536
        sock.setblocking(False)
        answer = b""
        while sent < 1024 * 1024:
            try:
                sent += sock.send(chunk)
            except BlockingIOError:
                break  # the server stopped reading: its answer should be waiting
            except (BrokenPipeError, ConnectionResetError):
                break
        sock.settimeout(30)
        try:
            answer = sock.recv(4096)
        except TimeoutError:
            pytest.fail(f"no answer to {path} while the body was unsent: the server waits for the whole body")
    status = int(answer.split(b" ", 2)[1])
    return status, sent


def test_multipart_callers_are_refused_from_the_headers_alone(env: Env) -> None:
    # a 1000 MB upload limit, so the size check does not answer first
    app = create_app(env.settings.model_copy(update={"max_upload_mb": 1000}), frontend_dist=env.layout.home / "x")
    with _served(app) as port:
        cases = [
            ({}, 401),  # anonymous
            ({"Authorization": "Bearer nora_not-a-token"}, 401),
            ({"Authorization": f"Bearer {env.tokens['norights']}"}, 404),  # no right: the project is hidden
            ({"Authorization": f"Bearer {env.tokens['readonly']}"}, 403),  # no write right
        ]
        for path in (f"{P}/import", f"{P}/import/native", f"{P}/patients/PAT1/studies/20240101/files"):
            for headers, status in cases:
                got, sent = _answer_before_body(port, path, headers)
                assert got == status, (path, headers, got)
                assert sent <= 1024 * 1024 + 65536
        got, _ = _answer_before_body(port, f"/api/import?project={PROJECT}", {"Authorization": "Bearer nope"})
        assert got == 401
        # NORA's form with its token in `call`, sent before the file as NORA's clients do
        legacy = [
            ('{"cmd": "import", "user": "user", "token": "nora_wrong"}', 401),
            (f'{{"cmd": "import", "user": "admin", "token": "{env.tokens["user"]}"}}', 401),  # not admin's token
            (f'{{"cmd": "import", "user": "readonly", "token": "{env.tokens["readonly"]}"}}', 403),
            (f'{{"cmd": "import", "token": "{env.tokens["norights"]}", "project": "{PROJECT}"}}', 404),
        ]
        for call, status in legacy:
            got, _ = _answer_before_body(port, f"/api/import?project={PROJECT}", {}, call=call)
            assert got == status, (call, got)


# --- login throttling ----------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _throttle(env: Env, **kwargs: float) -> Clock:
    clock = Clock()
    env.app_client.app.state.nora.throttle = LoginThrottle(clock=clock, **kwargs)  # type: ignore[attr-defined]
    return clock


def test_wrong_passwords_lock_the_account_with_a_growing_delay(env: Env) -> None:
    clock = _throttle(env)
    client = _anonymous(env)
    wrong = {"username": "user", "password": "wrong-password"}
    statuses = [client.post("/api/auth/login", json=wrong).status_code for _ in range(5)]
    assert statuses == [401] * 5
    locked = client.post("/api/auth/login", json={"username": "user", "password": "user-password"})
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) >= 1, locked.text
    delays = [int(locked.headers["retry-after"])]
    for _ in range(4):
        clock.now += delays[-1]  # wait out the lock, then fail again
        assert client.post("/api/auth/login", json=wrong).status_code == 401
        r = client.post("/api/auth/login", json=wrong)
        assert r.status_code == 429
        delays.append(int(r.headers["retry-after"]))
    assert delays == [1, 2, 4, 8, 16]
    clock.now += delays[-1]
    assert client.post("/api/auth/login", json={"username": "user", "password": "user-password"}).status_code == 200
    with env.sessions() as s:  # type: ignore[attr-defined]
        locks = s.query(AuditEntry).filter(AuditEntry.action == "auth.throttle").all()
    assert locks and locks[0].target == "user" and locks[0].detail["scope"] == "account"


def test_one_address_failing_on_many_accounts_is_locked(env: Env) -> None:
    _throttle(env, address_limit=4)
    client = _anonymous(env)
    for name in ("a1", "a2", "a3", "a4"):
        assert client.post("/api/auth/login", json={"username": name, "password": "x" * 8}).status_code == 401
    r = client.post("/api/auth/login", json={"username": "user", "password": "user-password"})
    assert r.status_code == 429 and "retry-after" in r.headers


WRONG = {"username": "heavy", "password": "wrong-password"}


def _cpu_of_failed_logins(client: TestClient, n: int, status: int) -> float:
    start = time.process_time()
    for _ in range(n):
        assert client.post("/api/auth/login", json=WRONG).status_code == status
    return time.process_time() - start


def test_a_throttled_attempt_spends_no_password_verification(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    # the tests' cheap argon2 parameters would hide the cost: this user's hash has the real ones
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher())
    with env.sessions() as s:  # type: ignore[attr-defined]
        accounts.create_user(s, SYSTEM, "heavy", "heavy-password")
        s.commit()
    client = _anonymous(env)
    _throttle(env, free=1000)
    verified = _cpu_of_failed_logins(client, 4, 401)
    _throttle(env, free=1, max_lock_s=3600)
    assert client.post("/api/auth/login", json=WRONG).status_code == 401
    throttled = _cpu_of_failed_logins(client, 4, 429)
    # the same requests without the argon2 verification (~0.1 s of CPU each): a fraction of the CPU
    assert throttled < verified / 3, (throttled, verified)


def test_the_throttle_forgets_and_stays_bounded() -> None:
    clock = Clock()
    t = LoginThrottle(free=2, forget_s=100, max_entries=10, clock=clock)
    assert t.failed("u", "1.2.3.4") == []
    assert [lock.scope for lock in t.failed("u", "1.2.3.4")] == ["account"]
    assert t.wait("u", "1.2.3.4") == 1.0
    clock.now += 101
    assert t.wait("u", "1.2.3.4") == 0.0 and t.failed("u", "1.2.3.4") == []  # forgotten: a fresh run
    for k in range(50):
        t.failed(f"user{k}", f"10.0.0.{k}")
    assert len(t._accounts) <= 10 and len(t._addresses) <= 10


# --- sessions and tokens after a password change ---------------------------------------------------------


def _two_sessions_and_a_token(env: Env) -> tuple[TestClient, TestClient, str]:
    first = TestClient(env.app_client.app)
    second = TestClient(env.app_client.app)
    _login(first, "user")
    _login(second, "user")
    token = first.post("/api/auth/tokens", json={"name": "script"}).json()["token"]
    return first, second, token


def _works(env: Env, token: str) -> bool:
    client = TestClient(env.app_client.app)
    return client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_changing_ones_password_ends_the_other_sessions_and_the_tokens(env: Env) -> None:
    first, second, token = _two_sessions_and_a_token(env)
    body = {"current_password": "user-password", "new_password": "a-new-password"}
    r = first.post("/api/auth/password", json=body)
    assert r.status_code == 200 and r.json() == {"sessions_ended": 1, "tokens_revoked": 2}, r.text
    assert first.get("/api/auth/me").status_code == 200  # the caller's own session stays
    assert second.get("/api/auth/me").status_code == 401
    assert not _works(env, token)
    wrong = first.post("/api/auth/password", json={**body, "current_password": "not-it-at-all"})
    assert wrong.status_code == 403
    _login(TestClient(env.app_client.app), "user", "a-new-password")


def test_keep_tokens_keeps_the_api_tokens(env: Env) -> None:
    first, second, token = _two_sessions_and_a_token(env)
    body = {"current_password": "user-password", "new_password": "a-new-password", "keep_tokens": True}
    assert first.post("/api/auth/password", json=body).json()["tokens_revoked"] == 0
    assert second.get("/api/auth/me").status_code == 401
    assert _works(env, token)


def test_an_admin_setting_a_password_ends_all_the_users_sessions(env: Env) -> None:
    first, second, token = _two_sessions_and_a_token(env)
    r = env.client("admin").put("/api/admin/users/user/password", json={"password": "reset-password"})
    assert r.status_code == 200 and r.json()["sessions_ended"] == 2, r.text
    assert first.get("/api/auth/me").status_code == 401 and second.get("/api/auth/me").status_code == 401
    assert not _works(env, token)


# --- public projects -------------------------------------------------------------------------------------------


def test_only_a_system_admin_makes_a_project_public_and_it_is_audited(env: Env) -> None:
    public = {"settings": {"public": True}}
    r = env.client("projadmin").patch(P, json=public)
    assert r.status_code == 403 and "system admin" in r.json()["detail"], r.text
    assert _anonymous(env).get(P).status_code == 401  # still closed to anonymous readers
    assert env.client("projadmin").patch(P, json={"description": "other settings stay theirs"}).status_code == 200
    assert env.client("admin").patch(P, json=public).status_code == 200
    assert _anonymous(env).get(P).status_code == 200
    assert env.client("projadmin").patch(P, json={"settings": {"public": False}}).status_code == 200  # closing it
    audit = env.client("admin").get("/api/admin/audit", params={"project": PROJECT}).json()
    changes = [(e["username"], e["detail"]["public"]) for e in audit if e["action"] == "project.public"]
    assert changes == [("projadmin", False), ("admin", True)]


# --- file names ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["report\u202egpj.exe", "t1\u200b.nii", "t1\u0085.nii", "a\u2066b.nii", "\ufefft1.nii", "é" * 128 + ".nii"],
)
def test_uploads_with_invisible_or_too_long_names_are_refused(env: Env, name: str) -> None:
    r = env.client("user").post(f"{P}/patients/PAT1/studies/20240101/files", files={"file": (name, io.BytesIO(b"x"))})
    assert r.status_code == 400, r.text
    assert "U+" in r.json()["detail"] or "too long" in r.json()["detail"]
    assert str(env.layout.home) not in r.json()["detail"]


def test_projects_report_the_effective_download_right(env: Env) -> None:
    shown = {role: env.client(role).get(P).json()["download"] for role in ("readonly", "user", "projadmin", "admin")}
    assert shown == {"readonly": False, "user": True, "projadmin": True, "admin": True}  # admins implicitly
