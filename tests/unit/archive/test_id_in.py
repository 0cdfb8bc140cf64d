"""``nora.archive.db.id_in``: the same rows as ``IN`` on both engines (an array parameter on PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import Engine, insert, select

from nora.archive.db import id_in, make_sessionmaker
from nora.archive.models import Project


def test_id_in_selects_exactly_the_listed_ids(engine: Engine) -> None:
    with make_sessionmaker(engine)() as s:
        s.execute(insert(Project), [{"name": f"P{i}", "description": "", "settings": {}} for i in range(300)])
        ids = list(s.scalars(select(Project.id).order_by(Project.id)))
        wanted = ids[::3][:200]
        for listed in (wanted, [ids[5]], [], [10**9]):
            found = list(s.scalars(select(Project.id).where(id_in(s, Project.id, listed)).order_by(Project.id)))
            assert found == sorted(set(listed) & set(ids))
        sql = str(select(Project.id).where(id_in(s, Project.id, wanted)).compile(s.get_bind()))
        assert ("ANY" in sql) == (engine.dialect.name == "postgresql")
