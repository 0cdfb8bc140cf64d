"""Slurm-specific behaviour on a real single-node Slurm: queue mapping, arrays, a node that fails."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from nora.processing.executors.slurm import job_name
from tests.support.slurmcluster import SlurmCluster
from tests.unit.processing.conftest import World, build_world


@pytest.fixture
def sworld(slurm_cluster: SlurmCluster, tmp_path: Path) -> World:
    return build_world(f"sqlite:///{tmp_path / 'nora.sqlite'}", tmp_path / "home", "slurm")


def test_queue_maps_to_partition_and_steps_are_arrays(sworld: World) -> None:
    batch = sworld.launch(
        {"jobs": [{"job": "bash", "script": "echo one"}, {"job": "bash", "script": "echo two"}]}, queue="fast"
    )
    engine = sworld.engine([batch])
    engine.tick()
    engine.tick()
    out = subprocess.run(["squeue", "-h", "-r", "-t", "all", "-o", "%i|%j|%P"], capture_output=True, text=True).stdout
    rows = [line.split("|") for line in out.splitlines()]
    tag = engine.executor("slurm").tag  # type: ignore[attr-defined]
    mine = [r for r in rows if r[1].startswith(f"nora-{tag}-b{batch}-")]
    assert {r[1] for r in mine} == {job_name(batch, 0, tag), job_name(batch, 1, tag)}
    assert {r[2] for r in mine} == {"fast"}
    assert {r[0].partition("_")[2] for r in mine} == {"0", "1"}  # array task = subject index
    assert [j.state for j in sworld.run(batch, engine=engine)] == ["d"] * 4


def test_node_failure_ends_in_error(sworld: World, slurm_cluster: SlurmCluster) -> None:
    batch = sworld.launch({"jobs": [{"job": "bash", "script": "sleep 60"}]}, rows=["S01#MR1"])
    engine = sworld.engine([batch])
    (job,) = sworld.jobs(batch)
    sworld.wait_phase(job.id, ("running",), engine)
    slurm_cluster.set_node("DOWN", "nora test: node lost")
    try:
        (job,) = sworld.run(batch, engine=engine, timeout=60)
    finally:
        slurm_cluster.set_node("RESUME")
        slurm_cluster.wait_idle()
    assert job.state == "e"
    # slurmd either signals the job when its node goes DOWN (the runner records the kill) or the job vanishes
    assert any(m in job.message for m in ("node failed", "without a result", "was killed")), job.message


def test_restart_adopts_a_submission_slurm_already_has(sworld: World) -> None:
    batch = sworld.launch({"jobs": [{"job": "bash", "script": "echo adopted"}]}, rows=["S01#MR1"])
    engine = sworld.engine([batch])
    (job,) = sworld.jobs(batch)
    from nora.processing.lifecycle import JobPhase, advance

    with sworld.sessions() as s:
        assert advance(s, job.id, [JobPhase.QUEUED], JobPhase.SUBMITTING, executor="slurm")
        s.commit()
    engine._write_job_dir(job)
    engine.executor("slurm").submit([engine._submission(job, "")])
    time.sleep(0.2)
    fresh = sworld.engine([batch])
    fresh.recover()
    (job,) = sworld.jobs(batch)
    assert job.phase in ("submitted", "running", "done") and job.external_id.endswith("_0")
    (job,) = sworld.run(batch, engine=fresh)
    assert job.state == "d" and (Path(job.job_dir) / "log.txt").read_text().count("adopted") == 1
