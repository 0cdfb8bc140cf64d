"""The database revision: every committed write of a watched table raises it, from any connection; a
rolled-back write and a read do not; every table but the unwatched ones has its triggers."""

from __future__ import annotations

from sqlalchemy import Engine, insert, text, update

from nora.archive import revision
from nora.archive.db import make_engine, make_sessionmaker
from nora.archive.models import Patient, Project, StudyTag
from nora.archive.services import nodes, projects
from nora.archive.services.access import SYSTEM, project_access
from nora.archive.storage import Layout


def test_every_table_but_the_unwatched_has_its_triggers(engine: Engine) -> None:
    with engine.connect() as conn:
        tables = revision.watched_tables(conn)
        found = revision.trigger_names(conn)
    assert {"patients", "studies", "files", "study_tags", "jobs", "rights", "projects"} <= set(tables)
    per_table = 2 if engine.dialect.name == "postgresql" else 3
    assert {t: len(found.get(t, ())) for t in tables} == dict.fromkeys(tables, per_table)
    assert not set(found) & revision.UNWATCHED


def test_a_write_raises_the_revision_once_committed_from_any_connection(db_url: str, tmp_path: object) -> None:
    factory = make_sessionmaker(make_engine(db_url))
    other = make_sessionmaker(make_engine(db_url))  # as another process would (its own connections)
    layout = Layout(tmp_path)  # type: ignore[arg-type]
    with factory() as s:
        start = revision.current(s)
        assert start is not None
        projects.create_project(s, SYSTEM, layout, "P", "")
        s.flush()
        with other() as o:
            assert revision.current(o) == start  # not before the commit
        s.commit()
        after_project = revision.current(s)
        assert after_project is not None and after_project > start
    with other() as o:
        assert revision.current(o) == after_project
        access = project_access(o, SYSTEM, "P")
        patient = nodes.create_patient(o, access, layout, "PAT1")
        o.commit()
        study = nodes.create_study(o, access, layout, patient, "S1")
        o.commit()
        o.execute(insert(StudyTag), [{"study_id": study.id, "tag": f"t{i}"} for i in range(50)])
        o.commit()
    with factory() as s:
        after_rows = revision.current(s)
        assert after_rows is not None and after_rows > after_project
        # plain SQL, an UPDATE of rows that exist and a DELETE raise it too
        s.execute(update(Patient).values(name="X"))
        s.commit()
        after_update = revision.current(s)
        assert after_update is not None and after_update > after_rows
        s.execute(text("DELETE FROM study_tags WHERE tag = 't1'"))
        s.commit()
        after_delete = revision.current(s)
        assert after_delete is not None and after_delete > after_update
        # a rolled-back write and a plain read leave it alone
        s.execute(update(Project).values(description="never"))
        s.rollback()
        s.execute(text("SELECT count(*) FROM patients")).scalar()
        assert revision.current(s) == after_delete


def test_postgres_raises_it_once_per_transaction_sqlite_per_row(db_url: str, tmp_path: object) -> None:
    factory = make_sessionmaker(make_engine(db_url))
    with factory() as s:
        projects.create_project(s, SYSTEM, Layout(tmp_path), "P", "")  # type: ignore[arg-type]
        s.commit()
        start = revision.current(s)
        assert start is not None
        s.execute(update(Project).values(description="a"))
        s.execute(update(Project).values(description="b"))
        s.commit()
        # PostgreSQL's deferred trigger raises it at the commit, once; SQLite's row triggers per row written
        expected = 1 if s.get_bind().dialect.name == "postgresql" else 2
        assert revision.current(s) == start + expected
