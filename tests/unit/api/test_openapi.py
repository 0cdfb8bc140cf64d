"""The frontend's API types are generated from the live OpenAPI document and must not drift from it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_generated_frontend_types_are_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "openapi.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_openapi_document_is_served(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from nora.api.app import create_app
    from nora.core.settings import Settings

    app = create_app(Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path}/x.sqlite"))
    client = TestClient(app)
    doc = client.get("/api/openapi.json").json()
    assert "/api/projects/{project}/studies" in doc["paths"]
    assert client.get("/api/docs").status_code == 200


def _document(tmp_path: Path) -> dict[str, object]:
    from nora.api.app import create_app
    from nora.core.settings import Settings

    return create_app(Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path}/x.sqlite")).openapi()


def test_every_operation_declares_the_error_answers_with_the_one_error_body(tmp_path: Path) -> None:
    doc = _document(tmp_path)
    shared = doc["components"]["responses"]  # type: ignore[index]
    for name, answer in shared.items():
        assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}, name
    assert "HTTPValidationError" not in doc["components"]["schemas"]  # type: ignore[index]
    for path, operations in doc["paths"].items():  # type: ignore[attr-defined]
        for method, operation in operations.items():
            declared = operation["responses"]
            for status in ("400", "401", "403", "404", "409", "413", "422", "500", "502"):
                ref = declared[status]["$ref"]
                assert ref.rsplit("/", 1)[-1] in shared, (method, path, status)


def test_times_carry_their_offset_and_the_422_body_is_the_error_body(env) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    client = env.client("user")
    token = client.get("/api/auth/tokens").json()[0]
    created = token["created_at"]
    assert created.endswith("Z"), created
    assert dt.datetime.fromisoformat(created).utcoffset() == dt.timedelta(0)
    answer = client.post("/api/auth/tokens", json={"name": "x", "expires_days": -1})
    assert answer.status_code == 422
    assert set(answer.json()) == {"detail"}
    assert answer.json()["detail"].startswith("invalid request: ")


def test_a_time_from_the_database_is_declared_and_sent_as_utc() -> None:
    import datetime as dt

    from nora.api.schemas import TokenOut

    naive = dt.datetime(2026, 12, 1, 22, 35)  # how SQLite and the naive PostgreSQL column give it back
    out = TokenOut(id=1, name="n", prefix="p", created_at=naive, expires_at=None, revoked_at=None, last_used_at=None)
    assert out.model_dump_json().count('"2026-12-01T22:35:00Z"') == 1
    assert TokenOut.model_json_schema(mode="serialization")["properties"]["created_at"]["format"] == "date-time"
