"""Shared fixtures: every database test runs on SQLite and on PostgreSQL (a temporary cluster)."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from tests.support.pgcluster import TempCluster
from tests.support.slurmcluster import SlurmCluster, slurm_missing

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


def _server_url(server: TempCluster | str, db: str) -> str:
    if isinstance(server, str):
        return server.rsplit("/", 1)[0] + "/" + db
    return server.url(db)


@pytest.fixture(scope="session")
def pg_template(pg_server: TempCluster | str) -> str:
    """A migrated database that fresh test databases are copied from (CREATE DATABASE ... TEMPLATE)."""
    from nora.archive.db import make_engine
    from nora.archive.migrate import upgrade

    name = f"nora_template_{os.getpid()}"
    admin = create_engine(_server_url(pg_server, "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    eng = make_engine(_server_url(pg_server, name))
    upgrade(eng)
    eng.dispose()
    return name


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database file that fresh test databases are copies of (as pg_template is for
    PostgreSQL): migrating from nothing costs more than half a second per test, copying the file nothing."""
    from nora.archive.db import make_engine
    from nora.archive.migrate import upgrade

    path = tmp_path_factory.mktemp("sqlite-template") / "nora.sqlite"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    eng.dispose()  # the last connection checkpoints the WAL into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


def new_database_url(request: pytest.FixtureRequest, engine_kind: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh, already migrated database of the given kind, copied from a template."""
    if engine_kind == "sqlite":
        path = tmp_path_factory.mktemp("db") / "nora.sqlite"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    server = request.getfixturevalue("pg_server")
    template = request.getfixturevalue("pg_template")
    name = f"nora_test_{os.getpid()}_{next(_counter)}"
    admin = create_engine(_server_url(server, "postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    return _server_url(server, name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database without rows, once per engine."""
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


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """argon2's production cost (~0.2 s a hash) dominates fixtures that create users; tests use a cheap one.

    Only the cost parameters change: the same argon2id code hashes and verifies.
    """
    from argon2 import PasswordHasher

    from nora.archive.services import accounts

    original = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    accounts._hasher = original


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlurmCluster]:
    """One real single-node Slurm for the whole session (the executor contract and the Slurm tests)."""
    missing = slurm_missing()
    if missing:
        pytest.fail(missing)
    cluster = SlurmCluster(tmp_path_factory.mktemp("slurm"))
    cluster.start()
    yield cluster
    cluster.stop()
