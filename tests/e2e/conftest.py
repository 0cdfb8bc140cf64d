"""A real server (Uvicorn subprocess) on a temporary data root with the demo project, and headless Chromium.

Chromium is Debian's (/usr/bin/chromium), driven by Python Playwright; never `playwright install`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import insert

from nora.archive.db import make_engine, make_sessionmaker
from nora.archive.models import Patient, Study
from nora.archive.services import projects, rights
from nora.archive.services.access import SYSTEM
from nora.archive.services.setup import build_demo, init_database
from nora.archive.storage import Layout
from nora.reading.demo import add_demo_reading
from tests.support.pgcluster import free_port

CHROMIUM = os.environ.get("NORA_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--use-gl=angle",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
FRONTEND = Path(__file__).resolve().parents[2] / "frontend" / "dist" / "index.html"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "e2e-admin-password"


@dataclass
class Server:
    url: str
    home: Path
    pid: int = 0


def _fill_big_project(db_url: str, layout: Layout, n: int = 10_000) -> None:
    """A project of ``n`` studies (one per patient), inserted in bulk, to check the table stays responsive."""
    factory = make_sessionmaker(make_engine(db_url))
    with factory() as s:
        project = projects.create_project(s, SYSTEM, layout, "BIG", "10,000 studies")
        s.flush()
        s.execute(
            insert(Patient),
            [
                {"project_id": project.id, "pid": f"P{i:05d}", "pid_lc": f"p{i:05d}", "name": f"Name{i}"}
                for i in range(n)
            ],
        )
        ids = dict(s.query(Patient.pid, Patient.id).filter(Patient.project_id == project.id).all())
        s.execute(
            insert(Study),
            [
                {
                    "project_id": project.id,
                    "patient_id": ids[f"P{i:05d}"],
                    "sid": "S1",
                    "sid_lc": "s1",
                    "description": "ct head" if i % 3 else "mr brain",
                    "modality": "CT" if i % 3 else "MR",
                }
                for i in range(n)
            ],
        )
        s.commit()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not FRONTEND.is_file():
        pytest.fail("frontend not built: run scripts/setup.sh (npm run build in frontend/)")
    home = tmp_path_factory.mktemp("nora-home")
    db_url = f"sqlite:///{home / 'nora.sqlite'}"
    layout = Layout(home)
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as s:
        init_database(engine, layout, s, "admin", PASSWORD)
        build_demo(s, layout, SYSTEM)
        add_demo_reading(s, SYSTEM, "DEMO")
        from nora.archive.services import accounts

        accounts.create_user(s, SYSTEM, "reader", "reader-password")
        rights.grant(s, SYSTEM, "reader", "DEMO", rights.RightSpec(readonly=True))
        s.commit()
    engine.dispose()
    _fill_big_project(db_url, layout)
    with running_server(home, db_url) as srv:
        yield srv


@contextmanager
def running_server(home: Path, db_url: str, src: Path | None = None) -> Iterator[Server]:
    """``nora serve``'s app under Uvicorn in a subprocess on a free port, until the block ends (``src``:
    another tree's ``src`` folder to import ``nora`` from, for a benchmark's baseline)."""
    port = free_port()
    env = {**os.environ, "NORA_HOME": str(home), "NORA_DATABASE_URL": db_url}
    if src is not None:
        env["PYTHONPATH"] = str(src)
    for key in ("NORA_PACS", "NORA_DICOM_NODES"):  # only the data root's nora.toml configures peers
        env.pop(key, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "nora.api.server:app_factory"]
        + ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    # a deadline, not a timing: the server starts in seconds, but on a loaded 2-core machine it took more
    # than 30 s once; a server that exits fails at once
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail(f"server did not start (exit status {proc.poll()})")
    try:
        yield Server(url, home, proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# Waits, not timings: on a loaded 2-core CI machine a study's files or a preset list can take more than
# Playwright's default 5 s to appear, so every expectation waits up to 20 s before it fails.
EXPECT_TIMEOUT_MS = 20_000


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: scripts/setup.sh --test installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        from playwright.sync_api import expect

        expect.set_options(timeout=EXPECT_TIMEOUT_MS)
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: object, server: Server) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    pg = context.new_page()
    yield pg
    context.close()


def shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))  # type: ignore[attr-defined]


def rendered(page: object) -> None:
    """Wait until the page has drawn two more frames: whatever the inputs sent so far changed has reached
    the DOM and the viewer by then (React runs an input's effects before the next frame). The barrier
    before asserting that an input changed nothing, in place of a fixed sleep."""
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(null))))")  # type: ignore[attr-defined]


def crosshair_moved(page: object, before: object) -> list[float]:
    """Wait for the viewer's crosshair (world mm) to leave ``before`` (after a click), and return it."""
    page.wait_for_function(  # type: ignore[attr-defined]
        """(prev) => {
            const mm = window.noraViewer && window.noraViewer.crosshairMM;
            return mm != null && (prev == null || mm.some((v, i) => v !== prev[i]));
        }""",
        arg=before,
    )
    rendered(page)
    return list(page.evaluate("() => window.noraViewer.crosshairMM"))  # type: ignore[attr-defined]
