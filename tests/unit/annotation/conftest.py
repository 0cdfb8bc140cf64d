"""Fixtures of the annotation tests: the importing tests' archive (a project P on SQLite and PostgreSQL)."""

from tests.unit.importing.conftest import archive  # noqa: F401 (a fixture, used by name)
