"""The change feed's stamp: which part a change of a job raises (no server or daemon: the rows alone)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, update

from nora.archive.db import make_sessionmaker
from nora.archive.events import stamp
from nora.archive.services import projects
from nora.archive.services.access import SYSTEM
from nora.archive.storage import Layout
from nora.processing.lifecycle import JobPhase, advance, initial
from nora.processing.models import Job


def test_a_job_phase_within_its_state_changes_only_the_monitor_part(engine: Engine, tmp_path: Path) -> None:
    """Queued -> submitting stays state ``q``: the job monitor refetches (``monitor``), the table does not."""
    with make_sessionmaker(engine)() as session:
        project = projects.create_project(session, SYSTEM, Layout(tmp_path), "EV", "events")
        job = Job(project_id=project.id, name="held", **initial())
        session.add(job)
        session.commit()
        before = stamp(session, project.id, "EV")
        assert advance(session, job.id, [JobPhase.QUEUED], JobPhase.SUBMITTING) == [job.id]
        session.commit()
        after = stamp(session, project.id, "EV")
        assert before.changes(after) == ["monitor"]
        # a step of a chain (same phase) is the monitor's too; a new state is the table's as well
        session.execute(update(Job).where(Job.id == job.id).values(step=1))
        session.commit()
        assert after.changes(stamp(session, project.id, "EV")) == ["monitor"]
        again = stamp(session, project.id, "EV")
        advance(session, job.id, [JobPhase.SUBMITTING], JobPhase.ERROR)
        session.commit()
        assert again.changes(stamp(session, project.id, "EV")) == ["jobs", "monitor"]
