"""The reading tool in the browser: the list, a case opened with the reading's autoloader, answers given
with the keys, the next case, the results and their CSV export (the demo project's reading)."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import Server, shot
from tests.e2e.test_desktop import choose, login
from tests.e2e.test_viewer import LOAD_MS, items

pytestmark = pytest.mark.e2e


def test_read_cases_with_the_keys_and_export_the_results(browser: Browser, server: Server) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    try:
        _read_and_export(context.new_page(), server)
    finally:
        context.close()


def _read_and_export(page: Page, server: Server) -> None:
    login(page, server)
    choose(page, "DEMO")
    page.get_by_test_id("open-reading").click()
    row = page.locator('[data-testid="reading-row"][data-name="demo-quality"]')
    expect(row.get_by_test_id("reading-stage-training").get_by_test_id("reading-stage-progress")).to_have_text("0 / 1")
    serious = row.get_by_test_id("reading-stage-serious")
    expect(serious.get_by_test_id("reading-stage-progress")).to_have_text("0 / 3")
    row.get_by_test_id("reading-info").click()
    expect(row.get_by_test_id("reading-instructions")).to_contain_text("Enter: next case")

    serious.get_by_test_id("reading-start-serious").click()
    case = page.get_by_test_id("reading-case")
    label = case.get_by_test_id("reading-case-label")
    expect(label).to_contain_text("1 / 3: SUBJ00")
    first = label.inner_text()
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)  # the reading's autoloader opened the case
    expect(page.locator('[data-testid="study-row"].selected')).to_have_count(1)  # and the table follows it

    page.locator("body").click(position={"x": 5, "y": 790})  # the focus on the page, not in a field
    page.keyboard.press("1")  # quality: the first option
    page.keyboard.press("3")  # confidence: the first point of the scale
    page.keyboard.press("3")  # ... and the next one
    quality, confidence = case.get_by_test_id("reading-item-quality"), case.get_by_test_id("reading-item-confidence")
    expect(quality).to_have_attribute("data-value", "good")
    expect(confidence).to_have_attribute("data-value", "2")
    expect(case.get_by_test_id("reading-progress")).to_have_text("1 / 3 done")
    expect(label).to_contain_text("✓")
    shot(page, "reading-case")

    page.keyboard.press("Enter")  # the next unrated case
    expect(label).to_contain_text("2 / 3")
    expect(quality).to_have_attribute("data-value", "")
    case.get_by_text("acceptable").click()  # a click answers too
    expect(case.get_by_test_id("reading-progress")).to_have_text("2 / 3 done")
    page.keyboard.press("ArrowUp")  # back to the first case: its answers are there
    expect(label).to_contain_text(first)
    expect(quality).to_have_attribute("data-value", "good")
    page.keyboard.press("1")  # a changed answer: a new result, the old one kept
    expect(quality).to_have_attribute("data-value", "acceptable")
    expect(case.get_by_test_id("reading-saved")).to_be_visible()

    page.get_by_test_id("reading-refresh").click()
    expect(serious.get_by_test_id("reading-stage-progress")).to_have_text("2 / 3")
    row.get_by_test_id("reading-results-button").click()
    results = page.get_by_test_id("reading-results")
    expect(results.get_by_test_id("reading-results-table").locator("tbody tr")).to_have_count(3)  # current answers
    shot(page, "reading-results")
    with page.expect_download() as saved:
        results.get_by_test_id("reading-export").click()
    lines = saved.value.path().read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("reading,stage,arm,reader,pid,sid,image,repetition,item,value,current")
    assert sum(",quality," in line for line in lines) == 3  # good, then acceptable for case 1; case 2
    assert (
        any(",quality,good,0," in line for line in lines) and sum(",admin," in line for line in lines[1:]) == 5
    )  # every answer given

    # the analysis (reading admins): the form's items analysed; a request the server refuses says why, there
    results.get_by_test_id("reading-analysis-button").click()
    analysis = results.get_by_test_id("reading-analysis")
    analysis.get_by_test_id("reading-positive").fill("nosuchitem=x")
    analysis.get_by_test_id("reading-analyse").click()
    expect(analysis.get_by_test_id("reading-analysis-error")).to_contain_text("nosuchitem")
    analysis.get_by_test_id("reading-positive").fill("")
    analysis.get_by_test_id("reading-analyse").click()
    item = analysis.locator('[data-testid="reading-analysis-item"][data-item="quality"]')
    expect(item).to_contain_text("readers admin")
    expect(analysis.get_by_test_id("reading-analysis-error")).to_have_count(0)
    shot(page, "reading-analysis")
    _annotation_item(page, case)


def _annotation_item(page: Page, case: Locator) -> None:
    """The form's roi item: the case opened the reader's own ROI (made empty), saved in the ROI tool and
    attached; the reading's tools leave out the measurement tools while the case window is open."""
    page.get_by_test_id("reading-results").get_by_role("button", name="×").click()  # it lies over the ROI tool
    expect(page.get_by_test_id("measure-tool")).to_have_count(0)
    expect(page.get_by_test_id("marker-tool-button")).to_have_count(1)
    item = case.get_by_test_id("reading-item-artefact")
    item.get_by_test_id("rd-artefact-attach").click()
    expect(page.get_by_test_id("error-banner")).to_contain_text("save ROIS/artefact_admin.nii.gz in the ROI tool first")
    expect(item).to_have_attribute("data-value", "")
    row = page.locator('[data-testid="roi-row"][data-name="artefact_admin"]')
    expect(row).to_have_count(1, timeout=LOAD_MS)
    row.get_by_test_id("roi-save").click()
    expect(row.get_by_test_id("roi-save")).to_be_enabled()
    item.get_by_test_id("rd-artefact-attach").click()
    expect(item).to_have_attribute("data-value", re.compile(r"^ROIS/artefact_admin\.nii\.gz@\d+$"))
    shot(page, "reading-roi-item")
    case.get_by_role("button", name="×").first.click()  # closing the case window gives every tool back
    expect(page.get_by_test_id("measure-tool")).to_have_count(1)


