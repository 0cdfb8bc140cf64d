"""The files panel's actions in the page: upload into a study or its patient folder, rename, move to the
trash and restore; read-only users see them disabled. Runs in a project of its own (FILESE2E)."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import httpx
import pytest
from nibabel.testing import data_path
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD, Server, shot
from tests.e2e.test_desktop import choose, login

pytestmark = pytest.mark.e2e
PROJECT = "FILESE2E"
NIFTI = Path(data_path) / "anatomical.nii"


def admin_api(server: Server) -> httpx.Client:
    c = httpx.Client(base_url=server.url, timeout=60)
    assert c.post("/api/auth/login", json={"username": "admin", "password": PASSWORD}).status_code == 200
    return c


def new_project(c: httpx.Client, name: str, pid: str, description: str = "") -> bool:
    """A project with one patient ``pid`` and its empty study ``S1``; False when it exists already."""
    if c.get(f"/api/projects/{name}").status_code != 404:
        return False
    assert c.post("/api/projects", json={"name": name, "description": description}).status_code == 201
    assert c.post(f"/api/projects/{name}/patients", json={"pid": pid}).status_code == 201
    assert c.post(f"/api/projects/{name}/patients/{pid}/studies", json={"sid": "S1"}).status_code == 201
    return True


@pytest.fixture(scope="module")
def files_project(server: Server) -> str:
    """A project with one patient and one empty study; ``reader`` reads it only."""
    with closing(admin_api(server)) as c:
        if new_project(c, PROJECT, "FP1", "files panel"):
            r = c.put(f"/api/projects/{PROJECT}/rights/reader", json={"role": "user", "readonly": True})
            assert r.status_code == 200, r.text
    return PROJECT


def row(page: Page, path: str) -> object:
    return page.locator(f'[data-testid="file-row"][data-path="{path}"]')


def test_upload_rename_trash_and_restore_in_the_files_panel(page: Page, server: Server, files_project: str) -> None:
    login(page, server)
    choose(page, files_project)
    page.locator('[data-testid="study-row"][data-pid="FP1"]').click()
    expect(page.get_by_test_id("files-panel")).to_contain_text("This study has no files")

    page.get_by_test_id("files-upload").click()
    dialog = page.get_by_test_id("upload-dialog")
    dialog.get_by_test_id("upload-folder").fill("anat")
    dialog.get_by_test_id("upload-input").set_input_files(str(NIFTI))
    shot(page, "files-upload-dialog")
    dialog.get_by_test_id("upload-submit").click()
    expect(dialog).to_be_hidden()
    uploaded = page.locator('[data-testid="file-row"][data-path="anat/anatomical.nii"]')
    expect(uploaded).to_be_visible()
    expect(page.locator('[data-testid="study-row"][data-pid="FP1"]')).to_contain_text("1")

    # a bad upload is refused with the server's reason in the dialog, nothing stored
    page.get_by_test_id("files-upload").click()
    dialog.get_by_test_id("upload-input").set_input_files(
        files=[{"name": "broken.nii", "mimeType": "application/octet-stream", "buffer": b"not an image" * 40}]
    )
    dialog.get_by_test_id("upload-submit").click()
    expect(dialog.get_by_test_id("upload-error")).to_contain_text("broken.nii")
    dialog.get_by_test_id("upload-cancel").click()

    uploaded.click(button="right")
    page.get_by_test_id("ctx-rename-file").click()
    rename = page.get_by_test_id("rename-dialog")
    rename.get_by_test_id("rename-input").fill("anat/t1.nii.gz")
    rename.get_by_test_id("rename-submit").click()
    expect(rename.get_by_test_id("rename-error")).to_contain_text("extension .nii")
    rename.get_by_test_id("rename-input").fill("../t1.nii")
    rename.get_by_test_id("rename-submit").click()
    expect(rename.get_by_test_id("rename-error")).to_contain_text("not allowed")
    rename.get_by_test_id("rename-input").fill("anat/t1_mprage.nii")
    rename.get_by_test_id("rename-submit").click()
    renamed = page.locator('[data-testid="file-row"][data-path="anat/t1_mprage.nii"]')
    expect(renamed).to_be_visible()
    expect(uploaded).to_have_count(0)

    renamed.click(button="right")
    page.get_by_test_id("ctx-trash-file").click()
    expect(renamed).to_have_count(0)
    page.get_by_test_id("files-trash").click()
    trash = page.get_by_test_id("trash-dialog")
    entry = trash.locator('[data-testid="trash-row"][data-path="anat/t1_mprage.nii"]')
    expect(entry).to_contain_text("FP1 / S1")
    shot(page, "files-trash-dialog")
    entry.get_by_test_id("trash-restore").click()
    expect(entry).to_have_count(0)
    trash.get_by_test_id("trash-close").click()
    expect(renamed).to_be_visible()
    shot(page, "files-restored")


def test_read_only_user_sees_the_file_actions_disabled(page: Page, server: Server, files_project: str) -> None:
    with closing(admin_api(server)) as c:
        r = c.post(
            f"/api/projects/{files_project}/patients/FP1/studies/S1/files",
            files={"file": ("ro/seen.nii", NIFTI.read_bytes())},
            data={"overwrite": "true"},
        )
        assert r.status_code == 201, r.text
    login(page, server, "reader", "reader-password")
    choose(page, files_project)
    page.locator('[data-testid="study-row"][data-pid="FP1"]').click()
    seen = page.locator('[data-testid="file-row"][data-path="ro/seen.nii"]')
    expect(seen).to_be_visible()
    expect(page.get_by_test_id("files-upload")).to_be_disabled()
    seen.click(button="right")
    expect(page.get_by_test_id("ctx-rename-file")).to_be_disabled()
    expect(page.get_by_test_id("ctx-trash-file")).to_be_disabled()
