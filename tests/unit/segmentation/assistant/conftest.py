"""The API test environment (one client per role, SQLite and PostgreSQL) for the assistant's tests."""

from tests.unit.api.conftest import env

__all__ = ["env"]
