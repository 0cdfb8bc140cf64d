"""The local executor's fork server: a process per job, claims, and what a restarted daemon finds."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from nora.core.process import alive
from nora.processing.engine import Engine
from nora.processing.executors.local import LocalExecutor
from nora.processing.forkserver import claim, read_process
from nora.processing.models import Job
from nora.processing.service import kill_jobs
from tests.unit.processing.conftest import World


def _local(world: World, engine_batches: list[int]) -> tuple[LocalExecutor, Engine]:
    engine = world.engine(engine_batches)
    executor = engine.executor("local")
    assert isinstance(executor, LocalExecutor)
    return executor, engine


def _wait_for(predicate: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("the state never came")


def _running(world: World, script: str) -> tuple[int, LocalExecutor, Engine, Job]:
    """A one-job bash batch whose job runs: (batch, executor, engine, job)."""
    batch = world.launch({"jobs": [{"job": "bash", "script": script}]}, rows=["S01#MR1"])
    executor, engine = _local(world, [batch])
    (job,) = world.jobs(batch)
    return batch, executor, engine, world.wait_phase(job.id, ("running",), engine)


def _kill(world: World, job_id: int) -> None:
    with world.sessions() as s:
        kill_jobs(s, world.access(s), world.config, [job_id])
        s.commit()


def test_each_job_is_its_own_process_group_with_its_own_log(local_world: World) -> None:
    world = local_world
    batch, executor, engine, job = _running(world, "echo pid $$; sleep 30")
    record = read_process(Path(job.job_dir))
    assert record is not None and alive(record["pid"], record["start"])
    assert executor._server is not None and record["pid"] != executor._server.pid
    assert os.getpgid(record["pid"]) == record["pid"], "the job leads its own process group (kill, timeout)"
    assert os.getsid(record["pid"]) == record["pid"]
    _wait_for(lambda: "pid " in (Path(job.job_dir) / "log.txt").read_text())
    _kill(world, job.id)
    (job,) = world.run(batch, engine=engine)
    assert job.state == "e" and "killed" in job.message


def test_a_running_job_outlives_its_daemon_and_is_adopted(local_world: World, tmp_path: Path) -> None:
    world = local_world
    runs = tmp_path / "runs.txt"
    flag = tmp_path / "go"
    script = f'echo "$NORA_JOB_ID" >> {runs}\nwhile [ ! -e {flag} ]; do sleep 0.05; done\n'
    batch = world.launch({"jobs": [{"job": "bash", "script": script}]}, rows=["S01#MR1"])
    executor, engine = _local(world, [batch])
    (job,) = world.jobs(batch)
    job = world.wait_phase(job.id, ("running",), engine)
    record = read_process(Path(job.job_dir))
    assert record is not None
    server = executor._server
    assert server is not None
    executor.close()  # the daemon goes away: its fork server takes no more jobs, the job goes on
    assert alive(record["pid"], record["start"])
    fresh = world.engine([batch])
    fresh.recover()
    assert fresh.tick().finished == 0
    (job,) = world.jobs(batch)
    assert job.phase == "running"
    flag.touch()
    (job,) = world.run(batch, engine=fresh)
    assert job.state == "d", job.message
    assert runs.read_text().split() == [str(job.id)], "it ran once"
    assert server.wait(timeout=10) == 0, "the old server exits once it has recorded its last job"


def test_a_script_job_ended_by_a_signal_is_recorded_by_its_server(local_world: World) -> None:
    world = local_world
    batch, _executor, engine, job = _running(world, "sleep 60")
    record = read_process(Path(job.job_dir))
    assert record is not None and "server" in record, "the server runs the script itself"
    os.kill(record["pid"], signal.SIGKILL)  # the OOM killer, say: the server sees how the script ended
    (job,) = world.run(batch, engine=engine)
    assert job.state == "e" and job.message == "the bash script exited with status -9 (see the log above)"
    result = json.loads((Path(job.job_dir) / "result.json").read_text())
    assert result == {"status": "error", "exit_code": 1, "message": job.message}
    assert "FAILED after" in (Path(job.job_dir) / "log.txt").read_text()


def test_a_kill_reaches_a_script_that_ignores_sigterm(local_world: World, tmp_path: Path) -> None:
    world = local_world
    script = f"trap '' TERM\ntouch {tmp_path / 'up'}\nwhile true; do sleep 0.1; done\n"
    batch, _executor, engine, job = _running(world, script)
    _wait_for(lambda: (tmp_path / "up").exists())
    _kill(world, job.id)
    (job,) = world.run(batch, engine=engine, timeout=60)  # SIGKILL after the grace of 5 s
    assert job.state == "e" and job.message == "the job was killed"
    assert json.loads((Path(job.job_dir) / "result.json").read_text())["exit_code"] == 143


def test_jobs_waiting_in_a_server_that_went_away_run_once_under_the_next(local_world: World, tmp_path: Path) -> None:
    world = local_world
    world.config.processing.local_workers = 1
    runs = tmp_path / "runs.txt"
    gate = tmp_path / "gate"  # the running job holds until the test has looked
    script = f'echo "$NORA_JOB_ID" >> {runs}\nwhile [ ! -e {gate} ]; do sleep 0.05; done\n'
    batch = world.launch({"jobs": [{"job": "bash", "script": script}]}, rows=["S01#MR1", "S02#MR1"])
    executor, engine = _local(world, [batch])
    assert engine.tick().submitted == 2
    _wait_for(lambda: runs.exists())
    executor.close()  # one job runs, the other waited in the server unclaimed
    waiting = [j for j in world.jobs(batch) if read_process(Path(j.job_dir)) is None]
    assert len(waiting) == 1 and waiting[0].phase == "submitted"
    gate.touch()
    jobs = world.run(batch, engine=world.engine([batch]))
    assert [j.state for j in jobs] == ["d", "d"], [j.message for j in jobs]
    assert sorted(runs.read_text().split()) == sorted(str(j.id) for j in jobs), "each ran exactly once"


def test_a_job_killed_before_it_started_never_runs(local_world: World, tmp_path: Path) -> None:
    world = local_world
    world.config.processing.local_workers = 1
    runs = tmp_path / "runs.txt"
    gate = tmp_path / "gate"
    script = f'echo "$NORA_JOB_ID" >> {runs}\nwhile [ ! -e {gate} ]; do sleep 0.05; done\n'
    batch = world.launch({"jobs": [{"job": "bash", "script": script}]}, rows=["S01#MR1", "S02#MR1"])
    _executor, engine = _local(world, [batch])
    assert engine.tick().submitted == 2
    _wait_for(lambda: runs.exists())
    (waiting,) = [j for j in world.jobs(batch) if read_process(Path(j.job_dir)) is None]
    with world.sessions() as s:
        assert kill_jobs(s, world.access(s), world.config, [waiting.id]) == [waiting.id]
        s.commit()
    assert read_process(Path(waiting.job_dir)) == {"executor": "local", "cancelled": True}
    gate.touch()
    jobs = {j.id: j for j in world.run(batch, engine=engine)}
    assert jobs[waiting.id].state == "e" and "killed" in jobs[waiting.id].message
    assert str(waiting.id) not in runs.read_text().split()
    assert [j.state for j in jobs.values() if j.id != waiting.id] == ["d"]


def test_claim_is_won_once(tmp_path: Path) -> None:
    assert read_process(tmp_path) is None
    assert claim(tmp_path, {"server": "1:2"}) is True
    assert claim(tmp_path, {"cancelled": True}) is False
    assert json.loads((tmp_path / "process.json").read_text()) == {"server": "1:2"}
    assert [p.name for p in tmp_path.iterdir()] == ["process.json"], "no temporary file left"


def test_a_fork_server_that_dies_is_replaced_and_its_waiting_jobs_run(local_world: World, tmp_path: Path) -> None:
    """The server records the script jobs it runs: a job whose server was killed stays running while its
    process runs, then ends without a result; the job that waited unclaimed runs once under a new server."""
    world = local_world
    world.config.processing.local_workers = 1
    runs = tmp_path / "runs.txt"
    flag = tmp_path / "go"
    script = f'echo "$NORA_JOB_ID" >> {runs}\nwhile [ ! -e {flag} ]; do sleep 0.05; done\n'
    batch = world.launch({"jobs": [{"job": "bash", "script": script}]}, rows=["S01#MR1", "S02#MR1"])
    executor, engine = _local(world, [batch])
    assert engine.tick().submitted == 2
    _wait_for(lambda: runs.exists())
    server = executor._server
    assert server is not None
    server.kill()  # the server dies with one job running and one waiting unclaimed
    server.wait(timeout=10)
    (first_id,) = map(int, runs.read_text().split())
    engine.tick()
    assert {j.id: j.phase for j in world.jobs(batch)}[first_id] == "running", "its process still runs"
    flag.touch()
    jobs = {j.id: j for j in world.run(batch, engine=engine)}
    assert jobs[first_id].state == "e" and "without a result" in jobs[first_id].message
    assert [j.state for j in jobs.values() if j.id != first_id] == ["d"]
    assert sorted(runs.read_text().split()) == sorted(str(j) for j in jobs), "each ran exactly once"
    assert executor._server is not None and executor._server.pid != server.pid, "a new server took the waiting job"


def test_a_second_daemon_leaves_jobs_waiting_in_the_firsts_server(local_world: World, tmp_path: Path) -> None:
    """Two daemons on one machine (``nora serve`` beside ``nora daemon``) do not run more than it may."""
    world = local_world
    world.config.processing.local_workers = 1
    runs = tmp_path / "runs.txt"
    script = f'echo "$NORA_JOB_ID" >> {runs}\nsleep 0.3\n'
    batch = world.launch({"jobs": [{"job": "bash", "script": script}]}, rows=["S01#MR1", "S02#MR1"])
    first_executor, first = _local(world, [batch])
    assert first.tick().submitted == 2
    _second_executor, second = _local(world, [batch])
    second.tick()
    holders = {json.loads((Path(j.job_dir) / "executor.json").read_text())["server"] for j in world.jobs(batch)}
    assert holders == {first_executor._server_id}, "nothing was handed to the second daemon's server"
    jobs = world.run(batch, engine=first)
    assert [j.state for j in jobs] == ["d", "d"], [j.message for j in jobs]
    assert sorted(runs.read_text().split()) == sorted(str(j.id) for j in jobs)
