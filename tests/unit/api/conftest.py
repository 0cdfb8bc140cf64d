"""An app on a fresh database (SQLite and PostgreSQL) with one caller per role."""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from nibabel.testing import data_path

from nora.api.app import bind, build_routes
from nora.archive.db import make_engine, make_sessionmaker
from nora.archive.services import accounts, nodes, projects, rights
from nora.archive.services.access import SYSTEM, project_access
from nora.archive.services.files import Upload, store_uploads
from nora.archive.services.setup import init_database
from nora.archive.storage import Layout
from nora.core.settings import Settings

ROLES = ("anonymous", "norights", "readonly", "user", "projadmin", "admin")
PROJECT = "P1"


@dataclass
class Env:
    settings: Settings
    app_client: TestClient
    tokens: dict[str, str]
    layout: Layout
    sessions: object

    def client(self, role: str) -> TestClient:
        """The shared client with this role's bearer token (no cookies)."""
        self.app_client.cookies.clear()
        if role == "anonymous":
            self.app_client.headers.pop("authorization", None)
        else:
            self.app_client.headers["authorization"] = f"Bearer {self.tokens[role]}"
        return self.app_client


def build_env(db_url: str, home: Path) -> Env:
    settings = Settings(home=home, database_url=db_url, max_upload_mb=5)
    layout = Layout(home)
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    tokens: dict[str, str] = {}
    with factory() as s:
        init_database(engine, layout, s, "admin", "admin-password")
        projects.create_project(s, SYSTEM, layout, PROJECT, "test project")
        projects.create_project(s, SYSTEM, layout, "OTHER", "a project nobody but admins sees")
        for role in ROLES[1:]:
            user = (
                accounts.get_user(s, role)
                if role == "admin"
                else accounts.create_user(s, SYSTEM, role, f"{role}-password")
            )
            tokens[role] = accounts.create_token(s, user, "test").secret
        rights.grant(s, SYSTEM, "readonly", PROJECT, rights.RightSpec(readonly=True))
        rights.grant(s, SYSTEM, "user", PROJECT, rights.RightSpec(download=True))
        rights.grant(s, SYSTEM, "projadmin", PROJECT, rights.RightSpec(role="admin"))
        access = project_access(s, SYSTEM, PROJECT)
        patient = nodes.create_patient(s, access, layout, "PAT1", name="Doe^Jane", birth_date="1980-02-03")
        study = nodes.create_study(s, access, layout, patient, "20240101", description="baseline MR", modality="MR")
        raw = (Path(data_path) / "anatomical.nii").read_bytes()
        store_uploads(s, access, layout, patient, study, [Upload("t1_mprage/s002.nii", io.BytesIO(raw))])
        s.commit()
    app = _routes()
    bind(app, settings)
    return Env(settings, TestClient(app), tokens, layout, factory)


@functools.cache
def _routes() -> FastAPI:
    """One app's routes for every test of the process, bound to each test's settings by ``build_env`` (the
    tests run one at a time; a test that needs a second app at once calls ``create_app``)."""
    return build_routes(frontend_dist=Path("/nonexistent/no-frontend"))


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[Env]:
    e = build_env(db_url, tmp_path / "home")
    with e.app_client:
        yield e
