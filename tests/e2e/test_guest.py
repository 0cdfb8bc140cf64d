"""The guest desktop: a public project opened without an account, from the login page and by a shared link.

A project with ``public: true`` is listed on the login page; opening it shows the table and the viewer
read-only (no import, PACS, batch tool, tags, link or preset saving). A shared link to a public project
opens for a visitor who is not logged in; a link to a project that is not public asks for a login.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nibabel as nib
import pytest
from nibabel.testing import data_path
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, shot
from tests.e2e.test_desktop import choose, login
from tests.e2e.test_viewer import LOAD_MS, api, engine_debug, file_row, items, wait_idle

pytestmark = pytest.mark.e2e
OPEN = "OPENDATA"


@pytest.fixture(scope="module")
def public_project(server: Server) -> dict[str, Any]:
    """A public project with one study holding nibabel's anatomical.nii, and a shared link into it."""
    c = api(server)
    r = c.post("/api/projects", json={"name": OPEN, "description": "open data", "settings": {"public": True}})
    assert r.status_code == 201, r.text
    assert c.post(f"/api/projects/{OPEN}/patients", json={"pid": "PUB01"}).status_code == 201
    assert c.post(f"/api/projects/{OPEN}/patients/PUB01/studies", json={"sid": "S1"}).status_code == 201
    raw = (Path(data_path) / "anatomical.nii").read_bytes()
    r = c.post(f"/api/projects/{OPEN}/patients/PUB01/studies/S1/files", files={"file": ("anat/t1.nii", raw)})
    assert r.status_code == 201, r.text
    fid = int(r.json()[0]["id"])
    state = {
        "layout": "1x2",
        "pid": "PUB01",
        "sid": "S1",
        "crosshair_mm": None,
        "viewports": [
            {
                "slice": "axial",
                "items": [{"file_id": fid, "name": "t1.nii", "colormap": "hot", "cal_min": 10, "cal_max": 80}],
            },
            {"slice": "coronal", "items": [{"file_id": fid, "name": "t1.nii"}]},
        ],
    }
    r = c.post(f"/api/projects/{OPEN}/viewer/sharedstates", json={"state": state, "title": "open case"})
    assert r.status_code == 201, r.text
    return {"file_id": fid, "url": r.json()["url"]}


def test_public_project_from_the_login_page(browser: Any, server: Server, public_project: dict[str, Any]) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page: Page = context.new_page()
    page.goto(server.url)
    entry = page.locator(f'[data-testid="guest-project"][data-name="{OPEN}"]')
    expect(entry).to_be_visible()
    expect(page.get_by_test_id("guest-project")).to_have_count(1)  # DEMO is not public
    entry.click()
    expect(page.get_by_test_id("guest-badge")).to_be_visible()
    expect(page.get_by_test_id("current-user")).to_have_text("guest")
    expect(page.get_by_test_id("project-select")).to_have_value(OPEN)
    # read-only desktop: the table and files are there, nothing that writes is offered
    page.locator('[data-testid="study-row"][data-pid="PUB01"]').click()
    file_row(page, "anat/t1.nii").dblclick()
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(page)
    value = page.locator('[data-testid="voxel-value"][data-name="t1.nii"]')
    expect(value).to_have_count(1)
    img = nib.load(Path(data_path) / "anatomical.nii")
    vox = [int(v) for v in page.evaluate("() => window.noraViewer.values()[0].vox")]
    expected = float(img.get_fdata()[tuple(vox)])
    assert float(value.get_attribute("data-value") or "nan") == pytest.approx(expected, rel=1e-4)
    for absent in ("share-button", "open-import", "open-pacs", "open-batchtool", "open-gridstats", "logout"):
        expect(page.get_by_test_id(absent)).to_have_count(0)
    page.locator('[data-testid="study-row"][data-pid="PUB01"]').click(button="right")
    menu_items = page.locator("[data-testid=context-menu] button:not([disabled])")
    expect(menu_items.filter(has_text="tag")).to_have_count(0)
    shot(page, "guest-desktop")
    # "Log in" leaves the guest desktop for the login page
    page.keyboard.press("Escape")
    page.get_by_test_id("guest-login").click()
    expect(page.get_by_test_id("login-username")).to_be_visible()
    context.close()


def test_a_shared_link_opens_for_a_visitor_only_in_a_public_project(
    browser: Any, server: Server, public_project: dict[str, Any]
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page: Page = context.new_page()
    page.goto(server.url + public_project["url"])
    expect(page.get_by_test_id("guest-badge")).to_be_visible()
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    expect(items(page, 1)).to_have_count(1, timeout=LOAD_MS)
    expect(page.get_by_test_id("layout-select")).to_have_value("1x2")
    wait_idle(page)
    first = engine_debug(page)[0]["volumes"][0]
    assert (first["colormap"], first["cal_min"], first["cal_max"]) == ("hot", 10, 80)
    shot(page, "guest-shared-link")
    context.close()
    # a link into DEMO (not public) needs a login, and says so only by showing the login page
    c = api(server)
    fid = int(c.get("/api/projects/DEMO/patients/SUBJ002/studies/20230611/files").json()[0]["id"])
    state = {"layout": "single", "viewports": [{"slice": "axial", "items": [{"file_id": fid, "name": "x"}]}]}
    url = c.post("/api/projects/DEMO/viewer/sharedstates", json={"state": state}).json()["url"]
    context = browser.new_context()
    page = context.new_page()
    page.goto(server.url + url)
    expect(page.get_by_test_id("login-username")).to_be_visible()
    expect(page.get_by_test_id("guest-badge")).to_have_count(0)
    context.close()


def test_a_user_without_a_right_reads_a_public_project_as_a_guest(
    page: Page, server: Server, public_project: dict[str, Any]
) -> None:
    login(page, server, "reader", "reader-password")  # a right on DEMO only
    choose(page, OPEN)
    expect(page.get_by_test_id("guest-badge")).to_be_visible()
    expect(page.get_by_test_id("current-user")).to_have_text("reader")
    page.locator('[data-testid="study-row"][data-pid="PUB01"]').click()
    file_row(page, "anat/t1.nii").dblclick()
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    for absent in ("share-button", "open-import", "open-pacs", "open-batchtool"):
        expect(page.get_by_test_id(absent)).to_have_count(0)
    choose(page, "DEMO")  # their own project: the tools are back, read-only as their right says
    expect(page.get_by_test_id("share-button")).to_be_visible()
    expect(page.get_by_test_id("readonly-badge")).to_be_visible()
