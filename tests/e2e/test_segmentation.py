"""Deep-learning segmentation from the batch tool: the Patchwork 3D form shows its parameters and switches
the batch to the cohort level; a short training on the template study ends with a model the project lists,
which Apply Patchwork's model picker offers with its inputs and provenance."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, shot
from tests.e2e.test_desktop import choose, login
from tests.e2e.test_viewer import api

pytestmark = pytest.mark.e2e


def test_train_a_patchwork_model_from_the_batch_tool(page: Page, server: Server) -> None:
    login(page, server)
    choose(page, "DEMO")
    page.get_by_test_id("filter-pid").fill("mni001")
    expect(page.get_by_test_id("study-row")).to_have_count(1)
    page.get_by_test_id("open-batchtool").click()
    tool = page.get_by_test_id("batch-tool")
    tool.get_by_test_id("pick-all").click()
    tool.get_by_test_id("job-menu").select_option("patchwork_train")
    tool.get_by_test_id("add-job").click()
    expect(tool.get_by_label("Selection level")).to_have_value("cohort")
    for name in ("contrast1", "label1", "model", "depth", "patch", "voxel_mm", "foreground", "learning_rate"):
        expect(tool.locator(f'[data-testid="arg-row"][data-arg="{name}"]')).to_have_count(1)
    expect(tool.get_by_test_id("arg-iterations")).to_have_value("2500")
    expect(tool.get_by_test_id("arg-depth")).to_have_value("3")
    values = {
        "contrast1": "t1_mni/*.nii*",
        "label1": "seg/wm*",
        "model": "models/e2e",
        "depth": "2",
        "patch": "16",
        "voxel_mm": "4",
        "iterations": "4",
        "epoch": "2",
        "batch": "1",
    }
    for name, value in values.items():
        tool.get_by_test_id(f"arg-{name}").fill(value)
    shot(page, "segmentation-train-form")
    tool.get_by_test_id("launch").click()
    expect(tool.get_by_test_id("launch-result")).to_contain_text("1 jobs")
    monitor = page.get_by_test_id("job-monitor")
    monitor.get_by_test_id("hide-done").uncheck()
    # other tests' jobs of the project are listed too: this batch's job by its name
    ours = monitor.locator('[data-testid="job-row"]').filter(has_text="patchwork")
    expect(ours).to_have_count(1)
    expect(ours.first).to_have_attribute("data-state", "d", timeout=120_000)  # torch starts, the template loads
    models = page.request.get(f"{server.url}/api/projects/DEMO/segmentation/models").json()
    assert [(m["folder"], m["version"], m["training"]) for m in models] == [("models/e2e", 2, ["MNI001#20240105"])]

    # Apply Patchwork: the model row offers the project's models with their inputs, not a text field
    tool.get_by_test_id("batch-new").click()
    tool.get_by_test_id("job-menu").select_option("patchwork_apply")
    tool.get_by_test_id("add-job").click()
    picker = tool.get_by_test_id("model-picker")
    expect(picker.locator("option", has_text="models/e2e")).to_have_count(1)
    picker.select_option("models/e2e/model_patchwork.json")
    expect(tool.get_by_test_id("model-inputs")).to_have_text("e2e v2: contrast1 t1_mni/*.nii* → label 1 seg/wm*")
    about = tool.get_by_test_id("model-about")
    expect(about).to_contain_text("by admin, trained on 1 study, 0 held out")
    expect(about).to_have_attribute("title", re.compile(r"^parameters: depth 2, patch 16, "))
    expect(tool.get_by_test_id("model-unknown")).to_have_count(0)
    tool.get_by_test_id("arg-contrast1").fill("t1_mni/*.nii*")
    tool.get_by_test_id("arg-output").fill("ROIS/wm_pw.nii.gz")
    shot(page, "segmentation-apply-model-picker")
    tool.get_by_test_id("launch").click()
    expect(tool.get_by_test_id("launch-result")).to_contain_text("1 jobs")
    applied = monitor.locator('[data-testid="job-row"]').filter(has_text="patchwork_apply")
    expect(applied).to_have_count(1)
    expect(applied.first).to_have_attribute("data-state", "d", timeout=120_000)
    # the mask became the study's ROI; removed again, since the study's series list is counted by
    # tests/e2e/test_study_browser.py on the same server
    study = "/api/projects/DEMO/patients/MNI001/studies/20240105"
    client = api(server)
    assert client.get(f"{study}/rois/wm_pw").status_code == 200
    assert client.delete(f"{study}/rois/wm_pw").status_code == 204
