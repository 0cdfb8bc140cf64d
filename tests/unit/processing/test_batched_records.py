"""The engine records outcomes in batches: one job's refused outputs fail only that job, and a job whose
predecessor failed in the same batch is reported as not run."""

from __future__ import annotations

import json
from pathlib import Path

from nora.archive.storage import atomic_write_json
from nora.processing.lifecycle import JobPhase, advance
from tests.unit.processing.conftest import World

P = JobPhase


def _finishing(world: World, job_id: int, result: dict[str, object] | None) -> Path:
    """A job that ran (as far as the database knows) and ended with ``result`` (None: without one)."""
    engine = world.engine()
    with world.sessions() as s:
        from nora.processing.models import Job

        job = s.get(Job, job_id)
        assert job is not None
        engine._write_job_dir(job)
        folder = engine.job_dir(job_id)
        advance(s, job_id, [P.QUEUED], P.SUBMITTING, executor="local")
        advance(s, job_id, [P.SUBMITTING], P.SUBMITTED, external_id="1:1", job_dir=str(folder))
        advance(s, job_id, [P.SUBMITTED], P.FINISHING)
        s.commit()
    if result is not None:
        atomic_write_json(folder / "result.json", result)
    return folder


def test_outcomes_of_one_round_are_recorded_together_and_fail_one_by_one(local_world: World, tmp_path: Path) -> None:
    world = local_world
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    study = world.layout.project_dir("PROC") / "S02" / "MR1"
    (study / "escape").symlink_to(outside)
    chain = world.launch(
        {"jobs": [{"job": "bash", "script": "exit 3"}, {"job": "bash", "script": "true"}]}, rows=["S01#MR1"]
    )
    refused = world.launch(
        {
            "jobs": [
                {
                    "job": "bash",
                    "script": "echo x > $o1",
                    "args": [{"name": "o1", "type": "OUT", "value": "escape/stolen.txt"}],
                }
            ]
        },
        rows=["S02#MR1"],
    )
    fine = world.launch({"jobs": [{"job": "bash", "script": "true"}]}, rows=["S02#MR1"])
    first, second = world.jobs(chain)
    (bad,) = world.jobs(refused)
    (good,) = world.jobs(fine)
    _finishing(world, good.id, {"status": "done", "exit_code": 0})
    _finishing(world, first.id, {"status": "error", "exit_code": 3, "message": "the script exited with status 3"})
    _finishing(world, second.id, None)  # cancelled with its predecessor: no result
    (outside / "stolen.txt").write_text("x")
    _finishing(world, bad.id, {"status": "done", "exit_code": 0})
    world.engine().recover()  # redoes every finishing job: one batch of outcomes
    first, second = world.jobs(chain)
    (bad,) = world.jobs(refused)
    (good,) = world.jobs(fine)
    assert good.state == "d", good.message  # recorded although another job of the batch was refused
    assert (first.state, first.exit_code) == ("e", 3)
    assert second.state == "e" and second.message.startswith("not run: the previous job"), second.message
    assert bad.state == "e" and "could not be registered" in bad.message, bad.message
    error = json.loads((Path(bad.job_dir) / "error.json").read_text())
    assert "could not be registered" in error["message"]
