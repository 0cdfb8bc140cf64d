"""The one job lifecycle: every transition rule, the derived state, compare-and-set, the kill flag."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from nora.processing.lifecycle import (
    TRANSITIONS,
    IllegalTransition,
    JobPhase,
    advance,
    advance_each,
    check,
    initial,
    move,
    state_of,
)
from nora.processing.models import Job
from nora.processing.service import dismiss_errors, kill_jobs
from tests.unit.processing.conftest import World

P = JobPhase
SLEEP = {"name": "b", "jobs": [{"job": "bash", "script": "sleep 60"}]}

ALLOWED = {
    (P.QUEUED, P.SUBMITTING),
    (P.QUEUED, P.RUNNING),
    (P.QUEUED, P.ERROR),
    (P.SUBMITTING, P.SUBMITTED),
    (P.SUBMITTING, P.QUEUED),
    (P.SUBMITTING, P.ERROR),
    (P.SUBMITTED, P.RUNNING),
    (P.SUBMITTED, P.FINISHING),
    (P.RUNNING, P.FINISHING),
    (P.RUNNING, P.DONE),
    (P.RUNNING, P.ERROR),
    (P.FINISHING, P.DONE),
    (P.FINISHING, P.ERROR),
    (P.ERROR, P.DISMISSED),
    (P.ERROR, P.QUEUED),
}


@pytest.mark.parametrize("before,after", list(itertools.product(JobPhase, JobPhase)), ids=lambda p: str(p))
def test_each_transition_is_allowed_exactly_when_the_table_says(before: JobPhase, after: JobPhase) -> None:
    assert ((before, after) in ALLOWED) == (after in TRANSITIONS[before])
    if (before, after) in ALLOWED:
        check(before, after)
    else:
        with pytest.raises(IllegalTransition, match=f"from {before} to {after}"):
            check(before, after)


def test_state_is_derived_from_the_phase() -> None:
    assert {p: state_of(p) for p in JobPhase} == {
        P.QUEUED: "q",
        P.SUBMITTING: "q",
        P.SUBMITTED: "q",
        P.RUNNING: "r",
        P.FINISHING: "r",
        P.DONE: "d",
        P.ERROR: "e",
        P.DISMISSED: "x",
    }
    assert initial() == {"phase": "queued", "state": "q"}
    with pytest.raises(IllegalTransition):
        initial(P.RUNNING)


def _job(world: World) -> int:
    batch = world.launch(SLEEP, rows=["S01#MR1"])
    return world.jobs(batch)[0].id


def test_advance_is_compare_and_set_and_refuses_illegal_changes(local_world: World) -> None:
    job_id = _job(local_world)
    with local_world.sessions() as s:
        assert advance(s, job_id, [P.QUEUED], P.SUBMITTING) == [job_id]
        assert advance(s, job_id, [P.QUEUED], P.SUBMITTING) == []  # another engine took it already
        with pytest.raises(IllegalTransition):
            advance(s, job_id, [P.SUBMITTING], P.DONE)
        s.commit()
        job = s.get(Job, job_id)
        assert job is not None and (job.phase, job.state) == ("submitting", "q")
        with pytest.raises(IllegalTransition):
            move(job, P.DISMISSED)
        move(job, P.ERROR, message="x")
        assert (job.phase, job.state) == ("error", "e")
        s.commit()
    with local_world.sessions() as s:
        assert dismiss_errors(s, local_world.access(s), [job_id]) == [job_id]
        s.commit()
        row = s.get(Job, job_id)
        assert row is not None and (row.phase, row.state) == ("dismissed", "x")


def test_advance_each_writes_each_jobs_values_in_one_go_and_only_from_the_expected_phase(local_world: World) -> None:
    world = local_world
    batch = world.launch(SLEEP, rows=["S01#MR1", "S02#MR1"])
    first, second = (j.id for j in world.jobs(batch))
    with world.sessions() as s:
        advance(s, [first, second], [P.QUEUED], P.SUBMITTING)
        advance(s, second, [P.SUBMITTING], P.ERROR, message="gone")  # another engine's change meanwhile
        changes = {first: {"external_id": "fs:a"}, second: {"external_id": "fs:b"}}
        advance_each(s, changes, [P.SUBMITTING], P.SUBMITTED)
        with pytest.raises(IllegalTransition):
            advance_each(s, changes, [P.SUBMITTING], P.DONE)
        s.commit()
    with world.sessions() as s:
        rows = {j.id: (j.phase, j.state, j.external_id, j.message) for j in s.query(Job).where(Job.batch_id == batch)}
    assert rows == {first: ("submitted", "q", "fs:a", ""), second: ("error", "e", "", "gone")}


def test_kill_sets_the_flag_and_the_job_ends_killed(local_world: World) -> None:
    job_id = _job(local_world)
    engine = local_world.engine()
    local_world.wait_phase(job_id, ("running",), engine)
    with local_world.sessions() as s:
        assert kill_jobs(s, local_world.access(s), local_world.config, [job_id]) == [job_id]
        s.commit()
        row = s.get(Job, job_id)
        assert row is not None and row.kill_requested and row.message == ""
    job = local_world.wait_phase(job_id, ("error",), engine)
    assert job.state == "e" and "killed" in job.message and job.kill_requested


def test_a_queued_job_killed_ends_at_once(local_world: World) -> None:
    job_id = _job(local_world)
    with local_world.sessions() as s:
        kill_jobs(s, local_world.access(s), local_world.config, [job_id])
        s.commit()
        row = s.scalar(select(Job).where(Job.id == job_id))
        assert row is not None and (row.phase, row.state, row.message) == ("error", "e", "killed before it started")
        assert row.finished_at is not None
