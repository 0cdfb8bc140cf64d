"""Fixtures for the DICOM node and PACS tests: a real Orthanc, real DICOM from pydicom's test files, and a
data root with projects on SQLite and PostgreSQL.

Sample files (pydicom's bundled test files and the pydicom-data package, written by others):
``CT_small.dcm`` (CT, explicit VR), ``MR_small.dcm`` (MR), ``JPEG2000.dcm`` (NM, JPEG 2000),
``MR2_J2KR.dcm`` (MR, JPEG 2000 lossless). :func:`ct_series` derives a multi-slice series from
``CT_small.dcm`` with fresh UIDs and slice positions, for transfers of many instances.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.support.orthanc import TempOrthanc, orthanc_binary
from tests.support.pgcluster import free_port

from nora.archive.db import make_engine, make_sessionmaker
from nora.archive.services import projects
from nora.archive.services.access import SYSTEM
from nora.archive.services.setup import init_database
from nora.archive.storage import Layout
from nora.core.settings import Settings

SAMPLES = ("CT_small.dcm", "MR_small.dcm", "JPEG2000.dcm", "MR2_J2KR.dcm")
MOVE_AE = "NORA_MOVE"


def sample(name: str) -> Path:
    found = get_testdata_file(name, download=False)
    assert found, f"pydicom test file {name} missing"
    return Path(str(found))


def ct_series(
    folder: Path, n: int, patient: str = "Doe^John", pid: str = "PID-DOE", date: str = "20230405"
) -> list[Path]:
    """``n`` slices of one new CT series (one new study) derived from pydicom's CT_small.dcm."""
    base = pydicom.dcmread(sample("CT_small.dcm"))
    study, series = generate_uid(), generate_uid()
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        ds = copy.deepcopy(base)
        ds.PatientName, ds.PatientID, ds.StudyDate, ds.SeriesDate = patient, pid, date, date
        ds.StudyDescription, ds.SeriesDescription = "HEAD", "t1_axial"
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.InstanceNumber = i + 1
        ds.ImagePositionPatient = [-158.0, -179.0, -75.0 + 5.0 * i]
        ds.SliceLocation = -75.0 + 5.0 * i
        path = folder / f"slice{i:04d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


@pytest.fixture(scope="session")
def move_port() -> int:
    """The port of our move node, known to Orthanc as MOVE_AE."""
    return free_port()


@pytest.fixture(scope="session")
def orthanc(move_port: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TempOrthanc]:
    """An Orthanc holding the pydicom samples and a 12-slice 'Doe^John' series; knows NORA and NORA_MOVE."""
    if orthanc_binary() is None:
        pytest.fail("Orthanc is not installed (Debian package 'orthanc'; scripts/setup.sh --test installs it)")
    server = TempOrthanc({"nora": ("NORA", free_port()), "noramove": (MOVE_AE, move_port)})
    server.start()
    try:
        for name in SAMPLES:
            server.upload(sample(name))
        for path in ct_series(tmp_path_factory.mktemp("doe"), 12):
            server.upload(path)
        yield server
    finally:
        server.stop()


@dataclass
class Home:
    """A data root with projects P1 and P2 on one database."""

    settings: Settings
    sessions: sessionmaker[Session]
    layout: Layout

    def instances(self, project: str) -> int:
        """Imported DICOM instances of a project (one row per SOP instance)."""
        from nora.archive.models import Project
        from nora.importing.models import ImportedInstance

        with self.sessions() as s:
            pid = s.scalar(select(Project.id).where(Project.name == project))
            return int(s.scalar(select(func.count()).where(ImportedInstance.project_id == pid)) or 0)

    def studies(self, project: str) -> list[str]:
        from nora.archive.models import Project, Study

        with self.sessions() as s:
            rows = s.scalars(select(Study.study_uid).join(Project).where(Project.name == project))
            return sorted(rows)


@pytest.fixture
def home(db_url: str, tmp_path: Path) -> Iterator[Home]:
    root = tmp_path / "home"
    settings = Settings(home=root, database_url=db_url)
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    layout = Layout(root)
    with factory() as s:
        init_database(engine, layout, s, "admin", "admin-password")
        projects.create_project(s, SYSTEM, layout, "P1", "node tests")
        projects.create_project(s, SYSTEM, layout, "P2", "routed by AE title")
        s.commit()
    yield Home(settings, factory, layout)
    engine.dispose()
