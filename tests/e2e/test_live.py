"""Live tables across two browser sessions of two users: an admin's tag, an import, a new file and a
failing job appear in a read-only user's table, files panel and job indicators without a reload."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from nibabel.testing import data_path
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import PASSWORD, Server, shot
from tests.e2e.test_desktop import choose, login

pytestmark = pytest.mark.e2e

PROJECT = "LIVE"
NIFTI = (Path(data_path) / "anatomical.nii").read_bytes()


@pytest.fixture
def admin_api(server: Server) -> Iterator[httpx.Client]:
    """The REST API as the admin (cookie session), with a project LIVE the reader may read."""
    with httpx.Client(base_url=f"{server.url}/api", timeout=30) as c:
        assert c.post("/auth/login", json={"username": "admin", "password": PASSWORD}).status_code == 200
        if c.get(f"/projects/{PROJECT}").status_code == 404:
            assert c.post("/projects", json={"name": PROJECT, "description": "live tables"}).status_code == 201
            assert c.put(f"/projects/{PROJECT}/rights/reader", json={"readonly": True}).status_code == 200
            assert c.post(f"/projects/{PROJECT}/patients", json={"pid": "LIVE1"}).status_code == 201
            assert c.post(f"/projects/{PROJECT}/patients/LIVE1/studies", json={"sid": "S1"}).status_code == 201
        yield c


@pytest.fixture
def reader(browser: Browser, server: Server) -> Iterator[Page]:
    """A second browser session: the read-only user."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    yield pg
    context.close()


def test_tables_follow_other_users_changes(page: Page, reader: Page, server: Server, admin_api: httpx.Client) -> None:
    login(page, server)
    choose(page, PROJECT)
    login(reader, server, "reader", "reader-password")
    choose(reader, PROJECT)
    count = reader.get_by_test_id("study-count")
    expect(count).to_have_text("1 of 1 studies")
    reader.locator('[data-testid="study-row"][data-pid="LIVE1"]').click()
    expect(reader.get_by_test_id("files-panel")).to_contain_text("no files")

    # the admin tags the study in their page: the reader's row shows the tag
    page.locator('[data-testid="study-row"][data-pid="LIVE1"]').click(button="right")
    page.get_by_test_id("ctx-add-study-tag").click()
    page.get_by_test_id("tag-input").fill("livetag")
    page.get_by_test_id("tag-submit").click()
    row = reader.locator('[data-testid="study-row"][data-pid="LIVE1"]')
    expect(row.get_by_test_id("stag-chip")).to_have_text("livetag")

    # an import (a new patient and study): both counts of the header follow
    assert admin_api.post(f"/projects/{PROJECT}/patients", json={"pid": "LIVE2"}).status_code == 201
    assert admin_api.post(f"/projects/{PROJECT}/patients/LIVE2/studies", json={"sid": "S1"}).status_code == 201
    expect(count).to_have_text("2 of 2 studies")

    # a file uploaded into the selected study: the files panel and #files follow
    upload = {"files": {"file": ("a.nii", NIFTI)}, "data": {"folder": "t1"}}
    r = admin_api.post(f"/projects/{PROJECT}/patients/LIVE1/studies/S1/files", **upload)
    assert r.status_code == 201, r.text
    expect(reader.get_by_test_id("file-row")).to_have_count(1)
    expect(row.locator(".cell.right")).to_have_text("1")

    # a failing job: its indicator appears in the row when it ends
    arg = {"name": "f1", "type": "FILE", "value": "t1*"}
    batch = {"jobs": [{"job": "bash", "script": "exit 3\necho $f1", "args": [arg]}]}
    launched = admin_api.post(f"/projects/{PROJECT}/batches", json={"batch": batch, "rows": ["LIVE1#S1"]})
    assert launched.status_code == 201, launched.text
    expect(row.locator(".job-e")).to_have_text("e1", timeout=30_000)
    shot(reader, "live-reader-table")
