"""One contract for every executor: the same batches, the same outcomes, on local and on a real Slurm, each on
SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from sqlalchemy import select

from nora.archive.models import File, FileTag
from nora.processing.lifecycle import JobPhase, advance
from nora.processing.models import Job
from nora.processing.service import kill_jobs
from tests.unit.processing.conftest import PROJECT, World, build_world

BUILTIN_CHAIN = {
    "name": "convert and smooth",
    "jobs": [
        {
            "job": "to_nifti",
            "args": [
                {"name": "input", "type": "FILE", "value": "t1_mprage/s0*.nii"},
                {"name": "output", "type": "OUT", "value": "conv/t1.nii.gz TAG(converted)"},
            ],
        },
        {
            "job": "smooth",
            "args": [
                {"name": "input", "type": "FILE", "value": "conv/t1.nii.gz"},
                {"name": "fwhm", "type": "NUMERIC", "value": 6},
                {"name": "output", "type": "OUT", "value": "smooth/t1_s6.nii.gz TAG(smoothed,fwhm6)"},
            ],
        },
        {
            "job": "threshold",
            "args": [
                {"name": "input", "type": "FILE", "value": "smooth/t1_s6.nii.gz"},
                {"name": "low", "type": "NUMERIC", "value": 50},
                {"name": "output", "type": "OUT", "value": "masks/brain.nii.gz"},
            ],
        },
        {
            "job": "roi_stats",
            "args": [
                {"name": "images", "type": "FILE", "value": "conv/t1.nii.gz", "multi": True},
                {"name": "masks", "type": "FILE", "value": "masks/brain.nii.gz", "multi": True},
                {"name": "output", "type": "OUT", "value": "stats/brain.json TAG(stats)"},
            ],
        },
    ],
}


@pytest.fixture
def world(any_executor: str, db_url: str, tmp_path: Path) -> World:
    """The contract holds on every executor and on both databases (SQLite and PostgreSQL)."""
    return build_world(db_url, tmp_path / "home", any_executor)


def _study(world: World, pid: str) -> Path:
    return world.layout.study_dir(PROJECT, pid, "MR1")


def test_builtin_chain_runs_and_registers_tagged_outputs(world: World) -> None:
    batch = world.launch(BUILTIN_CHAIN)
    jobs = world.run(batch, timeout=120)
    assert [(j.chain, j.step, j.state) for j in jobs] == [(c, s, "d") for c in (0, 1) for s in range(4)], [
        j.message for j in jobs
    ]
    for pid in ("S01", "S02"):
        folder = _study(world, pid)
        original = nib.load(folder / "t1_mprage/s001.nii")
        smoothed = nib.load(folder / "smooth/t1_s6.nii.gz")
        assert smoothed.shape == original.shape
        assert np.asarray(smoothed.dataobj).std() < np.asarray(original.dataobj).std()  # smoothing smooths
        stats = json.loads((folder / "stats/brain.json").read_text())
        mask = np.asarray(nib.load(folder / "masks/brain.nii.gz").dataobj)
        assert stats[0]["voxels"] == int((mask > 0).sum()) > 0
        assert not [p for p in folder.rglob("*") if p.name.startswith(".nora-tmp")], "no temporary files left"
    with world.sessions() as s:
        tagged = dict(s.execute(select(File.path, FileTag.tag).join(FileTag, FileTag.file_id == File.id)).all())
    assert {"conv/t1.nii.gz", "smooth/t1_s6.nii.gz", "stats/brain.json"} <= set(tagged)
    assert all((Path(j.job_dir) / "log.txt").is_file() for j in jobs)


def test_bash_job_gets_paths_and_the_nora_command(world: World) -> None:
    script = 'echo "input $f1 size $n1"\ncp "$f1" "$o1"\nnora -a "$1" --addtag seen_by_job\n'
    batch = world.launch(
        {
            "jobs": [
                {
                    "job": "bash",
                    "script": script,
                    "args": [
                        {"name": "f1", "type": "FILE", "value": "t1_*/*.nii"},
                        {"name": "o1", "type": "OUT", "value": "copy/t1.nii TAG(copied)"},
                        {"name": "n1", "type": "NUMERIC", "value": 3},
                    ],
                }
            ]
        }
    )
    jobs = world.run(batch)
    assert [j.state for j in jobs] == ["d", "d"], [j.message for j in jobs]
    log = (Path(jobs[0].job_dir) / "log.txt").read_text()
    assert f"input {_study(world, 'S01') / 't1_mprage/s001.nii'} size 3" in log
    with world.sessions() as s:
        tags = set(s.execute(select(File.path, FileTag.tag).join(FileTag, FileTag.file_id == File.id)).all())
    assert ("t1_mprage/s001.nii", "seen_by_job") in tags and ("copy/t1.nii", "copied") in tags


def test_python_job_and_script_error(world: World) -> None:
    script = "import sys\nprint('reading', $f1)\nopen($o1, 'w').write('x')\nsys.exit(7 if $n1 > 1 else 0)\n"
    batch = world.launch(
        {
            "jobs": [
                {
                    "job": "python",
                    "script": script,
                    "args": [
                        {"name": "f1", "type": "FILE", "value": "t1_*/*.nii"},
                        {"name": "o1", "type": "OUT", "value": "py/out.txt"},
                        {"name": "n1", "type": "NUMERIC", "value": 2},
                    ],
                },
                {"job": "bash", "script": "echo never", "args": []},
            ]
        }
    )
    jobs = world.run(batch)
    first, second = jobs[0], jobs[1]
    assert first.state == "e" and "status 7" in first.message
    assert "reading" in (Path(first.job_dir) / "log.txt").read_text()
    error = json.loads((Path(first.job_dir) / "error.json").read_text())
    assert "status 7" in error["message"]
    assert not (_study(world, "S01") / "py/out.txt").exists(), "no output under its real name after a failure"
    assert second.state == "e" and "not run" in second.message


def test_timeout_ends_in_error(world: World) -> None:
    batch = world.launch({"jobs": [{"job": "bash", "script": "sleep 60", "timeout_s": 1}]}, rows=["S01#MR1"])
    (job,) = world.run(batch, timeout=60)
    assert job.state == "e" and "timed out" in job.message
    assert (Path(job.job_dir) / "error.json").is_file()


def test_kill_a_running_job(world: World) -> None:
    batch = world.launch({"jobs": [{"job": "bash", "script": "echo started; sleep 60"}]}, rows=["S01#MR1"])
    engine = world.engine([batch])
    (job,) = world.jobs(batch)
    world.wait_phase(job.id, ("running",), engine)
    with world.sessions() as s:
        assert kill_jobs(s, world.access(s), world.config, [job.id]) == [job.id]
        s.commit()
    (job,) = world.run(batch, engine=engine)
    assert job.state == "e" and ("killed" in job.message or "cancelled" in job.message)


def test_unresolvable_inputs_fail_only_that_subject(world: World, tmp_path: Path) -> None:
    (_study(world, "S02") / "t1_mprage").rename(_study(world, "S02") / "t1_moved")  # files stay indexed
    batch = world.launch(
        {
            "jobs": [
                {
                    "job": "bash",
                    "script": "cp $f1 $o1",
                    "args": [
                        {"name": "f1", "type": "FILE", "value": "t1_mprage/s0*.nii t1_moved/nothing*"},
                        {"name": "o1", "type": "OUT", "value": "out/copy.nii"},
                    ],
                }
            ]
        },
        rows=["S01#MR1"],
    )
    assert [j.state for j in world.run(batch)] == ["d"]
    missing = world.launch(
        {
            "jobs": [
                {
                    "job": "to_nifti",
                    "args": [
                        {"name": "input", "type": "FILE", "value": "flair*/*.nii"},
                        {"name": "output", "type": "OUT", "value": "x.nii.gz"},
                    ],
                }
            ]
        }
    )
    jobs = world.jobs(missing)
    assert all(j.state == "e" and "no file matches 'flair*/*.nii'" in j.message for j in jobs)


def test_output_outside_the_project_is_refused(world: World, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (_study(world, "S01") / "escape").symlink_to(outside)
    batch = world.launch(
        {
            "jobs": [
                {
                    "job": "bash",
                    "script": "echo data > $o1",
                    "args": [
                        {"name": "o1", "type": "OUT", "value": "escape/stolen.json"},
                    ],
                }
            ]
        },
        rows=["S01#MR1"],
    )
    (job,) = world.run(batch)
    assert job.state == "e" and "not inside" in job.message
    with world.sessions() as s:
        assert s.scalar(select(File.id).where(File.path.like("%stolen%"))) is None


def test_process_that_disappears_is_an_error(local_world: World) -> None:
    world = local_world
    batch = world.launch({"jobs": [{"job": "bash", "script": "sleep 60"}]}, rows=["S01#MR1"])
    engine = world.engine([batch])
    (job,) = world.jobs(batch)
    job = world.wait_phase(job.id, ("running",), engine)
    pid = json.loads((Path(job.job_dir) / "process.json").read_text())["pid"]
    server = getattr(engine.executor("local"), "_server", None)
    if server is not None:  # the fork server that would record the job's end goes too
        server.kill()
        server.wait(timeout=10)
    os.kill(pid, signal.SIGKILL)  # like a node that vanishes
    (job,) = world.run(batch, engine=engine)
    assert job.state == "e" and "without a result" in job.message
    assert "without a result" in json.loads((Path(job.job_dir) / "error.json").read_text())["message"]


def test_daemon_restart_mid_batch_neither_loses_nor_duplicates(world: World, tmp_path: Path) -> None:
    runs = tmp_path / "runs.txt"
    script = f'echo "$NORA_JOB_ID" >> {runs}\nsleep 0.5\n'
    batch = world.launch({"jobs": [{"job": "bash", "script": script}, {"job": "bash", "script": script}]})
    executor = world.config.processing.executor
    first = world.engine([batch])
    # a crash right after the executor started a job but before its id was recorded: the job is claimed
    # (submitting), its folder written and handed to the executor, and then the daemon is gone
    crashed = next(j for j in world.jobs(batch) if j.step == 0)
    with world.sessions() as s:
        assert advance(s, crashed.id, [JobPhase.QUEUED], JobPhase.SUBMITTING, executor=executor)
        s.commit()
    first._write_job_dir(crashed)
    first.executor(executor).submit([first._submission(crashed, "")])
    del first
    # a new daemon starts with no memory but the database and the job folders, and recovers first
    second = world.engine([batch])
    second.recover()
    with world.sessions() as s:
        adopted = s.get(Job, crashed.id)
        assert adopted is not None
        # adopted from the executor (its id recorded), not queued again to run a second time
        assert adopted.phase == "submitted" and adopted.external_id, (adopted.phase, adopted.message)
    jobs = world.run(batch, engine=second)
    assert [j.state for j in jobs] == ["d"] * 4, [j.message for j in jobs]
    ran = runs.read_text().split()
    assert sorted(ran) == sorted(str(j.id) for j in jobs), "every job ran exactly once"
