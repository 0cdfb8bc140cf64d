"""``nora --reading-export READING [--stage S]`` and ``-s SUBJECT reading:NAME``: a reading's results on the CLI."""

from __future__ import annotations

import csv
import io

from nora.archive.db import make_engine, make_sessionmaker
from nora.archive.services import accounts, nodes, rights
from nora.archive.services.access import SYSTEM, Actor, project_access
from nora.core.settings import Settings
from nora.reading.answers import Reader
from nora.reading.service import Readings
from tests.unit.cli.conftest import PROJECT, Cli
from tests.unit.reading.conftest import definition


def _answers(cli: Cli) -> None:
    engine = make_engine(Settings(home=cli.home).effective_database_url)
    with make_sessionmaker(engine)() as s:
        chief = accounts.create_user(s, SYSTEM, "chief", "password-123")
        rights.grant(s, SYSTEM, "chief", PROJECT, rights.RightSpec(role="admin"))
        access = project_access(s, Actor.of(chief), PROJECT)
        raw = definition(mode_training={"selection": "PAT1"}, mode_serious={"selection": "*"})
        reading = Readings(s, access).create("R1", raw)
        reader = Reader(s, access, reading)
        for stage, pid, sid, value in (("training", "PAT1", "20240101", "no"), ("serious", "PAT2", "20230505", "yes")):
            reader.record(stage, nodes.get_study(s, access, pid, sid), None, 1, "", {"lesion": value, "size": 2})
        s.commit()
    engine.dispose()


def test_export_and_select_reading_results(project: Cli) -> None:
    _answers(project)
    out = project.ok("-p", PROJECT, "--reading-export", "R1").out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {(r["stage"], r["reader"], r["pid"], r["item"], r["value"]) for r in rows} == {
        ("training", "chief", "PAT1", "lesion", "no"), ("training", "chief", "PAT1", "size", "2"),
        ("serious", "chief", "PAT2", "lesion", "yes"), ("serious", "chief", "PAT2", "size", "2"),
    }  # fmt: skip
    serious = project.ok("-p", PROJECT, "--reading-export", "R1", "--stage", "serious").out
    assert {r["stage"] for r in csv.DictReader(io.StringIO(serious))} == {"serious"}
    docs = project.ok("-p", PROJECT, "-s", "PAT2", "reading:R1").json()
    assert [(d["pid"], d["stage"], d["answers"]) for d in docs] == [("PAT2", "serious", {"lesion": "yes", "size": "2"})]
    missing = project("-p", PROJECT, "--reading-export", "nope")
    assert missing.code == 3 and "reading 'nope' does not exist" in missing.err
    wrong = project("-p", PROJECT, "--stage", "serious", "--projectlist")
    assert wrong.code == 2 and "--stage works only with --reading-export" in wrong.err
