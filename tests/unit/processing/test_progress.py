"""A running job's progress reaches its row and the live stamp, on the local executor and on a real Slurm:
the job writes ``$NORA_JOB_DIR/progress.json``, the engine's rounds read it into ``progress`` / ``message``,
and the project's stamp changes in its ``monitor`` part only (the job monitor refetches, the table does not)."""

from __future__ import annotations

import time
from pathlib import Path

from nora.archive.events import stamp
from nora.archive.models import Project
from nora.processing.engine import Engine
from nora.processing.models import Job
from tests.unit.processing.conftest import PROJECT, World

SCRIPT = """
until [ -e "$NORA_JOB_DIR/go1" ]; do sleep 0.05; done
echo '{"fraction": 0.5, "message": "half way"}' > "$NORA_JOB_DIR/progress.json.tmp"
mv "$NORA_JOB_DIR/progress.json.tmp" "$NORA_JOB_DIR/progress.json"
until [ -e "$NORA_JOB_DIR/go2" ]; do sleep 0.05; done
"""


def _stamp(world: World) -> object:
    with world.sessions() as s:
        project = s.query(Project).filter_by(name=PROJECT).one()
        return stamp(s, project.id, PROJECT)


def _until(world: World, engine: Engine, job_id: int, ok: object, what: str, timeout: float = 90) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        engine.tick()
        with world.sessions() as s:
            job = s.get(Job, job_id)
            assert job is not None
            if ok(job):  # type: ignore[operator]
                return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never {what}")


def test_a_running_jobs_progress_file_reaches_its_row_and_the_monitor(world: World) -> None:
    batch = world.launch({"jobs": [{"job": "bash", "script": SCRIPT}]}, rows=["S01#MR1"])
    engine = world.engine([batch])
    (job,) = world.jobs(batch)
    running = _until(world, engine, job.id, lambda j: j.phase == "running", "ran")
    assert running.progress == 0.0
    before = _stamp(world)
    folder = Path(running.job_dir)
    (folder / "go1").touch()
    half = _until(world, engine, job.id, lambda j: j.progress == 0.5, "reported its progress")
    assert half.message == "half way" and half.phase == "running"
    after = _stamp(world)
    assert before.changes(after) == ["monitor"]  # type: ignore[attr-defined]
    (folder / "go2").touch()
    (done,) = world.run(batch, engine=engine, timeout=90)
    assert done.state == "d" and done.progress == 1.0, done.message
