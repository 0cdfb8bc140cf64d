"""Readers at work on a real database: stages, append-only answers, rights, restart, washout, timing, export."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import func, select, update

from nora.archive.models import Study, StudyTag
from nora.archive.services import nodes
from nora.core.errors import Forbidden, InvalidInput, NotFound
from nora.reading.answers import Reader
from nora.reading.models import ReadingResult
from nora.reading.results import export_csv, result_rows, visible_rows
from nora.reading.service import Readings
from tests.unit.reading.conftest import World, definition


def answer(world: World, user: str, pid: str, values: dict[str, object], *, stage: str = "serious",
           reading: str = "R1", arm: str = "", repetition: int = 1) -> int:  # fmt: skip
    with world.sessions() as s:
        access = world.access(s, user)
        reader = Reader(s, access, Readings(s, access).get(reading))
        added = reader.record(stage, nodes.get_study(s, access, pid, "S1"), None, repetition, arm, values, time_ms=900)
        s.commit()
        return len(added)


def progress(world: World, user: str, stage: str = "serious", reading: str = "R1") -> tuple[int, int]:
    with world.sessions() as s:
        access = world.access(s, user)
        p = Reader(s, access, Readings(s, access).get(reading)).progress(stage)
        return p.done, p.total


def test_stages_select_their_cases_and_answers_are_appended_never_overwritten(world: World) -> None:
    world.create()
    assert progress(world, "r1", "training") == (0, 2) and progress(world, "r1") == (0, 4)
    assert answer(world, "r1", "P03", {"confidence": 4}) == 1
    assert progress(world, "r1") == (0, 4)  # the required item is missing
    assert answer(world, "r1", "P03", {"lesion": "yes", "confidence": 4}) == 1  # the same answer adds nothing
    assert answer(world, "r1", "P03", {"lesion": "no"}) == 1
    assert progress(world, "r1") == (1, 4) and progress(world, "r2") == (0, 4)
    with world.sessions() as s:
        current = result_rows(s, 1)
        history = result_rows(s, 1, history=True)
        assert [(r.item, r.value) for r in current] == [("confidence", "4"), ("lesion", "no")]
        assert [(r.item, r.value, r.current) for r in history] == [
            ("confidence", "4", True), ("lesion", "yes", False), ("lesion", "no", True)
        ]  # fmt: skip
        assert {(r.reader, r.stage, r.case, r.repetition) for r in current} == {("r1", "serious", "P03#S1", 1)}
        study = nodes.get_study(s, world.access(s, None), "P03", "S1")
        tags = set(s.scalars(select(StudyTag.tag).where(StudyTag.study_id == study.id)))
        assert tags == {"no"}  # useastag: the answer is the tag, the earlier one taken away
    with pytest.raises(InvalidInput, match="not in the serious stage"):
        answer(world, "r1", "P01", {"lesion": "yes"})  # a training case
    with pytest.raises(InvalidInput, match="lesion: 'maybe' is not one of its options"):
        answer(world, "r1", "P04", {"lesion": "maybe"})
    with pytest.raises(Forbidden, match="read-only"):
        answer(world, "viewer", "P04", {"lesion": "yes"})


def test_readers_see_only_their_own_results_and_reading_admins_all(world: World) -> None:
    world.create(raw={**definition(), "general": {"admins": ["boss"], "readers": ["r1", "r2"]}})
    answer(world, "r1", "P03", {"lesion": "yes"})
    answer(world, "r2", "P03", {"lesion": "no"})
    with world.sessions() as s:
        for user, readers in (("r1", {"r1"}), ("r2", {"r2"}), ("boss", {"r1", "r2"}), ("chief", {"r1", "r2"})):
            _, rows = visible_rows(s, world.access(s, user), "R1")
            assert {r.reader for r in rows} == readers, user
        with pytest.raises(NotFound):  # not a reader of it: the reading is not there for them
            Readings(s, world.access(s, "viewer")).get("R1")
        assert [r.name for r in Readings(s, world.access(s, "viewer")).visible()] == []
        with pytest.raises(Forbidden):
            Readings(s, world.access(s, "r1")).replace("R1", definition())
        Readings(s, world.access(s, "boss")).replace("R1", definition(repetitions=2))
        with pytest.raises(Forbidden, match="not an admin of project"):
            Readings(s, world.access(s, "boss")).create("R2", definition())


def test_restart_deletes_only_the_callers_results_and_only_where_allowed(world: World) -> None:
    world.create(raw=definition(allowRestartOfTraining=True))
    for user in ("r1", "r2"):
        answer(world, user, "P01", {"lesion": "yes"}, stage="training")
        answer(world, user, "P03", {"lesion": "yes"})
    with world.sessions() as s:
        access = world.access(s, "r1")
        reader = Reader(s, access, Readings(s, access).get("R1"))
        with pytest.raises(Forbidden, match="allowRestartOfSerious is off"):
            reader.restart("serious")
        assert reader.restart("training") == 1
        s.commit()
        left = {(r.reader, r.stage) for r in result_rows(s, 1)}
        assert left == {("r1", "serious"), ("r2", "training"), ("r2", "serious")}


def test_crossover_period_two_opens_after_the_washout(world: World) -> None:
    arms = {"arms": [{"name": "unaided"}, {"name": "ai", "viewer": {"overlay": "ai"}}], "washoutDays": 7}
    world.create(raw=definition(crossover=arms))
    with world.sessions() as s:
        access = world.access(s, "r1")
        period = Reader(s, access, Readings(s, access).get("R1")).progress("serious")
        first = [x.slot for x in period.slots if x.slot.period == 1]
        later = [x for x in period.slots if x.slot.period == 2]
        assert len(first) == 4 and all(x.locked for x in later)
    with pytest.raises(Forbidden, match="washout"):
        answer(world, "r1", later[0].slot.case.pid, {"lesion": "yes"}, arm=later[0].slot.arm)
    for slot in first:
        answer(world, "r1", slot.case.pid, {"lesion": "yes"}, arm=slot.arm)
    with world.sessions() as s:
        access = world.access(s, "r1")
        period = Reader(s, access, Readings(s, access).get("R1")).progress("serious")
        assert period.washout_until is not None and all(x.locked for x in period.slots if x.slot.period == 2)
        past = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=8)
        s.execute(update(ReadingResult).values(created_at=past))
        s.commit()
    assert answer(world, "r1", later[0].slot.case.pid, {"lesion": "no"}, arm=later[0].slot.arm) == 1
    assert progress(world, "r1") == (5, 8)


def test_a_joint_reading_shares_one_set_of_answers(world: World) -> None:
    world.create(raw=definition(mode="joint"))
    answer(world, "r1", "P03", {"lesion": "yes"})
    assert progress(world, "r2") == (1, 4)
    assert answer(world, "r2", "P03", {"lesion": "yes"}) == 0  # already the joint answer


def test_visits_time_the_case_and_the_export_has_every_answer(world: World) -> None:
    world.create()
    with world.sessions() as s:
        access = world.access(s, "r1")
        reader = Reader(s, access, Readings(s, access).get("R1"))
        study = s.scalar(select(Study).where(Study.sid == "S1").order_by(Study.id).offset(2))
        assert study is not None
        visit = reader.open_visit("serious", study, None, 1, "")
        reader.record("serious", study, None, 1, "", {"lesion": "yes"}, time_ms=1500, visit_id=visit.id)
        reader.record("serious", study, None, 1, "", {"lesion": "no"}, time_ms=2500, visit_id=visit.id)
        reader.time_visit(visit.id, 4000, None)
        reader.time_visit(visit.id, 3000, None)  # an older report: the time only grows
        second = reader.open_visit("serious", study, None, 1, "")
        reader.time_visit(second.id, 1000, None)
        s.commit()
        reading, rows = visible_rows(s, access, "R1", history=True)
        table = list(csv.DictReader(io.StringIO(export_csv(s, reading, rows))))
        with pytest.raises(NotFound):
            Reader(s, world.access(s, "r2"), reading).time_visit(visit.id, 1, None)
        assert s.scalar(select(func.count()).select_from(ReadingResult)) == 2
    assert [(r["value"], r["current"], r["answer_time_ms"]) for r in table] == [
        ("yes", "0", "1500"),
        ("no", "1", "2500"),
    ]
    assert {(r["reading"], r["stage"], r["reader"], r["pid"], r["sid"], r["case_first_answer_ms"], r["case_total_ms"])
            for r in table} == {("R1", "serious", "r1", "P03", "S1", "1500", "5000")}  # fmt: skip


def test_the_demo_reading_is_valid_and_made_once_by_the_first_system_admin(world: World) -> None:
    from nora.archive.services import accounts
    from nora.archive.services.access import SYSTEM
    from nora.reading.demo import NAME, add_demo_reading

    with world.sessions() as s:
        assert add_demo_reading(s, SYSTEM, "P") is None  # no user account could own it
        accounts.create_user(s, SYSTEM, "root", "password-123", is_admin=True)
        assert add_demo_reading(s, SYSTEM, "P") == NAME
        assert add_demo_reading(s, SYSTEM, "P") == NAME  # a refill leaves it as it is
        s.commit()
        reading = Readings(s, world.access(s, "r1")).get(NAME)
        assert reading.definition.reading.reading.stages == ["training", "serious"]
        assert Readings(s, world.access(s, "r1")).docs.owner_name(reading.doc) == "root"
