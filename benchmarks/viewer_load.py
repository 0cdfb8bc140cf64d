"""Double-click to first rendered frame for a 256x256x180 volume: nora's viewer against bare niivue.

Both run in the same headless Chromium (Debian's, SwiftShader WebGL2), each attempt in a fresh browser
context (no HTTP or memory cache):

* product: log in, open the study, double-click the file row; time from the dblclick event to the first
  animation frame after the viewer drew the image (GET .../viewer/files/{id}/content with auth, ETag);
* baseline: a page from a plain static file server (Python's http.server) that loads niivue's own
  bundle and calls ``loadVolumes`` on the same file; time from the call to the first frame after it.

The volume is the MNI152 T1 template from nilearn's bundled data, cropped/padded to 256x256x180 (gzip).
Prints the medians and the ratio (aim: at most 1.2x).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import statistics
import sys
import tempfile
import threading
from pathlib import Path

import nibabel as nib
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
NIIVUE = ROOT / "frontend" / "node_modules" / "@niivue" / "niivue" / "dist" / "index.js"
PASSWORD = "bench-admin-password"
PAGE = """<!doctype html><html><body style="margin:0"><canvas id="c" style="width:640px;height:640px"></canvas>
<script type="module">
import { Niivue } from './niivue.js';
window.run = async () => {
  const nv = new Niivue({ backColor: [0.07, 0.07, 0.08, 1] });
  await nv.attachToCanvas(document.getElementById('c'));
  const t0 = performance.now();
  await nv.loadVolumes([{ url: './volume.nii.gz' }]);
  nv.drawScene();
  await new Promise((r) => requestAnimationFrame(() => r()));
  return performance.now() - t0;
};
window.ready = true;
</script></body></html>"""


def make_volume(dest: Path) -> None:
    import nilearn

    src = Path(nilearn.__file__).parent / "datasets/data/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz"
    img = nib.load(src)
    data = np.asarray(img.dataobj)
    out = np.zeros((256, 256, 180), dtype=data.dtype)
    sx, sy, sz = (min(a, b) for a, b in zip(data.shape, out.shape, strict=True))
    out[:sx, :sy, :sz] = data[:sx, :sy, :sz]
    nib.save(nib.Nifti1Image(out, img.affine), dest)


def build_nora(home: Path, volume: Path) -> str:
    """A data root with project BENCH holding the volume; returns its database URL."""
    from nora.archive.db import make_engine, make_sessionmaker
    from nora.archive.services import nodes, projects
    from nora.archive.services.access import SYSTEM, project_access
    from nora.archive.services.files import Upload, store_uploads
    from nora.archive.services.setup import init_database
    from nora.archive.storage import Layout

    db_url = f"sqlite:///{home / 'nora.sqlite'}"
    layout = Layout(home)
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as s:
        init_database(engine, layout, s, "admin", PASSWORD)
        projects.create_project(s, SYSTEM, layout, "BENCH", "viewer benchmark")
        access = project_access(s, SYSTEM, "BENCH")
        patient = nodes.create_patient(s, access, layout, "P1")
        study = nodes.create_study(s, access, layout, patient, "S1")
        with volume.open("rb") as fh:
            store_uploads(s, access, layout, patient, study, [Upload("t1/volume.nii.gz", fh)])
        s.commit()
    engine.dispose()
    return db_url


def static_server(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a, **k: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def product_once(browser: object, url: str) -> float:
    context = browser.new_context(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(url)
    page.get_by_test_id("login-username").fill("admin")
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("study-row").first.click()
    row = page.locator('[data-testid="file-row"][data-path="t1/volume.nii.gz"]')
    row.wait_for()
    page.wait_for_function("() => window.noraViewer && window.noraViewer.viewports[0].canvas")
    page.evaluate("""() => {
        window.__t1 = null;
        const start = () => { window.__t0 = performance.now(); };
        document.addEventListener('dblclick', start, { capture: true, once: true });
        window.noraViewer.onFirstFrame = () => requestAnimationFrame(() => { window.__t1 = performance.now(); });
    }""")
    row.dblclick()
    page.wait_for_function("() => window.__t1 !== null", timeout=120_000)
    ms = float(page.evaluate("() => window.__t1 - window.__t0"))
    context.close()
    return ms


def baseline_once(browser: object, url: str) -> float:
    context = browser.new_context(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{url}/index.html")
    page.wait_for_function("() => window.ready === true")
    ms = float(page.evaluate("() => window.run()"))
    context.close()
    return ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright
    from tests.e2e.conftest import ARGS, CHROMIUM, running_server

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        static = tmpdir / "static"
        static.mkdir()
        make_volume(static / "volume.nii.gz")
        shutil.copy(NIIVUE, static / "niivue.js")
        (static / "index.html").write_text(PAGE)
        home = tmpdir / "home"
        home.mkdir()
        db_url = build_nora(home, static / "volume.nii.gz")
        srv, static_url = static_server(static)
        try:
            with running_server(home, db_url) as nora, sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
                product_once(browser, nora.url)  # warm-up: server imports, Chromium shader cache
                baseline_once(browser, static_url)
                ours, base = [], []
                for _ in range(args.runs):
                    ours.append(product_once(browser, nora.url))
                    base.append(baseline_once(browser, static_url))
                browser.close()
        finally:
            srv.shutdown()
    size = (256, 256, 180)
    m_ours, m_base = statistics.median(ours), statistics.median(base)
    print(f"volume {size[0]}x{size[1]}x{size[2]} (gzip), {args.runs} runs each, medians:")
    print(
        f"  nora viewer, double-click to first frame : {m_ours:8.1f} ms  (runs: {', '.join(f'{x:.0f}' for x in ours)})"
    )
    print(
        f"  bare niivue from a static file server    : {m_base:8.1f} ms  (runs: {', '.join(f'{x:.0f}' for x in base)})"
    )
    print(f"  ratio                                    : {m_ours / m_base:8.2f}x  (aim: at most 1.2x)")


if __name__ == "__main__":
    main()
