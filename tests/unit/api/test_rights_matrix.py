"""Every API route for every kind of caller: anonymous, no rights, read-only, user, project admin, admin."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from nibabel.testing import data_path

from tests.unit.api.conftest import PROJECT, ROLES, Env

NIFTI = (Path(data_path) / "anatomical.nii").read_bytes()
A, N, R, U, PA, AD = ROLES  # anonymous, norights, readonly, user, projadmin, admin


def expect(anon: int, norights: int, readonly: int, user: int, projadmin: int, admin: int) -> dict[str, int]:
    return dict(zip(ROLES, (anon, norights, readonly, user, projadmin, admin), strict=True))


READ = expect(401, 404, 200, 200, 200, 200)
WRITE = expect(401, 404, 403, 200, 200, 200)
CREATE = expect(401, 404, 403, 201, 201, 201)
DELETE = expect(401, 404, 403, 204, 204, 204)
PADMIN = expect(401, 404, 403, 403, 200, 200)
SYSADMIN = expect(401, 403, 403, 403, 403, 200)
ANYUSER = expect(401, 200, 200, 200, 200, 200)


@dataclass
class Case:
    method: str
    route: str  # the route's path template, to check coverage
    url: Callable[[Env, str], str]
    statuses: dict[str, int]
    kwargs: Callable[[Env, str], dict[str, Any]] = field(default=lambda e, r: {})


def check_rights(
    env: Env,
    case: Case,
    status: Callable[[str], int] | None = None,
    prepare: Callable[[Any], None] | None = None,
) -> None:
    """Call the case's route as every role: each answer has the case's status for the role (or
    ``status(role)``), and every error says why. ``prepare`` adjusts the role's client first."""
    for role in ROLES:
        url = case.url(env, role)
        kwargs = case.kwargs(env, role)  # may call the API as admin, so before choosing the role's client
        client = env.client(role)
        if prepare is not None:
            prepare(client)
        response = client.request(case.method, url, **kwargs)
        expected = case.statuses[role] if status is None else status(role)
        assert response.status_code == expected, (role, case.method, url, response.text)
        if response.status_code >= 400:
            assert response.json()["detail"], "an error must say why"


P = f"/api/projects/{PROJECT}"


def _file_id(env: Env) -> int:
    c = env.client("admin")
    return int(c.get(f"{P}/patients/PAT1/studies/20240101/files").json()[0]["id"])


def _fresh_study(env: Env, role: str) -> str:
    c = env.client("admin")
    c.post(f"{P}/patients", json={"pid": f"DEL-{role}"})
    c.post(f"{P}/patients/DEL-{role}/studies", json={"sid": "S1"})
    return f"DEL-{role}"


def _fresh_file(env: Env, role: str) -> int:
    c = env.client("admin")
    r = c.post(f"{P}/patients/PAT1/studies/20240101/files", files={"file": (f"del-{role}.nii", NIFTI)})
    assert r.status_code == 201, r.text
    return int(r.json()[0]["id"])


def _fresh_token(env: Env, role: str) -> int:
    if role == "anonymous":
        return 1
    return int(env.client(role).post("/api/auth/tokens", json={"name": "x"}).json()["id"])


