"""A project with two studies of real NIfTI images, processing settings, and the executors under test.

``any_executor`` runs a test on every executor (like pydra's ``any_worker``): ``local``, and ``slurm`` on a
real single-node Slurm started once for the session (``slurm_cluster`` of tests/conftest.py).
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from nibabel.testing import data_path
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from nora.archive.db import make_engine, make_sessionmaker
from nora.archive.services import accounts, nodes, projects, rights
from nora.archive.services.access import SYSTEM, Access, Actor, project_access
from nora.archive.services.files import Upload, store_uploads
from nora.archive.services.setup import init_database
from nora.archive.storage import Layout
from nora.core.ids import Psid
from nora.core.settings import QueueSpec, Settings
from nora.processing.engine import Engine
from nora.processing.models import Batch, Job
from nora.processing.service import LaunchRequest, launch

PROJECT = "PROC"
NIFTI = (Path(data_path) / "anatomical.nii").read_bytes()


@dataclass
class World:
    config: Settings
    sessions: sessionmaker[Session]
    layout: Layout
    home: Path
    user: Actor

    def access(self, s: Session, actor: Actor | None = None) -> Access:
        return project_access(s, actor or self.user, PROJECT)

    def launch(self, batch: dict[str, object], rows: list[str] | None = None, **kw: object) -> int:
        with self.sessions() as s:
            row = launch(
                s,
                self.access(s),
                self.layout,
                self.config.processing,
                LaunchRequest(batch=batch, rows=[Psid.parse(r) for r in rows or ["S01#MR1", "S02#MR1"]], **kw),  # type: ignore[arg-type]
            )
            s.commit()
            return row.id

    def engine(self, batches: list[int] | None = None) -> Engine:
        return Engine(self.sessions, self.config, batches)

    def jobs(self, batch_id: int) -> list[Job]:
        with self.sessions() as s:
            return list(s.scalars(select(Job).where(Job.batch_id == batch_id).order_by(Job.chain, Job.step)))

    def run(self, batch_id: int, timeout: float = 60, engine: Engine | None = None) -> list[Job]:
        engine = engine or self.engine([batch_id])
        deadline = time.time() + timeout
        while time.time() < deadline:
            report = engine.tick()
            if report.active == 0 and report.queued == 0:
                return self.jobs(batch_id)
            time.sleep(0.1)
        raise AssertionError(
            f"batch {batch_id} did not finish: {[(j.id, j.phase, j.message) for j in self.jobs(batch_id)]}"
        )

    def wait_phase(self, job_id: int, phases: tuple[str, ...], engine: Engine, timeout: float = 30) -> Job:
        deadline = time.time() + timeout
        while time.time() < deadline:
            engine.tick()
            with self.sessions() as s:
                job = s.get(Job, job_id)
                assert job is not None
                if job.phase in phases:
                    return job
            time.sleep(0.1)
        raise AssertionError(f"job {job_id} never reached {phases}")


def build_world(db_url: str, home: Path, executor: str = "local") -> World:
    layout = Layout(home)
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    with factory() as s:
        init_database(engine, layout, s, "admin", "admin-password")
        projects.create_project(s, SYSTEM, layout, PROJECT)
        user = accounts.create_user(s, SYSTEM, "researcher", "researcher-password")
        rights.grant(s, SYSTEM, "researcher", PROJECT, rights.RightSpec(batchtool=True))
        access = project_access(s, SYSTEM, PROJECT)
        for pid in ("S01", "S02"):
            patient = nodes.create_patient(s, access, layout, pid)
            study = nodes.create_study(s, access, layout, patient, "MR1")
            store_uploads(s, access, layout, patient, study, [Upload("t1_mprage/s001.nii", io.BytesIO(NIFTI))])
        s.commit()
        actor = Actor.of(user)
    config = Settings(
        home=home,
        database_url=db_url,
        executor=executor,
        local_workers=2,
        poll_interval_s=0.2,
        job_timeout_s=120,
        queues={
            "normal": QueueSpec(),
            "fast": QueueSpec(partition="fast", params="--cpus-per-task 1"),
            "gpu": QueueSpec(restricted=True),
        },
    )
    return World(config, factory, layout, home, actor)


@pytest.fixture(params=["local", "slurm"])
def any_executor(request: pytest.FixtureRequest) -> str:
    if request.param == "slurm":
        request.getfixturevalue("slurm_cluster")
    return str(request.param)


@pytest.fixture
def world(any_executor: str, tmp_path: Path) -> World:
    return build_world(f"sqlite:///{tmp_path / 'nora.sqlite'}", tmp_path / "home", any_executor)


@pytest.fixture
def local_world(db_url: str, tmp_path: Path) -> World:
    """The local executor on SQLite and on PostgreSQL."""
    return build_world(db_url, tmp_path / "home", "local")


__all__ = ["PROJECT", "Batch", "World", "build_world"]
