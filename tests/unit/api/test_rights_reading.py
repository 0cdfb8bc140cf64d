"""Rights matrix of the reading routes: readings, a reader's cases, answers, visits, results and export."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.api.conftest import Env
from tests.unit.api.test_rights_matrix import CREATE, DELETE, READ, Case, check_rights, expect

P = "/api/projects/P1"
T = "/api/projects/{project}"
R = f"{P}/readings/R1"
SERIOUS = f"{R}/stages/serious"
CASE = {"pid": "PAT1", "sid": "20240101"}
DEFINITION: dict[str, Any] = {
    "general": {"title": "matrix"},
    "form": {"items": [{"type": "radio", "name": "q", "options": [{"value": "a"}, {"value": "b"}]}]},
    "reading": {"reading": {"mode_serious": {}, "allowRestartOfSerious": True}},
}
ADMINS = expect(401, 404, 403, 403, 200, 200)


def reading(env: Env, name: str = "R1") -> str:
    c = env.client("admin")
    if c.get(f"{P}/readings/{name}").status_code != 200:
        r = c.post(f"{P}/readings", json={"name": name, "definition": DEFINITION})
        assert r.status_code == 201, r.text
    return f"{P}/readings/{name}"


def _visit(env: Env, role: str) -> str:
    reading(env)
    who = role if role in ("user", "projadmin", "admin") else "admin"
    r = env.client(who).post(f"{SERIOUS}/visits", json=CASE)
    assert r.status_code == 201, r.text
    return f"{R}/visits/{r.json()['id']}"


CASES = [
    Case("GET", f"{T}/readings", lambda e, r: f"{P}/readings", READ),
    Case(
        "POST",
        f"{T}/readings",
        lambda e, r: f"{P}/readings",
        expect(401, 404, 403, 403, 201, 201),
        lambda e, r: {"json": {"name": f"new-{r}", "definition": DEFINITION}},
    ),
    Case(
        "POST",
        f"{T}/reading-definition/check",
        lambda e, r: f"{P}/reading-definition/check",
        READ,
        lambda e, r: {"json": {"definition": DEFINITION}},
    ),
    Case("GET", f"{T}/readings/{{name}}", lambda e, r: reading(e), READ),
    Case(
        "PUT",
        f"{T}/readings/{{name}}",
        lambda e, r: reading(e),
        ADMINS,
        lambda e, r: {"json": {"definition": DEFINITION}},
    ),
    Case("DELETE", f"{T}/readings/{{name}}", lambda e, r: reading(e, f"del-{r}"), expect(401, 404, 403, 403, 204, 204)),
    Case("GET", f"{T}/readings/{{name}}/stages/{{stage}}", lambda e, r: reading(e) + "/stages/serious", READ),
    Case(
        "GET",
        f"{T}/readings/{{name}}/stages/{{stage}}/answers",
        lambda e, r: reading(e) + "/stages/serious/answers",
        READ,
        lambda e, r: {"params": CASE},
    ),
    Case(
        "POST",
        f"{T}/readings/{{name}}/stages/{{stage}}/answers",
        lambda e, r: reading(e) + "/stages/serious/answers",
        CREATE,
        lambda e, r: {"json": {**CASE, "answers": {"q": "a"}}},
    ),
    Case(
        "POST",
        f"{T}/readings/{{name}}/stages/{{stage}}/visits",
        lambda e, r: reading(e) + "/stages/serious/visits",
        CREATE,
        lambda e, r: {"json": CASE},
    ),
    Case(
        "PATCH",
        f"{T}/readings/{{name}}/visits/{{visit_id}}",
        _visit,
        expect(401, 404, 403, 200, 200, 200),
        lambda e, r: {"json": {"active_ms": 1000}},
    ),
    Case(
        "DELETE",
        f"{T}/readings/{{name}}/stages/{{stage}}/results",
        lambda e, r: reading(e) + "/stages/serious/results",
        DELETE,
    ),
    Case("GET", f"{T}/readings/{{name}}/results", lambda e, r: reading(e) + "/results", READ),
    Case("GET", f"{T}/readings/{{name}}/results.csv", lambda e, r: reading(e) + "/results.csv", READ),
    Case(
        "POST",
        f"{T}/readings/{{name}}/analysis",
        lambda e, r: reading(e) + "/analysis",
        ADMINS,
        lambda e, r: {"json": {"covariance": "delong"}},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.route}")
def test_rights(env: Env, case: Case) -> None:
    check_rights(env, case)
