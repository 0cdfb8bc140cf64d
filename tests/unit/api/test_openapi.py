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