CASES = [
    Case("GET", "/api/health", lambda e, r: "/api/health", expect(200, 200, 200, 200, 200, 200)),
    Case("GET", "/api/auth/me", lambda e, r: "/api/auth/me", ANYUSER),
    Case(
        "POST",
        "/api/auth/login",
        lambda e, r: "/api/auth/login",
        expect(401, 401, 401, 401, 401, 401),
        lambda e, r: {"json": {"username": r, "password": "wrong-password"}},
    ),
    Case("POST", "/api/auth/logout", lambda e, r: "/api/auth/logout", expect(204, 204, 204, 204, 204, 204)),
    Case("GET", "/api/auth/tokens", lambda e, r: "/api/auth/tokens", ANYUSER),
    Case(
        "POST",
        "/api/auth/tokens",
        lambda e, r: "/api/auth/tokens",
        expect(401, 201, 201, 201, 201, 201),
        lambda e, r: {"json": {"name": "matrix"}},
    ),
    Case(
        "DELETE",
        "/api/auth/tokens/{token_id}",
        lambda e, r: f"/api/auth/tokens/{_fresh_token(e, r)}",
        expect(401, 204, 204, 204, 204, 204),
    ),
    # anonymous callers get the (here empty) list of public projects
    Case("GET", "/api/projects", lambda e, r: "/api/projects", expect(200, 200, 200, 200, 200, 200)),
    Case(
        "POST",
        "/api/projects",
        lambda e, r: "/api/projects",
        expect(401, 403, 403, 403, 403, 201),
        lambda e, r: {"json": {"name": f"NEW{r}"}},
    ),
    Case("GET", "/api/projects/{project}", lambda e, r: P, READ),
    Case("PATCH", "/api/projects/{project}", lambda e, r: P, PADMIN, lambda e, r: {"json": {"description": "d"}}),
    Case("GET", "/api/projects/{project}/rights", lambda e, r: f"{P}/rights", expect(401, 404, 403, 403, 200, 200)),
    Case(
        "PUT",
        "/api/projects/{project}/rights/{username}",
        lambda e, r: f"{P}/rights/norights",
        PADMIN,
        lambda e, r: {"json": {"role": "user", "readonly": True}},
    ),
    Case(
        "DELETE",
        "/api/projects/{project}/rights/{username}",
        lambda e, r: f"{P}/rights/readonly",
        expect(401, 404, 403, 403, 204, 404),
    ),  # the admin runs after projadmin removed it
    Case("GET", "/api/projects/{project}/studies", lambda e, r: f"{P}/studies", READ),
    Case("GET", "/api/projects/{project}/patients", lambda e, r: f"{P}/patients", READ),
    Case(
        "POST",
        "/api/projects/{project}/patients",
        lambda e, r: f"{P}/patients",
        CREATE,
        lambda e, r: {"json": {"pid": f"NEW-{r}"}},
    ),
    Case(
        "POST",
        "/api/projects/{project}/patients/{pid}/studies",
        lambda e, r: f"{P}/patients/PAT1/studies",
        CREATE,
        lambda e, r: {"json": {"sid": f"S-{r}"}},
    ),
    Case("DELETE", "/api/projects/{project}/patients/{pid}", lambda e, r: f"{P}/patients/{_fresh_study(e, r)}", DELETE),
    Case(
        "DELETE",
        "/api/projects/{project}/patients/{pid}/studies/{sid}",
        lambda e, r: f"{P}/patients/{_fresh_study(e, r)}/studies/S1",
        DELETE,
    ),
    Case("GET", "/api/projects/{project}/patients/{pid}/meta", lambda e, r: f"{P}/patients/PAT1/meta", READ),
    Case(
        "PUT",
        "/api/projects/{project}/patients/{pid}/meta",
        lambda e, r: f"{P}/patients/PAT1/meta",
        WRITE,
        lambda e, r: {"json": {"by": r}},
    ),
    Case(
        "GET",
        "/api/projects/{project}/patients/{pid}/studies/{sid}/meta",
        lambda e, r: f"{P}/patients/PAT1/studies/20240101/meta",
        READ,
    ),
    Case(
        "PUT",
        "/api/projects/{project}/patients/{pid}/studies/{sid}/meta",
        lambda e, r: f"{P}/patients/PAT1/studies/20240101/meta",
        WRITE,
        lambda e, r: {"json": {"by": r}},
    ),
    Case(
        "GET",
        "/api/projects/{project}/patients/{pid}/studies/{sid}/files",
        lambda e, r: f"{P}/patients/PAT1/studies/20240101/files",
        READ,
    ),
    Case("GET", "/api/projects/{project}/patients/{pid}/files", lambda e, r: f"{P}/patients/PAT1/files", READ),
    Case("GET", "/api/projects/{project}/files", lambda e, r: f"{P}/files?select=*&pattern=t1*", READ),
    Case(
        "POST",
        "/api/projects/{project}/patients/{pid}/studies/{sid}/files",
        lambda e, r: f"{P}/patients/PAT1/studies/20240101/files",
        CREATE,
        lambda e, r: {"files": {"file": (f"up-{r}.nii", NIFTI)}},
    ),
    Case(
        "POST",
        "/api/projects/{project}/patients/{pid}/files",
        lambda e, r: f"{P}/patients/PAT1/files",
        CREATE,
        lambda e, r: {"files": {"file": (f"pat-{r}.nii", NIFTI)}},
    ),
    Case(
        "GET", "/api/projects/{project}/files/{file_id}/content", lambda e, r: f"{P}/files/{_file_id(e)}/content", READ
    ),
    Case("DELETE", "/api/projects/{project}/files/{file_id}", lambda e, r: f"{P}/files/{_fresh_file(e, r)}", DELETE),
    Case(
        "POST",
        "/api/projects/{project}/patients/{pid}/tags",
        lambda e, r: f"{P}/patients/PAT1/tags",
        WRITE,
        lambda e, r: {"json": {"add": [f"t-{r}"]}},
    ),
    Case(
        "POST",
        "/api/projects/{project}/patients/{pid}/studies/{sid}/tags",
        lambda e, r: f"{P}/patients/PAT1/studies/20240101/tags",
        WRITE,
        lambda e, r: {"json": {"add": [f"t-{r}"]}},
    ),
    Case(
        "POST",
        "/api/projects/{project}/files/{file_id}/tags",
        lambda e, r: f"{P}/files/{_file_id(e)}/tags",
        WRITE,
        lambda e, r: {"json": {"add": [f"t-{r}"]}},
    ),
    Case("GET", "/api/projects/{project}/tags", lambda e, r: f"{P}/tags", READ),
    Case("GET", "/api/admin/users", lambda e, r: "/api/admin/users", SYSADMIN),
    Case(
        "POST",
        "/api/admin/users",
        lambda e, r: "/api/admin/users",
        expect(401, 403, 403, 403, 403, 201),
        lambda e, r: {"json": {"username": f"new-{r}", "password": "long-enough-pw"}},
    ),
    Case(
        "DELETE",
        "/api/admin/users/{username}",
        lambda e, r: "/api/admin/users/norights",
        expect(401, 403, 403, 403, 403, 204),
    ),
    Case(
        "GET",
        "/api/admin/users/{username}/rights",
        lambda e, r: "/api/admin/users/user/rights",
        expect(401, 403, 403, 200, 403, 200),
    ),
    Case(
        "PUT",
        "/api/admin/users/{username}/rights/{scope}",
        lambda e, r: "/api/admin/users/user/rights/PACS_node1",
        SYSADMIN,
        lambda e, r: {"json": {}},
    ),
    Case(
        "DELETE",
        "/api/admin/users/{username}/rights/{scope}",
        lambda e, r: "/api/admin/users/user/rights/QUEUE_q",
        expect(401, 403, 403, 403, 403, 404),
    ),
    Case("GET", "/api/admin/audit", lambda e, r: "/api/admin/audit", SYSADMIN),
]


def all_cases() -> list[Case]:
    """This module's cases plus ``CASES`` of every other ``test_rights_*.py`` module (one per feature)."""
    import importlib

    cases = list(CASES)
    for path in sorted(Path(__file__).parent.glob("test_rights_*.py")):
        if path.stem != "test_rights_matrix":
            cases += importlib.import_module(f"tests.unit.api.{path.stem}").CASES
    return cases


def test_every_api_route_is_in_the_matrix(env: Env) -> None:
    # every operation of the app's own OpenAPI document: FastAPI keeps included routers as one entry of
    # ``app.routes`` each, so walking ``app.routes`` found a single route and checked nothing
    document = env.app_client.app.openapi()  # type: ignore[attr-defined]
    routes = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        if path.startswith("/api")
        for method in item
        if method in ("get", "put", "post", "patch", "delete")
    }
    assert len(routes) > 100, "the document lists the API's operations"
    covered = {(c.method, c.route) for c in all_cases()}
    assert routes - covered == set(), "routes without a rights test"
    assert covered - routes == set(), "rights cases of routes that no longer exist"


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.route}")
def test_rights(env: Env, case: Case) -> None:
    check_rights(env, case)
