"""The viewer's answers to bad input, each a visible message while the rest of the view keeps working.

A shared link that does not exist, a URL call with an expired token, an autoloader preset that names a
viewport the layout does not have, and a preset whose file went missing on disk after it was indexed.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from nibabel.testing import data_path
from playwright.sync_api import Page, expect

from nora.archive.db import make_engine, make_sessionmaker
from nora.archive.models import ApiToken, utcnow
from tests.e2e.conftest import Server, shot
from tests.e2e.test_desktop import choose, login
from tests.e2e.test_viewer import LOAD_MS, api, file_row, items, open_study, wait_idle

pytestmark = pytest.mark.e2e
PROJECT = "VIEWSTALE"


@pytest.fixture(scope="module")
def stale(server: Server) -> dict[str, Any]:
    """A project with two studies whose t1 is indexed; in the second it is gone from disk."""
    c = api(server)
    assert c.post("/api/projects", json={"name": PROJECT}).status_code == 201
    raw = (Path(data_path) / "anatomical.nii").read_bytes()
    for sid in ("S1", "S2"):
        c.post(f"/api/projects/{PROJECT}/patients", json={"pid": "P1"})
        assert c.post(f"/api/projects/{PROJECT}/patients/P1/studies", json={"sid": sid}).status_code == 201
        r = c.post(f"/api/projects/{PROJECT}/patients/P1/studies/{sid}/files", files={"file": ("t1/t1.nii", raw)})
        assert r.status_code == 201, r.text
    (server.home / "projects" / PROJECT / "P1" / "S2" / "t1" / "t1.nii").unlink()
    preset = {
        "level": "study",
        "layout": None,  # the server refuses a preset whose own layout lacks a viewport it names
        "loaders": [
            {"pattern": "t1/*.nii", "viewports": [0]},
            {"pattern": "t1/*.nii", "viewports": [3], "intent": {"role": "background", "colormap": "hot"}},
        ],
    }
    r = c.put(f"/api/projects/{PROJECT}/viewer/autoloaders/stale?shared=true", json=preset)
    assert r.status_code == 200, r.text
    return {"preset": "stale"}


def test_preset_with_a_missing_viewport_and_a_file_gone_from_disk(
    page: Page, server: Server, stale: dict[str, Any]
) -> None:
    login(page, server)
    choose(page, PROJECT)
    page.get_by_test_id("autoloader-button").click()
    page.get_by_test_id("preset-select").select_option(stale["preset"])
    page.get_by_test_id("autoload-enabled").check()
    open_study(page, "P1", "S1")
    wait_idle(page)
    messages = page.get_by_test_id("viewer-message")
    expect(messages.filter(has_text="names viewport 4; the single layout has 1")).to_have_count(1, timeout=LOAD_MS)
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)  # loader 1 still loaded
    # the next study's t1 is indexed but gone: a message naming it, and the view still answers
    page.get_by_test_id("viewer-info").click()
    page.keyboard.press("ArrowDown")
    expect(messages.filter(has_text="missing on disk")).to_have_count(1, timeout=LOAD_MS)
    wait_idle(page)
    page.get_by_test_id("autoload-enabled").uncheck()
    open_study(page, "P1", "S1")
    file_row(page, "t1/t1.nii").dblclick()
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    shot(page, "viewer-stale-autoloader")


def test_unknown_shared_link_and_expired_url_call_token(page: Page, browser: Any, server: Server) -> None:
    login(page, server)
    page.goto(f"{server.url}/?project=DEMO&state=no-such-link")
    message = page.get_by_test_id("viewer-message").filter(has_text="The shared link could not be opened")
    expect(message).to_be_visible(timeout=LOAD_MS)
    expect(message).to_contain_text("no-such-link")
    # the desktop keeps working after the message
    open_study(page, "SUBJ002", "20230611")
    file_row(page, "t1_mprage/s002.nii").dblclick()
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    # an expired token in a URL call: the reason is shown on the login page
    c = api(server)
    made = c.post("/api/auth/tokens", json={"name": "soon expired"}).json()
    engine = make_engine(f"sqlite:///{server.home / 'nora.sqlite'}")
    with make_sessionmaker(engine)() as s:
        row = s.get(ApiToken, int(made["id"]))
        assert row is not None
        row.expires_at = utcnow() - dt.timedelta(minutes=5)
        s.commit()
    engine.dispose()
    call = {"pid": "SUBJ002", "sid": "20230611", "user": "admin", "token": made["token"]}
    context = browser.new_context()
    fresh = context.new_page()
    fresh.goto(f"{server.url}/?project=DEMO&call={urllib.parse.quote(json.dumps(call))}")
    expect(fresh.get_by_role("alert").first).to_contain_text("expired")
    expect(fresh.get_by_test_id("login-username")).to_be_visible()
    context.close()
    choose(page, "DEMO")
    wait_idle(page)
