"""Schemathesis against the app: every operation of the OpenAPI document on a small real project; any 5xx,
or an answer whose status, media type or body (formats included) the document does not declare, fails.

Bounded: a fixed number of generated requests per operation (``EXAMPLES``: valid ones, then invalid ones),
deterministic, so the run takes a fixed time (about a minute of CPU per run; Hypothesis' generation of
requests from the schemas costs more than the app answering them). Two runs, one per engine; the caller
alternates by operation between a system admin and a read-only user, the other way round on the other
engine, so every operation is sent as both roles and on both engines (the write paths of an admin, the
rights paths of a reader). Path parameters name the project's real rows most of the time (a dictionary),
so requests reach the services behind the 404 of an unknown project.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from nora.archive.models import File
from nora.archive.services import accounts
from tests.conftest import new_database_url
from tests.unit.api.conftest import PROJECT, Env, build_env

#: generated requests per operation and run: valid ones, invalid ones
EXAMPLES = {GenerationMode.POSITIVE: 4, GenerationMode.NEGATIVE: 2}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
#: the share of requests whose path parameters name the project's real rows
REAL = 0.6


def _config(file_id: int) -> SchemathesisConfig:
    def bind(name: str) -> dict[str, Any]:
        return {"dictionary": name, "probability": REAL}

    return SchemathesisConfig.from_dict(
        {
            "dictionaries": {
                "project": {"values": [PROJECT]},
                "pid": {"values": ["PAT1"]},
                "sid": {"values": ["20240101"]},
                "file": {"values": [file_id]},
            },
            "parameters": {
                "path.project": bind("project"),
                "query.project": bind("project"),
                "path.pid": bind("pid"),
                "path.sid": bind("sid"),
                "path.file_id": bind("file"),
            },
            "generation": {"deterministic": True},
        }
    )


#: the role of an operation's caller by the operation's index (even, odd) on each engine
ROLES = {"sqlite": ("admin", "readonly"), "postgres": ("readonly", "admin")}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(
    request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Env, str]]:
    """The app on a small real project (one per run: a run's writes stay in its own) and the engine's name."""
    env = build_env(new_database_url(request, request.param, tmp_path_factory), tmp_path / "home")
    with env.app_client:
        yield env, request.param


def _failures(operation: Any, mode: GenerationMode, call: Any) -> list[str]:
    """Send the generated requests of one operation; the failed checks, described."""
    found: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],  # no shrinking: each failing request is reported as it was sent
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        try:
            call(case)
        except AssertionError as exc:  # schemathesis' failed checks, with a curl line
            found.append(f"{operation.label} ({mode}): {exc}"[:3000])
        except Exception as exc:  # the in-process transport hands on what the app answered 500 for
            found.append(f"{operation.label} ({mode}): 500 {type(exc).__name__}: {exc}\n{case.as_curl_command()}")

    try:
        run()
    except Unsatisfiable:  # nothing in the operation can be invalid (no parameters, no body)
        assert mode == GenerationMode.NEGATIVE, operation.label
    return found


def test_every_operation_answers_as_declared(target: tuple[Env, str]) -> None:
    env, engine = target
    with env.sessions() as s:  # type: ignore[attr-defined]
        users = {role: accounts.get_user(s, role) for role in ROLES[engine]}
        file_id = s.scalars(select(File.id)).one()
    api = schemathesis.openapi.from_asgi("/api/openapi.json", env.app_client.app, config=_config(file_id))
    tokens: dict[str, str] = {}

    def caller(role: str) -> Callable[[Any], None]:
        def call(case: Any) -> None:
            if role not in tokens:
                with env.sessions() as s:  # type: ignore[attr-defined]
                    tokens[role] = accounts.create_token(s, s.merge(users[role]), "fuzz").secret
                    s.commit()
            try:
                case.call_and_validate(headers={"Authorization": f"Bearer {tokens[role]}"}, checks=CHECKS)
            finally:
                if case.path.startswith("/api/auth/") and case.method != "GET":
                    tokens.pop(role, None)  # the request may have revoked the caller's token or ended its session

        return call

    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) > 70
    calls = [caller(ROLES[engine][i % 2]) for i in range(len(operations))]
    failures = [f for op, call in zip(operations, calls) for mode in EXAMPLES for f in _failures(op, mode, call)]
    assert not failures, f"{len(failures)} failing requests:\n\n" + "\n\n".join(failures)