def test_the_form_designer_says_where_the_json_is_wrong_and_saves_a_reading(page: Page, server: Server) -> None:
    login(page, server)
    choose(page, "DEMO")
    page.get_by_test_id("open-reading").click()
    page.get_by_test_id("reading-new").click()
    designer = page.get_by_test_id("reading-designer")
    json_box, problems = designer.get_by_test_id("designer-json"), designer.get_by_test_id("designer-problems")
    json_box.fill('{"title": "T", "items": [\n  {"type": "number", "name": "n", "min": 5, "max": 1}\n]}')
    expect(problems).to_contain_text("form.items.0.number: min (5) is larger than max (1)")  # the server's rule
    json_box.fill('{"title": "T", "items": [\n  {"type": "radio", "name": "q",\n]}')
    expect(problems).to_contain_text("form line 3")  # broken JSON: where it stops
    json_box.fill('{"title": "T", "items": []}')
    expect(designer.get_by_test_id("designer-valid")).to_be_visible()
    designer.get_by_test_id("designer-insert-likert").click()
    designer.get_by_test_id("designer-insert-radio").click()
    preview = designer.get_by_test_id("designer-preview")
    expect(preview.get_by_test_id("reading-item-confidence")).to_be_visible()
    expect(preview.get_by_test_id("reading-item-finding")).to_be_visible()
    designer.get_by_test_id("designer-tab-reading_template").click()
    expect(json_box).to_have_value(re.compile('"mode_serious"'))
    template = json.loads(json_box.input_value())
    designer.get_by_test_id("designer-tab-reading").click()
    json_box.fill(json.dumps({**template, "reading": {**template["reading"], "random": "sometimes"}}))
    expect(problems).to_contain_text("reading.reading.random")
    json_box.fill(json.dumps(template))
    expect(designer.get_by_test_id("designer-valid")).to_be_visible()
    designer.get_by_test_id("reading-name").fill("e2e-designed")
    shot(page, "reading-designer")
    designer.get_by_test_id("reading-save").click()
    expect(designer.get_by_test_id("designer-status")).to_have_text("saved")
    row = page.locator('[data-testid="reading-row"][data-name="e2e-designed"]')
    expect(row.get_by_test_id("reading-stage-serious").get_by_test_id("reading-stage-progress")).to_have_text(
        re.compile(r"0 / \d+")
    )


def test_a_reader_confined_to_a_blind_reading_reads_without_the_table(page: Page, server: Server) -> None:
    """A blind reading that restricts its reader: the page opens the reading list and asks for no table (no
    403 on the way), the reading opens the cases as "Case N" with their images, by case key."""
    from tests.e2e.test_files_actions import admin_api

    c = admin_api(server)
    try:
        if c.get("/api/projects/DEMO/readings/blind-e2e").status_code == 404:
            r = c.post("/api/admin/users", json={"username": "blindreader", "password": "blind-password-1"})
            assert r.status_code == 201, r.text
            assert c.put("/api/admin/users/blindreader/rights/DEMO", json={}).status_code == 200
            definition = {
                "general": {"readers": ["blindreader"]},
                "form": {"items": [{"type": "radio", "name": "q", "shortcut": 1, "options": [{"value": "a"}]}]},
                "reading": {
                    "reading": {"mode": "blind", "mode_serious": {"selection": "SUBJ003*"}},
                    "viewer": {
                        "autoloader": {
                            "layout": "single",
                            "loaders": [{"pattern": "t1*/*.nii* dwi*/*.nii", "viewports": [0]}],
                        }
                    },
                },
            }
            r = c.post("/api/projects/DEMO/readings", json={"name": "blind-e2e", "definition": definition})
            assert r.status_code == 201, r.text
    finally:
        c.close()
    refused: list[str] = []
    page.on("response", lambda r: refused.append(r.url) if r.status == 403 else None)
    named: list[str] = []  # what the page sends or receives that names the case's patient
    page.on("request", lambda r: named.append(r.url) if "SUBJ003" in r.url + (r.post_data or "") else None)
    login(page, server, "blindreader", "blind-password-1")
    page.get_by_test_id("project-select").select_option("DEMO")
    # the page goes straight to the reading list: no table asked for, so no 403
    row = page.locator('[data-testid="reading-row"][data-name="blind-e2e"]')
    expect(row).to_be_visible()
    expect(page.get_by_test_id("reading-only")).to_be_visible()
    expect(page.get_by_test_id("study-row")).to_have_count(0)
    row.get_by_test_id("reading-stage-serious").get_by_test_id("reading-start-serious").click()
    case = page.get_by_test_id("reading-case")
    expect(case.get_by_test_id("reading-case-label")).to_contain_text("1 / ")
    expect(case.get_by_test_id("reading-case-label")).to_contain_text(": Case 1")
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)  # the case's image, through the viewer's routes
    page.locator("body").click(position={"x": 5, "y": 790})
    page.keyboard.press("1")
    expect(case.get_by_test_id("reading-item-q")).to_have_attribute("data-value", "a")
    assert refused == [] and named == [], (refused, named)
    shot(page, "reading-confined")
