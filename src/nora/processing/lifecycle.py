"""The one job lifecycle: phases, the transitions allowed between them, and the state derived from a phase.

Every kind of job (processing, import, retrieve, and the kinds features register) moves through the same
phases. Executor jobs (processing) go ``queued -> submitting -> submitted -> running -> finishing ->
done | error``; jobs run by the engine's worker pool (import, retrieve) go ``queued -> running -> done |
error``. A failed job may be dismissed (hidden from the monitor's errors and the ``JOB:e`` filter) or
queued again (a retry). :data:`TRANSITIONS` is the whole table; anything else is a bug and raises
:class:`IllegalTransition`.

``jobs.state`` is NORA's one-letter state (``q`` queued, ``r`` running, ``e`` error, ``d`` done, ``x``
dismissed) that the table's ``JOB:`` filter and the job indicators read; it is never written by hand:
:func:`state_of` derives it and every change of phase below writes both.

Changes are compare-and-set (``UPDATE ... WHERE phase IN (<expected>)``), so two engines never take the
same job or finish it twice: :func:`advance` answers whether this caller made the change.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, or_, update
from sqlalchemy.orm import Session

from nora.archive.models import utcnow
from nora.processing.models import Job


class JobPhase(enum.StrEnum):
    QUEUED = "queued"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    RUNNING = "running"
    FINISHING = "finishing"
    DONE = "done"
    ERROR = "error"
    DISMISSED = "dismissed"


P = JobPhase

#: phase -> the phases it may move to
TRANSITIONS: dict[JobPhase, frozenset[JobPhase]] = {
    # claimed for an executor, claimed by a worker (or an import run in the caller's process), or failed
    # before it started (its chain failed, it was killed, its folder could not be written)
    P.QUEUED: frozenset({P.SUBMITTING, P.RUNNING, P.ERROR}),
    # started by the executor, or not (back to the queue), or the submission failed
    P.SUBMITTING: frozenset({P.SUBMITTED, P.QUEUED, P.ERROR}),
    P.SUBMITTED: frozenset({P.RUNNING, P.FINISHING}),
    # executor jobs finish (results, outputs); worker jobs end at once; an interrupted one is an error
    P.RUNNING: frozenset({P.FINISHING, P.DONE, P.ERROR}),
    P.FINISHING: frozenset({P.DONE, P.ERROR}),
    P.DONE: frozenset(),
    # dismissed by a user, or queued again (a retry of an import)
    P.ERROR: frozenset({P.DISMISSED, P.QUEUED}),
    P.DISMISSED: frozenset(),
}

_STATE = {
    P.QUEUED: "q",
    P.SUBMITTING: "q",
    P.SUBMITTED: "q",
    P.RUNNING: "r",
    P.FINISHING: "r",
    P.DONE: "d",
    P.ERROR: "e",
    P.DISMISSED: "x",
}

#: handed to an executor and not ended yet
ACTIVE = (P.SUBMITTING, P.SUBMITTED, P.RUNNING)
#: phases a job never leaves by itself
FINAL = (P.DONE, P.ERROR, P.DISMISSED)


class IllegalTransition(RuntimeError):
    """A change of phase the lifecycle does not allow: a bug in the caller, never a user's error."""


def state_of(phase: JobPhase | str) -> str:
    """The one-letter ``jobs.state`` of a phase (what the ``JOB:`` filter reads)."""
    return _STATE[JobPhase(phase)]


def check(before: JobPhase | str, after: JobPhase | str) -> None:
    """Raise :class:`IllegalTransition` unless ``before -> after`` is in :data:`TRANSITIONS`."""
    source, target = JobPhase(before), JobPhase(after)
    if target not in TRANSITIONS[source]:
        allowed = ", ".join(sorted(TRANSITIONS[source])) or "nothing (final)"
        raise IllegalTransition(f"a job cannot go from {source} to {target} (from {source}: {allowed})")


def initial(phase: JobPhase = P.QUEUED) -> dict[str, str]:
    """The ``phase`` and ``state`` columns of a new job (queued, or failed at creation)."""
    if phase not in (P.QUEUED, P.ERROR):
        raise IllegalTransition(f"a new job starts queued or in error, not {phase}")
    return {"phase": str(phase), "state": state_of(phase)}


def values_for(to: JobPhase, **values: Any) -> dict[str, Any]:
    """The column values of a change to ``to``: the phase, its state, ``updated_at`` and ``values``."""
    values.setdefault("updated_at", utcnow())
    if to in FINAL and to is not P.DISMISSED:
        values.setdefault("finished_at", utcnow())
    return {**values, "phase": str(to), "state": state_of(to)}


def advance(
    session: Session, job_ids: int | Iterable[int], expected: Sequence[JobPhase], to: JobPhase, **values: Any
) -> list[int]:
    """Compare-and-set: move the jobs that are in one of ``expected`` to ``to``; the ids this caller moved.

    One statement for any number of jobs (a batch claim). The caller commits.
    """
    for before in expected:
        check(before, to)
    ids = [job_ids] if isinstance(job_ids, int) else list(job_ids)
    if not ids:
        return []
    statement = (
        update(Job)
        .where(Job.id.in_(ids), Job.phase.in_([str(e) for e in expected]))
        .values(**values_for(to, **values))
        .returning(Job.id)
        .execution_options(synchronize_session=False)
    )
    return list(session.scalars(statement))


def advance_each(
    session: Session, changes: Mapping[int, Mapping[str, Any]], expected: Sequence[JobPhase], to: JobPhase
) -> None:
    """Compare-and-set for many jobs with values of their own (job id -> values): one ``executemany`` per set
    of column names. For changes the caller has claimed (it moved the jobs to ``expected`` itself), so it
    needs no answer; the caller commits.
    """
    for before in expected:
        check(before, to)
    table = cast(Table, Job.__table__)
    groups: dict[tuple[str, ...], list[int]] = {}
    for job_id, values in changes.items():
        groups.setdefault(tuple(sorted(values)), []).append(job_id)
    for names, ids in groups.items():
        common = {k: v for k, v in values_for(to).items() if k not in names}
        statement = (
            update(table)
            .where(table.c.id == bindparam("job_id_"), or_(*(table.c.phase == str(e) for e in expected)))
            .values(**common, **{name: bindparam(f"{name}_") for name in names})
        )
        rows = [{"job_id_": i, **{f"{name}_": changes[i][name] for name in names}} for i in ids]
        session.execute(statement, rows)


def move(job: Job, to: JobPhase, **values: Any) -> None:
    """Change a loaded job (the session holds it; a caller with a row lock or a fresh row)."""
    check(job.phase, to)
    for key, value in values_for(to, **values).items():
        setattr(job, key, value)
