"""Administration in the page: a system admin manages users, rights, capabilities, passwords, tokens and
reads the audit log; a project admin edits the project's settings, colour presets, autoexecution rules and
rights; every user changes their own password and tokens in the profile. Own project ADMINE2E, own users."""

from __future__ import annotations

from contextlib import closing

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, shot
from tests.e2e.test_desktop import choose, login
from tests.e2e.test_files_actions import admin_api, new_project

pytestmark = pytest.mark.e2e
PROJECT = "ADMINE2E"


@pytest.fixture(scope="module")
def admin_project(server: Server) -> str:
    with closing(admin_api(server)) as c:
        new_project(c, PROJECT, "AP1", "before")
    return PROJECT


def test_system_admin_manages_users_rights_capabilities_and_tokens(
    page: Page, server: Server, admin_project: str
) -> None:
    login(page, server)
    choose(page, admin_project)
    page.get_by_test_id("open-users").click()
    dialog = page.get_by_test_id("users-dialog")
    dialog.get_by_test_id("new-user-name").fill("alice-e2e")
    dialog.get_by_test_id("new-user-password").fill("short")
    dialog.get_by_test_id("new-user-submit").click()
    expect(dialog.get_by_test_id("new-user-error")).to_contain_text("at least 8")
    dialog.get_by_test_id("new-user-password").fill("alice-password-1")
    dialog.get_by_test_id("new-user-fullname").fill("Alice Example")
    dialog.get_by_test_id("new-user-submit").click()
    detail = dialog.locator('[data-testid="user-detail"][data-username="alice-e2e"]')
    expect(detail).to_be_visible()
    expect(dialog.locator('[data-testid="user-row"][data-username="alice-e2e"]')).to_contain_text("Alice Example")

    detail.get_by_test_id("user-scope").fill("PACS_main")
    detail.get_by_test_id("user-grant").click()
    expect(detail.locator('[data-testid="user-right-row"][data-scope="PACS_main"]')).to_contain_text("capability")
    detail.get_by_test_id("user-scope").fill(admin_project)
    detail.get_by_test_id("user-right-role").select_option("admin")
    detail.get_by_test_id("user-grant").click()
    expect(detail.locator(f'[data-testid="user-right-row"][data-scope="{admin_project}"]')).to_contain_text("admin")
    detail.get_by_test_id("user-scope").fill("NO_SUCH_PROJECT")
    detail.get_by_test_id("user-grant").click()
    expect(detail.get_by_test_id("user-error")).to_contain_text("NO_SUCH_PROJECT")

    tokens = detail.get_by_test_id("token-panel")
    tokens.get_by_test_id("token-name").fill("pipeline")
    tokens.get_by_test_id("token-days").fill("30")
    tokens.get_by_test_id("token-create").click()
    expect(tokens.get_by_test_id("token-secret")).to_contain_text("nora_")
    expect(tokens.get_by_test_id("token-row")).to_have_count(1)
    shot(page, "admin-users")
    tokens.get_by_test_id("token-revoke").click()
    expect(tokens.get_by_test_id("token-row").first).to_contain_text("revoked")

    dialog.get_by_test_id("admin-tab-audit-log").click()
    expect(dialog.get_by_test_id("audit-row").filter(has_text="user.create").first).to_contain_text("alice-e2e")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_project_admin_edits_settings_presets_rules_and_rights(page: Page, server: Server, admin_project: str) -> None:
    with closing(admin_api(server)) as c:
        if c.get("/api/admin/users/bob-e2e/rights").status_code == 404:
            assert (
                c.post("/api/admin/users", json={"username": "bob-e2e", "password": "bob-password-1"}).status_code
                == 201
            )
        r = c.put(f"/api/projects/{admin_project}/rights/bob-e2e", json={"role": "admin"})
        assert r.status_code == 200, r.text
    login(page, server, "bob-e2e", "bob-password-1")
    choose(page, admin_project)
    expect(page.get_by_test_id("open-users")).to_have_count(0)  # not a system admin
    page.get_by_test_id("open-project-settings").click()
    dialog = page.get_by_test_id("project-settings")
    dialog.get_by_test_id("settings-description").fill("Day-one study, edited in the page")
    dialog.get_by_test_id("settings-naming").fill("{series_description}/{series_number:03d}")
    dialog.get_by_test_id("settings-anonymised").check()
    dialog.get_by_test_id("settings-save").click()
    expect(dialog.get_by_test_id("settings-saved")).to_be_visible()
    expect(page.locator(".top-description")).to_have_text("Day-one study, edited in the page")

    dialog.get_by_test_id("admin-tab-colour-presets").click()
    dialog.get_by_test_id("presets-standard").uncheck()
    row = dialog.locator('[data-testid="preset-row"][data-key="1"]')
    row.get_by_test_id("preset-name").fill("MR soft")
    row.get_by_test_id("preset-form").select_option("limits")
    row.get_by_test_id("preset-a").fill("500")
    row.get_by_test_id("preset-b").fill("100")
    dialog.get_by_test_id("presets-save").click()
    expect(dialog.get_by_test_id("presets-error")).to_contain_text("below max")
    row.get_by_test_id("preset-a").fill("0")
    dialog.get_by_test_id("presets-save").click()
    expect(dialog.get_by_test_id("presets-saved")).to_be_visible()

    dialog.get_by_test_id("admin-tab-autoexecution").click()
    dialog.get_by_test_id("rule-add").click()
    dialog.get_by_test_id("rule-name").fill("t1 on import")
    dialog.get_by_test_id("rule-filter").fill("t1*")
    dialog.get_by_test_id("rule-batch").fill("no-such-batch")
    dialog.get_by_test_id("rules-save").click()
    expect(dialog.get_by_test_id("rules-error")).to_contain_text("no-such-batch")
    shot(page, "admin-project-rules")

    dialog.get_by_test_id("admin-tab-rights").click()
    dialog.get_by_test_id("grant-user").fill("reader")
    dialog.get_by_test_id("grant-readonly").check()
    dialog.get_by_test_id("grant-submit").click()
    expect(dialog.locator('[data-testid="right-row"][data-username="reader"]')).to_contain_text("readonly")
    shot(page, "admin-project-rights")

    with closing(admin_api(server)) as c:
        settings = c.get(f"/api/projects/{admin_project}").json()["settings"]
    assert settings["anonymised"] is True and settings["naming"] == "{series_description}/{series_number:03d}"
    assert settings["colorlimpresets"] == {"1": {"name": "MR soft", "min": 0.0, "max": 100.0}}


