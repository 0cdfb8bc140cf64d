"""Integers from outside (ids, offsets, limits) are bounded (to 2**31 - 1, what a 64-bit column and a
JSON number in every client hold exactly): 2**63 is a 4xx.

Before, 2**63 as a file id, job id, token id, offset or limit overflowed inside SQLite's or PostgreSQL's
driver and answered 500 on 18 routes.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.unit.api.conftest import PROJECT, Env

BIG = 2**63
SAMPLE = {"project": PROJECT, "pid": "PAT1", "sid": "20240101"}


def _integer(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "integer" or any(s.get("type") == "integer" for s in schema.get("anyOf", []))


def _unbounded(node: Any, spec: dict[str, Any], where: str, seen: set[str]) -> list[str]:
    """Places in a request schema where an integer has no maximum (or one beyond 64 bits)."""
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _unbounded(v, spec, f"{where}[{i}]", seen)]
    if not isinstance(node, dict):
        return []
    ref = node.get("$ref")
    if isinstance(ref, str):
        if ref in seen:
            return []
        target: Any = spec
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        return _unbounded(target, spec, ref, seen | {ref})
    found = []
    if node.get("type") == "integer":
        top = min(node.get("maximum", 2 * BIG), node.get("exclusiveMaximum", 2 * BIG))
        bottom = max(node.get("minimum", -2 * BIG), node.get("exclusiveMinimum", -2 * BIG))
        if top > BIG or bottom < -BIG:
            found.append(where)
    return found + [p for k, v in node.items() for p in _unbounded(v, spec, f"{where}/{k}", seen)]


def test_every_integer_the_api_accepts_is_bounded(env: Env) -> None:
    spec = env.client("admin").get("/api/openapi.json").json()
    problems = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            inputs = {"parameters": op.get("parameters", []), "body": op.get("requestBody", {})}
            problems += [f"{method.upper()} {path}: {p}" for p in _unbounded(inputs, spec, "", set())]
    assert problems == []


def _probes(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, int]]]:
    """(method, url, query) with 2**63 in one integer parameter of each operation."""
    out = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            params = op.get("parameters", [])
            for param in (p for p in params if _integer(p["schema"])):
                url = path
                for p in (p for p in params if p["in"] == "path"):
                    url = url.replace(f"{{{p['name']}}}", str(BIG) if p is param else SAMPLE.get(p["name"], "1"))
                out.append((method.upper(), url, {param["name"]: BIG} if param["in"] == "query" else {}))
    return out


def test_two_to_the_63_is_a_client_error_everywhere(env: Env) -> None:
    client = TestClient(env.app_client.app, raise_server_exceptions=False)
    client.headers["authorization"] = f"Bearer {env.tokens['admin']}"
    probes = _probes(client.get("/api/openapi.json").json())
    assert len(probes) >= 18
    answers = {(m, u): client.request(m, u, params=q, json={} if m != "GET" else None) for m, u, q in probes}
    assert {k: r.status_code for k, r in answers.items() if not 400 <= r.status_code < 500} == {}
    body = client.post(f"/api/projects/{PROJECT}/jobs/kill", json={"ids": [BIG]})
    assert body.status_code == 422 and "ids.0" in body.json()["detail"], body.text
