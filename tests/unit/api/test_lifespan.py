"""The app factory's one lifespan starts recovery, DICOM nodes, workers and the daemon in that order,
and stops them in the reverse order; nothing starts before the app starts."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from nora.api.app import create_app
from nora.archive.db import make_engine, make_sessionmaker
from nora.archive.services.setup import init_database
from nora.archive.storage import Layout
from nora.core.settings import DicomNodeSettings, Settings
from tests.support.pgcluster import free_port

ORDER = ["recovery", "dicom nodes", "workers", "daemon"]


def _steps(caplog: pytest.LogCaptureFixture, verb: str) -> list[str]:
    return [r.getMessage().removeprefix(f"{verb}: ") for r in caplog.records if r.getMessage().startswith(f"{verb}: ")]


def test_lifespan_starts_and_stops_the_services_in_order(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "home"
    node = DicomNodeSettings(name="move", ae_title="NORAMOVE", port=free_port(), host="127.0.0.1", type="move")
    settings = Settings(home=home, database_url=db_url, dicom_nodes=[node])
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as s:
        init_database(engine, Layout(home), s, "admin", "admin-password")
        s.commit()
    caplog.set_level(logging.INFO, logger="nora.runtime")
    app = create_app(settings, frontend_dist=home / "none")
    services = app.state.nora.services
    assert services.started == [] and _steps(caplog, "started") == []  # nothing runs at import or build time
    with TestClient(app) as client:
        assert client.get("/api/health").status_code == 200
        assert _steps(caplog, "started") == ORDER
        assert services.daemon is not None and services.daemon.thread.is_alive()
        assert list(services.nodes.running) == ["move"]
    assert _steps(caplog, "stopped") == list(reversed(ORDER))
    assert services.started == [] and services.nodes.running == {}
