"""The desktop's tool windows as a NORA user expects them: keys B and G open them, Escape closes them,
they are moved and resized and never stack on each other's headers; the batch tool keeps its draft,
ticks the table's selected rows and refuses a list for a one-file job; read-only users are offered
only what their rights allow."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, shot
from tests.e2e.test_desktop import choose, login

pytestmark = pytest.mark.e2e


def _head_box(page: Page, test_id: str) -> dict[str, float]:
    box = page.get_by_test_id(test_id).get_by_test_id("window-head").bounding_box()
    assert box is not None
    return box


def test_keys_escape_move_resize_and_no_stacked_headers(page: Page, server: Server) -> None:
    page.set_viewport_size({"width": 1600, "height": 900})
    login(page, server)
    choose(page, "DEMO")
    page.get_by_test_id("study-row").first.click()
    page.keyboard.press("b")
    tool = page.get_by_test_id("batch-tool")
    expect(tool).to_be_visible()
    page.keyboard.press("g")
    monitor = page.get_by_test_id("job-monitor")
    expect(monitor).to_be_visible()

    # the two headers do not overlap
    a, b = _head_box(page, "batch-tool"), _head_box(page, "job-monitor")
    assert a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"] or a["x"] + a["width"] <= b["x"]

    # moved by its title bar
    before = tool.bounding_box()
    assert before is not None
    head = _head_box(page, "batch-tool")
    page.mouse.move(head["x"] + head["width"] - 300, head["y"] + head["height"] / 2)
    page.mouse.down()
    page.mouse.move(head["x"] + head["width"] - 200, head["y"] + head["height"] / 2 + 120, steps=5)
    page.mouse.up()
    after = tool.bounding_box()
    assert after is not None
    assert abs(after["x"] - before["x"] - 100) < 3 and abs(after["y"] - before["y"] - 120) < 3
    # resized by its corner
    page.mouse.move(after["x"] + after["width"] - 3, after["y"] + after["height"] - 3)
    page.mouse.down()
    page.mouse.move(after["x"] + after["width"] - 103, after["y"] + after["height"] - 53, steps=5)
    page.mouse.up()
    smaller = tool.bounding_box()
    assert smaller is not None and smaller["width"] < after["width"] - 50 and smaller["height"] < after["height"] - 30
    shot(page, "desk-windows")

    # Escape closes the topmost window first (the batch tool, raised by the drag), then the other
    page.keyboard.press("Escape")
    expect(tool).to_be_hidden()
    expect(monitor).to_be_visible()
    page.keyboard.press("Escape")
    expect(monitor).to_be_hidden()


def test_batch_tool_keeps_its_draft_and_ticks_the_selected_rows(page: Page, server: Server) -> None:
    page.set_viewport_size({"width": 1600, "height": 900})
    login(page, server)
    choose(page, "DEMO")
    rows = page.get_by_test_id("study-row")
    expect(rows).to_have_count(5)
    rows.nth(0).click()
    rows.nth(2).click(modifiers=["Shift"])
    rows.nth(4).click(modifiers=["Control"])
    expect(page.locator('[data-testid="study-row"][aria-selected="true"]')).to_have_count(4)

    page.get_by_test_id("open-batchtool").click()
    tool = page.get_by_test_id("batch-tool")
    expect(tool.get_by_test_id("batch-picked")).to_have_text("4 of 5 ticked")
    checked = tool.locator("[data-psid]:checked")
    expect(checked).to_have_count(4)
    tool.get_by_test_id("pick-all").click()
    expect(tool.get_by_test_id("batch-picked")).to_have_text("5 of 5 ticked")

    # a built-in one-file job: the job pane shows every field at 1600 px, "several" included
    tool.get_by_test_id("job-menu").select_option("to_nifti")
    tool.get_by_test_id("add-job").click()
    arg = tool.locator('[data-testid="arg-row"][data-arg="input"]')
    several = arg.get_by_label("several")
    ref = arg.get_by_placeholder("study ref")
    pane = tool.locator(".proc-jobs").bounding_box()
    assert pane is not None
    for field in (several, ref):
        box = field.bounding_box()
        assert box is not None and box["x"] + box["width"] <= pane["x"] + pane["width"], box
    scroll = tool.locator(".proc-jobs").evaluate("el => el.scrollWidth - el.clientWidth")
    assert scroll <= 0
    arg.get_by_test_id("arg-input").fill("t1*/*.nii")
    tool.get_by_test_id("arg-output").fill("draft/out.nii.gz")
    several.check()
    tool.get_by_test_id("batch-name").fill("draft-kept")

    # closed and opened again: the draft is still there
    tool.get_by_role("button", name="Close batch tool").click()
    expect(tool).to_be_hidden()
    page.get_by_test_id("open-batchtool").click()
    expect(tool.get_by_test_id("batch-name")).to_have_value("draft-kept")
    expect(tool.get_by_test_id("job-card")).to_have_count(1)

    # a list for a one-file job is refused at launch, with the reason in the tool
    tool.get_by_test_id("launch").click()
    result = tool.get_by_test_id("launch-result")
    expect(result).to_contain_text("takes one file, not a list")
    shot(page, "desk-batch-refused")
    page.get_by_test_id("open-gridstats").click()
    expect(
        page.get_by_test_id("job-monitor").locator('[data-testid="job-row"]').filter(has_text="to_nifti")
    ).to_have_count(0)


def test_read_only_user_is_offered_only_what_their_rights_allow(page: Page, server: Server) -> None:
    login(page, server, "reader", "reader-password")
    choose(page, "DEMO")
    expect(page.get_by_test_id("readonly-badge")).to_be_visible()
    expect(page.get_by_test_id("open-gridstats")).to_be_visible()
    for tool in ("open-import", "open-batchtool", "open-pacs"):
        expect(page.get_by_test_id(tool)).to_have_count(0)
    page.keyboard.press("b")
    page.keyboard.press("g")
    monitor = page.get_by_test_id("job-monitor")
    expect(monitor).to_be_visible()
    expect(page.get_by_test_id("batch-tool")).to_have_count(0)
    expect(monitor.get_by_test_id("rerun-failed")).to_have_count(0)
    shot(page, "desk-readonly-tools")
