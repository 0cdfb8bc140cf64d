"""Web security in headless Chromium: a page of another origin cannot act with the user's session cookie,
and the files panel saves a file only through "Download" with the download right.

The cross-origin page is served by a second small HTTP server on another port of the same host, the case
of issue 10: the session cookie (SameSite=Lax) is sent to the app from there, since ports do not make a
different site.
"""

from __future__ import annotations

import base64
import io
import re
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, shot
from tests.e2e.test_desktop import choose, login
from tests.e2e.test_viewer import LOAD_MS, api, file_row, items, open_study
from tests.support.pgcluster import free_port

pytestmark = pytest.mark.e2e

ATTACK = """<!doctype html><html><head><title>cute cats</title></head><body>
<form id="logout" method="post" action="{app}/api/auth/logout"></form>
<script>
(async () => {{
  const bytes = Uint8Array.from(atob("{zip}"), (c) => c.charCodeAt(0));
  const form = new FormData();
  form.append("file", new Blob([bytes], {{type: "application/zip"}}), "evil.zip");
  const results = [];
  for (const url of ["/api/projects/DEMO/import", "/api/import?project=DEMO", "/api/projects/DEMO/patients"]) {{
    const body = url.endsWith("patients") ? JSON.stringify({{pid: "CSRF"}}) : form;
    try {{
      const r = await fetch("{app}" + url, {{method: "POST", body, credentials: "include", mode: "no-cors"}});
      results.push(r.type);
    }} catch (e) {{
      results.push(String(e));
    }}
  }}
  document.body.dataset.sent = results.join(",");
}})();
</script></body></html>"""


def _zip() -> str:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("x/readme.txt", b"not a study")
    return base64.b64encode(buf.getvalue()).decode()


@pytest.fixture
def other_origin(server: Server) -> Iterator[str]:
    """A second web server on another port serving the attacking page at /."""
    page = ATTACK.format(app=server.url, zip=_zip()).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)


def test_a_page_of_another_origin_cannot_use_the_session(page: Page, server: Server, other_origin: str) -> None:
    admin = api(server)
    jobs_before = admin.get("/api/projects/DEMO/import/jobs").json()
    login(page, server)
    page.goto(other_origin)
    # the page's fetch() calls (two multipart imports, a JSON write) have had their answers
    expect(page.locator("body")).to_have_attribute("data-sent", "opaque,opaque,opaque", timeout=LOAD_MS)
    assert admin.get("/api/projects/DEMO/import/jobs").json() == jobs_before  # no import job was made
    assert admin.get("/api/projects/DEMO/patients/CSRF/meta").status_code == 404  # nor a patient
    # a plain HTML form posting to logout: the browser shows the app's answer
    page.locator("#logout").evaluate("form => form.submit()")
    expect(page).to_have_url(f"{server.url}/api/auth/logout", timeout=LOAD_MS)
    expect(page.locator("body")).to_contain_text("cross-origin request refused")
    shot(page, "security-cross-origin-refused")
    # the session survived the forged logout, and the page's own requests work
    page.goto(server.url)
    expect(page.get_by_test_id("project-select")).to_be_visible()
    assert page.evaluate("async () => (await fetch('/api/auth/logout', {method: 'POST'})).status") == 204


def test_files_panel_click_selects_double_click_views_and_download_needs_the_right(
    browser: Any, server: Server
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page: Page = context.new_page()
    downloads: list[Any] = []
    page.on("download", lambda d: downloads.append(d))
    violations: list[str] = []  # the page, the viewer and its decoders run under the Content-Security-Policy
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    login(page, server)
    choose(page, "DEMO")
    open_study(page, "MNI001", "20240105")
    row = file_row(page, "t1_mni/s001.nii.gz")
    row.click()
    expect(row).to_have_class("selected")
    row.dblclick()
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)  # opened in the viewer
    assert downloads == []  # neither the click nor the double-click saved anything
    row.click(button="right")
    with page.expect_download() as saved:
        page.get_by_test_id("ctx-download-file").click()
    assert saved.value.suggested_filename == "s001.nii.gz"
    assert violations == []
    context.close()

    # a read-only user without the download right views, but cannot save
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page = context.new_page()
    login(page, server, "reader", "reader-password")
    choose(page, "DEMO")
    open_study(page, "MNI001", "20240105")
    row = file_row(page, "t1_mni/s001.nii.gz")
    row.click(button="right")
    expect(page.get_by_test_id("ctx-download-file")).to_be_disabled()
    expect(page.get_by_test_id("ctx-download-file")).to_have_attribute("title", re.compile("no download right"))
    shot(page, "files-panel-no-download-right")
    page.keyboard.press("Escape")
    row.dblclick()
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)  # viewing needs no download right
    file_id = row.get_attribute("data-file-id")
    answer = page.goto(f"{server.url}/api/projects/DEMO/files/{file_id}/content")  # typing the address
    assert answer is not None and answer.status == 403
    expect(page.locator("body")).to_contain_text("no download right")
    context.close()
