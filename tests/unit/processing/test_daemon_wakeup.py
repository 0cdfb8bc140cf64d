"""The daemon wakes when a local job ends (pidfd) and reads the queue only as far as it has free slots."""

from __future__ import annotations

import threading

from sqlalchemy import event

from nora.processing.daemon import run_loop
from nora.processing.engine import TickReport
from nora.processing.executors.local import LocalExecutor
from tests.unit.processing.conftest import World


def test_wait_reports_the_end_of_a_local_job(local_world: World) -> None:
    batch = local_world.launch({"jobs": [{"job": "bash", "script": "sleep 0.3"}]}, rows=["S01#MR1"])
    engine = local_world.engine([batch])
    executor = engine.executor("local")
    assert isinstance(executor, LocalExecutor)
    assert executor.wait(0.01) is None, "no children: nothing to wait on"
    engine.tick()
    (job,) = local_world.jobs(batch)
    assert job.phase in ("submitted", "running") and job.job_dir and job.log_path
    # a long timeout: the call returns True because the job ended, not because the time ran out
    assert executor.wait(60) is True
    report = engine.tick()
    assert report.finished == 1
    assert local_world.jobs(batch)[0].state == "d"
    assert executor.wait(0.01) is None, "the ended child is no longer watched"


def test_a_full_pool_does_not_read_the_queue(local_world: World) -> None:
    """With both workers busy, a round loads no queued job (the queue used to be read whole every round)."""
    rows = ["S01#MR1", "S02#MR1"]
    batch = local_world.launch({"jobs": [{"job": "bash", "script": "sleep 2"}]}, rows=rows)
    more = local_world.launch({"jobs": [{"job": "bash", "script": "true"}]}, rows=rows)
    engine = local_world.engine([batch, more])
    executor = engine.executor("local")
    assert isinstance(executor, LocalExecutor)
    executor.backlog = 0  # no jobs waiting in the fork server: the pool is full with the two running ones
    assert engine.tick().submitted == 2
    statements: list[str] = []
    bind = local_world.sessions.kw["bind"]
    listener = lambda *a: statements.append(str(a[2]))  # noqa: E731
    event.listen(bind, "before_cursor_execute", listener)
    try:
        report = engine.tick()
    finally:
        event.remove(bind, "before_cursor_execute", listener)
    assert report.submitted == 0 and report.queued == 2
    selects_of_jobs = [q for q in statements if q.lstrip().upper().startswith("SELECT JOBS.ID,")]
    assert not any("jobs.phase = " in q and "ORDER BY jobs.id" in q for q in selects_of_jobs), statements


def test_the_daemon_loop_runs_a_batch_through(local_world: World) -> None:
    rows = ["S01#MR1", "S02#MR1"]
    batch = local_world.launch(
        {"jobs": [{"job": "bash", "script": "true"}, {"job": "bash", "script": "true"}]}, rows=rows
    )
    stop = threading.Event()
    rounds: list[TickReport] = []

    def on_tick(report: TickReport) -> None:
        rounds.append(report)
        if (report.active == 0 and report.queued == 0) or len(rounds) > 2000:
            stop.set()

    run_loop(local_world.sessions, local_world.config, stop, on_tick=on_tick, engine=local_world.engine([batch]))
    assert [j.state for j in local_world.jobs(batch)] == ["d"] * 4
    assert sum(r.finished for r in rounds) == 4
