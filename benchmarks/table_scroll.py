"""The study table on 10,000 studies: first rows, a scroll to the end, and going back to a filter state.

Runs the real server (the browser tests' BIG project: 10,000 studies) and headless Chromium (Debian's,
the browser tests' flags). Each attempt is a fresh browser context; per build it times

* first rows: the login click until the count reads 10000 and the first row is drawn;
* scroll: the body scrolled to the end in 20 steps of 500 rows, each step waiting until no row in view
  is a placeholder (its page arrived), and back to the top (already loaded pages);
* revisit: after filtering (sdesc "mr", 3,334 rows) the bar is cleared again: until the 10,000 rows show.

``--baseline DIST`` names another build of the page (e.g. the hand-written page cache of an older
commit, built with ``npx vite build --outDir DIST``): its files are served in place of frontend/dist by
Playwright's request routing, against the same server, and both medians are printed side by side.
"""

from __future__ import annotations

import argparse
import mimetypes
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-admin-password"
STEPS = 20


def build_data(home: Path) -> str:
    from tests.e2e.conftest import _fill_big_project

    from nora.archive.db import make_engine, make_sessionmaker
    from nora.archive.services.setup import init_database
    from nora.archive.storage import Layout

    db_url = f"sqlite:///{home / 'nora.sqlite'}"
    layout = Layout(home)
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as s:
        init_database(engine, layout, s, "admin", PASSWORD)
        s.commit()
    engine.dispose()
    _fill_big_project(db_url, layout)
    return db_url


def serve_dist(context: object, dist: Path) -> None:
    """Answer the page's own files (not /api) from ``dist``."""

    def handle(route: object) -> None:
        url: str = route.request.url  # type: ignore[attr-defined]
        path = url.split("://", 1)[1].split("/", 1)[1].split("?", 1)[0]
        if path.startswith("api/") or path == "api":
            route.continue_()  # type: ignore[attr-defined]
            return
        file = dist / path if path and (dist / path).is_file() else dist / "index.html"
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        route.fulfill(body=file.read_bytes(), content_type=kind)  # type: ignore[attr-defined]

    context.route("**/*", handle)  # type: ignore[attr-defined]


def wait_rows_loaded(page: object) -> None:
    page.wait_for_function(  # type: ignore[attr-defined]
        """() => document.querySelectorAll('[data-testid="study-row"]').length > 0
              && document.querySelectorAll('.row.placeholder').length === 0""",
        timeout=60_000,
    )


def once(browser: object, url: str, dist: Path | None) -> tuple[float, float, float]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    if dist is not None:
        serve_dist(context, dist)
    page = context.new_page()
    page.goto(url)
    page.get_by_test_id("login-username").fill("admin")
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.evaluate("() => { window.__t0 = performance.now(); }")
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("project-select").select_option("BIG")
    page.wait_for_function(
        """() => (document.querySelector('[data-testid="study-count"]')?.textContent ?? '').startsWith('10000')""",
        timeout=60_000,
    )
    wait_rows_loaded(page)
    first = float(page.evaluate("() => performance.now() - window.__t0"))

    t0 = float(page.evaluate("() => performance.now()"))
    body = "document.querySelector('.table-body')"
    for step in range(1, STEPS + 1):
        page.evaluate(f"() => {{ const b = {body}; b.scrollTop = b.scrollHeight * {step} / {STEPS}; }}")
        wait_rows_loaded(page)
    for step in range(STEPS - 1, -1, -1):
        page.evaluate(f"() => {{ const b = {body}; b.scrollTop = b.scrollHeight * {step} / {STEPS}; }}")
        wait_rows_loaded(page)
    scroll = float(page.evaluate("() => performance.now()")) - t0

    page.get_by_test_id("filter-sdesc").fill("mr")
    page.wait_for_function(
        """() => (document.querySelector('[data-testid="study-count"]')?.textContent ?? '').startsWith('3334')""",
        timeout=60_000,
    )
    t1 = float(page.evaluate("() => performance.now()"))
    page.get_by_test_id("filter-sdesc").fill("")
    page.wait_for_function(
        """() => (document.querySelector('[data-testid="study-count"]')?.textContent ?? '').startsWith('10000')""",
        timeout=60_000,
    )
    wait_rows_loaded(page)
    revisit = float(page.evaluate("() => performance.now()")) - t1
    context.close()
    return first, scroll, revisit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another build of the page (a dist folder)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright
    from tests.e2e.conftest import ARGS, CHROMIUM, running_server

    builds: dict[str, Path | None] = {"this build (frontend/dist)": None}
    if args.baseline is not None:
        builds[f"baseline ({args.baseline})"] = args.baseline
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in builds}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        db_url = build_data(home)
        with running_server(home, db_url) as nora, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            once(browser, nora.url, None)  # warm-up: server imports, SQLite pages
            for _ in range(args.runs):
                for name, dist in builds.items():
                    results[name].append(once(browser, nora.url, dist))
            browser.close()
    print(f"study table, 10,000 studies, {args.runs} runs each, medians (ms):")
    print(f"  {'build':48s} {'first rows':>11s} {'scroll 40 steps':>16s} {'revisit filter':>15s}")
    for name, runs in results.items():
        first, scroll, revisit = (statistics.median(r[i] for r in runs) for i in range(3))
        print(f"  {name:48s} {first:11.0f} {scroll:16.0f} {revisit:15.0f}")


if __name__ == "__main__":
    main()
