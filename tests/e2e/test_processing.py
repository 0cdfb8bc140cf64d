"""Processing in the browser: launch a batch from the batch tool on two rows, watch it in Gridstats,
select the failed subjects and rerun a corrected batch for them (the daemon runs inside the server)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import Server, shot
from tests.e2e.test_desktop import choose, login

pytestmark = pytest.mark.e2e


def batch_tool_on_subj002(page: Page, server: Server) -> Locator:
    """Logged in on DEMO, the table filtered to SUBJ002's two studies, the batch tool open on them."""
    login(page, server)
    choose(page, "DEMO")
    page.get_by_test_id("filter-pid").fill("subj002")
    expect(page.get_by_test_id("study-row")).to_have_count(2)
    page.get_by_test_id("open-batchtool").click()
    tool = page.get_by_test_id("batch-tool")
    expect(tool.locator("[data-psid]")).to_have_count(2)
    return tool


def test_launch_monitor_and_rerun_failed(page: Page, server: Server) -> None:
    tool = batch_tool_on_subj002(page, server)
    tool.get_by_test_id("pick-all").click()
    tool.get_by_test_id("job-menu").select_option("bash")
    tool.get_by_test_id("add-job").click()
    tool.get_by_test_id("job-script").fill('echo "broken run for $DPXpsid"\nexit 3\n')
    tool.get_by_test_id("batch-name").fill("e2e-batch")
    tool.get_by_test_id("launch").click()
    expect(tool.get_by_test_id("launch-result")).to_contain_text("2 jobs")

    monitor = page.get_by_test_id("job-monitor")
    expect(monitor.locator('[data-testid="job-row"][data-state="e"]')).to_have_count(2, timeout=30_000)
    monitor.locator('[data-testid="job-row"]').first.get_by_role("button").first.click()
    expect(monitor.get_by_test_id("job-log")).to_contain_text("broken run for SUBJ002")
    expect(monitor.get_by_test_id("job-spec")).to_contain_text('"job": "bash"')
    shot(page, "processing-failed")
    monitor.get_by_role("button", name="Close job detail").click()

    monitor.get_by_test_id("rerun-failed").click()
    expect(page.get_by_test_id("filter-files")).to_have_value("JOB:e")
    expect(page.get_by_test_id("study-row")).to_have_count(2)
    # the failed batch is open again, its rows ticked, ready to correct
    expect(tool.get_by_test_id("job-script")).to_have_value('echo "broken run for $DPXpsid"\nexit 3\n')
    expect(tool.get_by_test_id("batch-picked")).to_have_text("2 of 2 ticked")
    tool.get_by_test_id("job-script").fill("echo '{\"ok\": true}' > $o1\n")
    tool.get_by_test_id("arg-o1").fill("e2e/result.json TAG(e2e)")
    tool.get_by_test_id("launch").click()
    expect(tool.get_by_test_id("launch-result")).to_contain_text("2 jobs")
    monitor.get_by_test_id("hide-done").uncheck()
    expect(monitor.locator('[data-testid="job-row"][data-state="d"]')).to_have_count(2, timeout=30_000)
    monitor.get_by_role("button", name="Dismiss errors").click()
    expect(monitor.locator('[data-testid="job-row"][data-state="e"]')).to_have_count(0)
    shot(page, "processing-rerun-done")


def test_a_running_jobs_progress_shows_in_the_monitor_live(page: Page, server: Server, tmp_path: Path) -> None:
    """A job that writes $NORA_JOB_DIR/progress.json: the monitor shows its bar without a reload (the live
    events' monitor part), and the bar goes when the job is done."""
    go = tmp_path / "go"
    script = (
        'echo \'{"fraction": 0.4, "message": "step 2 of 5"}\' > "$NORA_JOB_DIR/progress.json"\n'
        f'until [ -e "{go}" ]; do sleep 0.1; done\n'
    )
    tool = batch_tool_on_subj002(page, server)
    tool.locator("[data-psid]").first.check()
    tool.get_by_test_id("job-menu").select_option("bash")
    tool.get_by_test_id("add-job").click()
    tool.get_by_test_id("job-script").fill(script)
    tool.get_by_test_id("batch-name").fill("e2e-progress")
    tool.get_by_test_id("launch").click()
    expect(tool.get_by_test_id("launch-result")).to_contain_text("1 jobs")
    monitor = page.get_by_test_id("job-monitor")
    ours = monitor.locator('[data-testid="job-row"]').filter(has_text="step 2 of 5")
    expect(ours).to_have_count(1, timeout=60_000)
    expect(ours.get_by_test_id("job-progress")).to_have_text("40 %")
    shot(page, "job-monitor-progress")
    go.touch()
    monitor.get_by_test_id("hide-done").uncheck()
    done = monitor.locator('[data-testid="job-row"][data-state="d"]').filter(has_text="e2e-progress")
    expect(done).to_have_count(1, timeout=60_000)
    expect(done.get_by_test_id("job-progress")).to_have_count(0)
