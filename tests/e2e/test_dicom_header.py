"""The DICOM header viewer in the page: a converted image's kept originals (every instance) searchable by
tag number and name, its JSON sidecar beside them; a DICOM file's own header. Own project HDRE2E."""

from __future__ import annotations

import json
from contextlib import closing
from pathlib import Path

import pytest
from nibabel.testing import data_path
from playwright.sync_api import Page, expect
from pydicom.data import get_testdata_file

from tests.e2e.conftest import Server, shot
from tests.e2e.test_desktop import choose, login
from tests.e2e.test_files_actions import admin_api, new_project

pytestmark = pytest.mark.e2e
PROJECT = "HDRE2E"


@pytest.fixture(scope="module")
def header_project(server: Server) -> str:
    with closing(admin_api(server)) as c:
        if new_project(c, PROJECT, "HP1"):
            sidecar = {"Modality": "CT", "SeriesDescription": "head", "EchoTime": 0.01, "ImageType": ["ORIGINAL"]}
            files = [
                ("conv/s003.nii", (Path(data_path) / "anatomical.nii").read_bytes()),
                ("conv/s003.json", json.dumps(sidecar).encode()),
                ("conv/s003_dicom/1.dcm", Path(str(get_testdata_file("CT_small.dcm"))).read_bytes()),
                ("conv/s003_dicom/2.dcm", Path(str(get_testdata_file("MR_small.dcm"))).read_bytes()),
            ]
            r = c.post(f"/api/projects/{PROJECT}/patients/HP1/studies/S1/files", files=[("file", f) for f in files])
            assert r.status_code == 201, r.text
    return PROJECT


def test_header_of_a_converted_image_with_its_sidecar_and_of_a_dicom_file(
    page: Page, server: Server, header_project: str
) -> None:
    login(page, server)
    choose(page, header_project)
    page.locator('[data-testid="study-row"][data-pid="HP1"]').click()
    page.locator('[data-testid="file-row"][data-path="conv/s003.nii"]').click(button="right")
    page.get_by_test_id("ctx-dicom-header").click()
    dialog = page.get_by_test_id("dicom-header")
    modality = dialog.locator('[data-testid="header-row"][data-keyword="Modality"]')
    expect(modality).to_contain_text("CT")
    expect(dialog.get_by_test_id("header-instances")).to_contain_text("of 2")
    expect(dialog.locator('[data-testid="sidecar-row"][data-key="SeriesDescription"]')).to_contain_text("head")

    dialog.get_by_test_id("header-search").fill("0008,0060")
    expect(dialog.get_by_test_id("header-row")).to_have_count(1)
    expect(modality).to_be_visible()
    dialog.get_by_test_id("header-search").fill("patient's name")
    expect(dialog.locator('[data-testid="header-row"][data-tag="0010,0010"]')).to_be_visible()
    dialog.get_by_test_id("header-search").fill("echo")
    expect(dialog.get_by_test_id("sidecar-row")).to_have_count(1)
    expect(dialog.locator('[data-testid="sidecar-row"][data-key="EchoTime"]')).to_be_visible()
    dialog.get_by_test_id("header-search").fill("")
    dialog.get_by_test_id("header-next").click()
    expect(modality).to_contain_text("MR")
    shot(page, "dicom-header-converted")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    page.locator('[data-testid="file-row"][data-path="conv/s003_dicom/1.dcm"]').click(button="right")
    page.get_by_test_id("ctx-dicom-header").click()
    expect(modality).to_contain_text("CT")
    expect(dialog.get_by_test_id("header-sidecar")).to_have_count(0)
    dialog.get_by_test_id("header-close").click()

    page.locator('[data-testid="file-row"][data-path="conv/s003.json"]').click(button="right")
    page.get_by_test_id("ctx-dicom-header").click()
    expect(dialog.get_by_test_id("header-sidecar")).to_contain_text("EchoTime")
