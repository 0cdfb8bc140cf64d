"""Shared fixtures: every database test runs on SQLite and on PostgreSQL (a temporary cluster)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from tests.support.pgcluster import TempCluster

_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[TempCluster | str]:
    """A PostgreSQL server for the session: NORA_TEST_DATABASE_URL's, or a temporary cluster."""
    url = os.environ.get("NORA_TEST_DATABASE_URL")
    if url:
        yield url
        return
    cluster = TempCluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


def new_database_url(request: pytest.FixtureRequest, engine_kind: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh, empty database of the given kind."""
    if engine_kind == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'nora.sqlite'}"
    server = request.getfixturevalue("pg_server")
    name = f"nora_test_{os.getpid()}_{next(_counter)}"
    if isinstance(server, str):
        from sqlalchemy import create_engine

        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return server.rsplit("/", 1)[0] + "/" + name
    return server.create_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An empty database URL, once per engine."""
    return new_database_url(request, request.param, tmp_path_factory)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a migrated, empty database (SQLite and PostgreSQL)."""
    from nora.archive.db import make_engine
    from nora.archive.migrate import upgrade

    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()