def test_every_user_changes_their_password_and_tokens_in_the_profile(page: Page, server: Server) -> None:
    with closing(admin_api(server)) as c:
        if c.get("/api/admin/users/carol-e2e/rights").status_code == 404:
            assert (
                c.post("/api/admin/users", json={"username": "carol-e2e", "password": "carol-password-1"}).status_code
                == 201
            )
            assert c.put("/api/projects/DEMO/rights/carol-e2e", json={"readonly": True}).status_code == 200
    login(page, server, "carol-e2e", "carol-password-1")
    expect(page.get_by_test_id("open-project-settings")).to_have_count(0)
    page.get_by_test_id("open-profile").click()
    dialog = page.get_by_test_id("profile-dialog")
    dialog.get_by_test_id("pw-current").fill("wrong-password")
    dialog.get_by_test_id("pw-new").fill("carol-password-2")
    dialog.get_by_test_id("pw-again").fill("carol-password-2")
    dialog.get_by_test_id("pw-submit").click()
    expect(dialog.get_by_test_id("pw-error")).to_contain_text("current password is wrong")
    dialog.get_by_test_id("pw-current").fill("carol-password-1")
    dialog.get_by_test_id("pw-submit").click()
    expect(dialog.get_by_test_id("pw-done")).to_be_visible()

    dialog.get_by_test_id("admin-tab-api-tokens").click()
    dialog.get_by_test_id("token-name").fill("laptop")
    dialog.get_by_test_id("token-create").click()
    expect(dialog.get_by_test_id("token-secret")).to_contain_text("nora_")
    shot(page, "admin-profile-tokens")
    dialog.get_by_test_id("token-revoke").click()
    expect(dialog.get_by_test_id("token-row").first).to_contain_text("revoked")

    with closing(admin_api(server)) as c:
        c.cookies.clear()
        assert (
            c.post("/api/auth/login", json={"username": "carol-e2e", "password": "carol-password-2"}).status_code == 200
        )
