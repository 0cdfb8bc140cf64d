"""The segmentation assistant's built-in backend: latency through the REST API, clicks to a Dice, memory.

1. Latency: the MNI152 T1 template (nilearn's bundled data) padded to 256^3 is uploaded into a fresh data
   root; a session is opened through the REST API (FastAPI's TestClient, in process, SQLite) and simulated
   clicks are sent as the page sends them (world coordinates; the answer's packed result decoded as the
   page does). p50 and p95 of the round trip per interaction (aim: under 300 ms) and of an undo.
2. NoC@85 / NoC@90: clicks to reach a Dice of 0.85 / 0.90 with the simulated user of the interactive-
   segmentation literature (each next click at the centre of the largest error region, positive or negative
   as the error says; ``nora.segmentation.assistant.evaluation``), on structures with known masks in that
   real image: the white matter (nilearn's MNI152 tissue map > 0.5), a lesion-like structure written into
   it (a smooth blob of 4.5-7.5 mm radius, 45 % darker than the white matter around it, like a T1 "black hole",
   with a blurred edge), and the grey matter (a hard case: thin, folded, touching CSF and WM). Baseline in the same run:
   region growing from the same kind of clicks (NORA's tool: each positive click grows the connected region
   within its neighbourhood's mean +/- 2.5 SD, the same 3 %-of-range floor; a negative click removes the
   region grown from it within the result), its own simulated user clicking on its own errors.
3. Memory per session (what the store counts, and the process's resident memory growth) and the number of
   sessions the server holds within 4 GB.
4. What the session's reuse saves (the kept growth of the same positive seeds, the kept geodesic graph,
   a large result's growth straight from the coarse reach and extended from the last one): the same clicks
   on three backend sessions of the same image, the backend as it is, the same without extending a large
   growth (``extend=False``: labelled anew) and computing every step from scratch (``reuse=False``),
   taking turns click by click so all see the same load; their results must be identical. Ratios of the
   p50 and p95, and of the CPU times.

    .venv/bin/python benchmarks/assistant.py                 # about 3 minutes on 2 cores
    .venv/bin/python benchmarks/assistant.py --clicks 5 --budget 8 --no-gm   # a quicker look
    .venv/bin/python benchmarks/assistant.py --smoke         # seconds: the template at half resolution
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
from scipy import ndimage

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from nora.imaging.roi import Mask, region_grow  # noqa: E402
from nora.segmentation.assistant.builtin import BuiltinSession  # noqa: E402
from nora.segmentation.assistant.encoding import Packed, unpack  # noqa: E402
from nora.segmentation.assistant.evaluation import Click, clicks_to_reach, dice, next_click  # noqa: E402
from nora.segmentation.assistant.interactions import VoxelInteraction  # noqa: E402

PROJECT = "BENCH"
#: how much darker than the white matter the lesion is (T1 lesions are hypointense)
DARKER = 0.45


def mni(name: str) -> Any:
    import nilearn

    return nib.load(
        Path(nilearn.__file__).parent / f"datasets/data/mni_icbm152_{name}_tal_nlin_sym_09a_converted.nii.gz"
    )


def padded(data: np.ndarray[Any, Any], size: int = 256) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """``data`` centred in a size^3 grid, and the voxel offset it was moved by."""
    out = np.zeros((size, size, size), dtype=data.dtype)
    off = np.array([(size - s) // 2 for s in data.shape])
    out[off[0] : off[0] + data.shape[0], off[1] : off[1] + data.shape[1], off[2] : off[2] + data.shape[2]] = data
    return out, off


def lesion(t1: np.ndarray[Any, Any], wm: Mask) -> tuple[np.ndarray[Any, Any], Mask]:
    """A lesion-like blob written into the white matter: its known mask and the image holding it."""
    rng = np.random.default_rng(7)
    depth = ndimage.distance_transform_edt(wm)
    centre = np.unravel_index(int(np.argmax(depth)), wm.shape)
    i, j, k = np.indices(wm.shape, dtype=np.float32)
    r = np.sqrt((i - centre[0]) ** 2 + (j - centre[1]) ** 2 + (k - centre[2]) ** 2)
    wobble = ndimage.zoom(rng.normal(size=(6, 6, 6)), [s / 6 for s in wm.shape], order=1)[
        : wm.shape[0], : wm.shape[1], : wm.shape[2]
    ]
    mask = r <= 6.0 + 1.5 * np.tanh(wobble)
    image = t1.astype(np.float32).copy()
    darker = np.clip(2.0 * ndimage.gaussian_filter(mask.astype(np.float32), 0.7), 0.0, 1.0)  # a blurred edge
    image -= DARKER * float(np.median(t1[wm])) * darker
    return image, mask


class RegionGrowing:
    """The baseline: NORA's region growing from each click (see the module's description)."""

    def __init__(self, image: np.ndarray[Any, Any]) -> None:
        self.image = image.astype(np.float32)
        lo, hi = np.percentile(self.image[::4, ::4, ::4], [1, 99])
        self.floor = 0.03 * float(hi - lo)
        self.result = np.zeros(image.shape, dtype=bool)

    def window(self, v: tuple[int, int, int]) -> tuple[float, float]:
        cube = self.image[tuple(slice(max(0, c - 1), c + 2) for c in v)]
        sd = max(float(cube.std()), self.floor)
        return float(cube.mean()) - 2.5 * sd, float(cube.mean()) + 2.5 * sd

    def click(self, c: Click) -> Mask:
        low, high = self.window(c.voxel)
        if c.positive:
            self.result |= region_grow(self.image, c.voxel, low, high)
        elif self.result[c.voxel]:
            self.result &= ~region_grow(self.image, c.voxel, low, high, within=self.result)
        return self.result


def noc(name: str, image: np.ndarray[Any, Any], truth: Mask, budget: int) -> None:
    ours = BuiltinSession(image)
    times: list[float] = []

    def click(c: Click) -> Mask:
        t = time.perf_counter()
        out = ours.add([VoxelInteraction("point", c.positive, np.array([c.voxel]))])
        times.append(time.perf_counter() - t)
        return out

    ours_noc, ours_curve = clicks_to_reach(click, truth, (0.85, 0.90), budget)
    base = RegionGrowing(image)
    base_noc, base_curve = clicks_to_reach(base.click, truth, (0.85, 0.90), budget)

    def fmt(n: int) -> str:
        return f">{budget}" if n > budget else str(n)

    print(
        f"{name:<24}{truth.sum():>10,}{fmt(ours_noc[0.85]):>8}{fmt(ours_noc[0.90]):>8}{max(ours_curve):>8.3f}"
        f"{fmt(base_noc[0.85]):>10}{fmt(base_noc[0.90]):>8}{max(base_curve):>8.3f}"
        f"{statistics.median(times) * 1000:>9.0f}"
    )


def _clicker(session: Any) -> Any:
    """A simulated click as a point interaction of one backend session."""
    return lambda c: session.add([VoxelInteraction("point", c.positive, np.array([c.voxel]))])


def noc_patchwork(
    rows: list[tuple[str, np.ndarray[Any, Any], Mask]], budget: int, seconds: float, affine: np.ndarray[Any, Any]
) -> None:
    """NoC of the patchwork backend: a model trained by the Patchwork 3D code on the patchwork benchmark's
    subjects (warps of the template at 2 mm, grey and white matter) proposes the start on each image, the
    simulated clicks refine it (``PatchworkSession``, the backend's own class); beside it in the same run the
    built-in backend and region growing from no start on the same image."""
    import patchwork as pwb  # the patchwork benchmark's subjects (main put benchmarks/ on the path)
    import torch

    from nora.segmentation.assistant.patchwork import PatchworkSession
    from nora.segmentation.modelfile import PatchworkParams
    from nora.segmentation.patchwork import data, infer, train

    torch.set_num_threads(1)
    torch.manual_seed(0)
    t2, maps2, affine2 = pwb.template(2.0)
    rng = np.random.default_rng(0)
    made = [pwb.make_subject(t2, maps2, rng, 4.0 / 2.0) for _ in range(4)]
    subjects = [data.from_arrays([img], affine2, labels, name=f"S{i}") for i, (img, labels) in enumerate(made)]
    params = PatchworkParams(
        depth=2, patch=16, voxel_mm=2.0, iterations=100_000, epoch=100_000, batch=2, features=8,
        learning_rate=0.003, foreground=0.7, validation=0.0, seed=0,
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        doc = train.new_doc("bench", ["t1"], list(pwb.TISSUES), params, subjects, [])
        began = time.monotonic()
        doc, net = train.train(doc, subjects, [], Path(tmp), say=lambda _t: None, until=began + seconds)
    net.eval()
    print(
        f"\npatchwork backend: a model trained {time.monotonic() - began:.0f} s ({doc.history[-1]['iteration']} "
        f"iterations, one thread) on 4 warps of the template at 2 mm (the patchwork benchmark's subjects), "
        f"grey and white matter; its proposal (0 clicks) refined by the clicks"
    )
    print(
        f"{'structure':<32}{'start':>7}{'NoC@85':>8}{'NoC@90':>8}{'best':>8}   built-in @85 @90 best   RG @85 @90 best"
    )
    for name, image, truth in rows:
        tissue = 0 if name.startswith("grey") else 1
        prob = infer.predict(net, doc, data.from_arrays([image], affine))
        prior = np.asarray(prob[tissue] >= 0.5)
        ours = PatchworkSession(image, prior)

        got, curve = clicks_to_reach(_clicker(ours), truth, (0.85, 0.90), budget, start=prior)
        best = max([dice(prior, truth), *curve])
        plain = BuiltinSession(image)
        b_noc, b_curve = clicks_to_reach(_clicker(plain), truth, (0.85, 0.90), budget)
        rg = RegionGrowing(image)
        r_noc, r_curve = clicks_to_reach(rg.click, truth, (0.85, 0.90), budget)

        def fmt(n: int) -> str:
            return f">{budget}" if n > budget else str(n)

        print(
            f"{name:<32}{dice(prior, truth):>7.3f}{fmt(got[0.85]):>8}{fmt(got[0.90]):>8}{best:>8.3f}"
            f"   {fmt(b_noc[0.85]):>8} {fmt(b_noc[0.90]):>3} {max(b_curve):.3f}"
            f"   {fmt(r_noc[0.85]):>3} {fmt(r_noc[0.90]):>3} {max(r_curve):.3f}"
        )
        print(f"  {name}: Dice after each click from the proposal: {' '.join(f'{d:.3f}' for d in curve)}")


def build(home: Path, volume: np.ndarray[Any, Any], affine: np.ndarray[Any, Any]) -> tuple[Any, str, int]:
    """A data root holding the volume, an app on it, an admin token and the volume's file id."""
    from fastapi.testclient import TestClient

    from nora.api.app import create_app
    from nora.archive.db import make_engine, make_sessionmaker
    from nora.archive.services import accounts, nodes, projects
    from nora.archive.services.access import SYSTEM, project_access
    from nora.archive.services.files import Upload, store_uploads
    from nora.archive.services.setup import init_database
    from nora.archive.storage import Layout
    from nora.core.settings import Settings

    settings = Settings(home=home, database_url=f"sqlite:///{home / 'nora.sqlite'}")
    settings.processing.daemon_in_server = False
    layout = Layout(home)
    engine = make_engine(settings.effective_database_url)
    raw = gzip.compress(nib.Nifti1Image(volume, affine).to_bytes(), compresslevel=1)
    with make_sessionmaker(engine)() as s:
        init_database(engine, layout, s, "admin", "bench-admin-password")
        projects.create_project(s, SYSTEM, layout, PROJECT, "assistant benchmark")
        access = project_access(s, SYSTEM, PROJECT)
        patient = nodes.create_patient(s, access, layout, "P1")
        study = nodes.create_study(s, access, layout, patient, "S1")
        (row,) = store_uploads(s, access, layout, patient, study, [Upload("t1/mni256.nii.gz", io.BytesIO(raw))])
        token = accounts.create_token(s, accounts.get_user(s, "admin"), "bench").secret
        file_id = row.id
        s.commit()
    engine.dispose()
    client = TestClient(create_app(settings, frontend_dist=home / "none"))
    client.headers["authorization"] = f"Bearer {token}"
    return client, token, file_id


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q))


def rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096


def latency(
    volume: np.ndarray[Any, Any], affine: np.ndarray[Any, Any], truths: list[tuple[str, Mask]], clicks: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        client, _, file_id = build(Path(tmp), volume, affine)
        with client:
            _latency(client, file_id, affine, truths, clicks)


def _latency(
    client: Any, file_id: int, affine: np.ndarray[Any, Any], truths: list[tuple[str, Mask]], clicks: int
) -> None:
    before = rss()
    t = time.perf_counter()
    opened = client.post(f"/api/projects/{PROJECT}/assistant/sessions", json={"file_id": file_id, "roi": "wm"})
    open_s = time.perf_counter() - t
    assert opened.status_code == 201, opened.text
    session = opened.json()
    grown = rss() - before
    store = client.app.state.nora.services.assistant  # type: ignore[attr-defined]
    counted = store.nbytes
    url = f"/api/projects/{PROJECT}/assistant/sessions/{session['id']}"
    rounds: list[float] = []
    cpu: list[float] = []
    undos: list[float] = []
    for name, truth in truths:
        client.post(f"{url}/reset")
        result = np.zeros(truth.shape, dtype=bool)
        for _ in range(clicks):
            c = next_click(result, truth)
            if c is None:
                break
            point = [float(v) for v in (affine @ [*c.voxel, 1.0])[:3]]
            body = {"kind": "points", "points": [point], "positive": [c.positive]}
            t, c0 = time.perf_counter(), time.process_time()
            r = client.post(f"{url}/interactions", json=body)
            out = r.json()["result"]
            result = unpack(Packed(_t(out["lo"]), _t(out["hi"]), out["voxels"], out["data"]), truth.shape)
            rounds.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c0)
        t = time.perf_counter()
        client.post(f"{url}/undo").json()
        undos.append(time.perf_counter() - t)
        print(f"  {name}: Dice {dice(result, truth):.3f} after {clicks} clicks through the API")
    print(f"open a session (read the image, smooth it): {open_s * 1000:.0f} ms")
    print(
        f"per interaction, round trip through the REST API ({len(rounds)} clicks): "
        f"p50 {percentile(rounds, 50):.0f} ms, p95 {percentile(rounds, 95):.0f} ms, "
        f"max {percentile(rounds, 100):.0f} ms"
    )
    print(
        f"  CPU time of the same (server and the decoding client, all threads): p50 {percentile(cpu, 50):.0f} ms, "
        f"p95 {percentile(cpu, 95):.0f} ms"
    )
    print(f"undo: p50 {percentile(undos, 50):.0f} ms")
    per = max(counted, grown)
    print(
        f"memory per session: {counted / 2**20:.0f} MB counted by the store, {grown / 2**20:.0f} MB resident "
        f"growth; within 4 GB: {int(4 * 2**30 // per)} sessions of this size (default memory_mb = 4096)"
    )


def reuse(volume: np.ndarray[Any, Any], truths: list[tuple[str, Mask]], clicks: int) -> None:
    """Per click, the backend as it is (the session's reuse and the extension of a large growth) beside
    the same without the extension (the large growth labelled anew) and computing every step from scratch."""
    names = ("ours", "no extension", "from scratch")
    wall: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[tuple[str, bool], list[float]] = {(n, b): [] for n in names for b in (True, False)}
    for name, truth in truths:
        sessions = {
            "ours": BuiltinSession(volume),
            "no extension": BuiltinSession(volume, extend=False),
            "from scratch": BuiltinSession(volume, reuse=False),
        }
        result = np.zeros(truth.shape, dtype=bool)
        for n in range(clicks):
            c = next_click(result, truth)
            if c is None:
                break
            step = [VoxelInteraction("point", c.positive, np.array([c.voxel]))]
            order = names[n % 3 :] + names[: n % 3]  # each first in turn: all see the same load
            for who in order:
                t, c0 = time.perf_counter(), time.process_time()
                out = sessions[who].add(step)
                wall[who].append(time.perf_counter() - t)
                cpu[(who, c.positive)].append(time.process_time() - c0)
                if who == "ours":
                    result = out
            for who in names[1:]:
                same = np.array_equal(sessions["ours"].result, sessions[who].result)
                assert same, f"{name}: click {n + 1}'s result differs from {who}'s"
        undo: dict[str, float] = {}
        for who in names:
            t = time.perf_counter()
            sessions[who].undo()
            undo[who] = time.perf_counter() - t
        assert all(np.array_equal(sessions["ours"].result, sessions[w].result) for w in names[1:]), name
        print(
            f"  {name}: {sessions['ours'].memo.extended} growths extended; undo "
            + ", ".join(f"{w} {undo[w] * 1000:.0f} ms" for w in names)
        )
    p50, p95 = percentile(wall["ours"], 50), percentile(wall["ours"], 95)
    print(
        f"backend per click ({len(wall['ours'])} clicks, identical results), wall: "
        f"ours p50 {p50:.0f} ms, p95 {p95:.0f} ms"
    )
    for who in names[1:]:
        b50, b95 = percentile(wall[who], 50), percentile(wall[who], 95)
        print(f"  {who}: p50 {b50:.0f} ms, p95 {b95:.0f} ms; ours / {who}: p50 {p50 / b50:.2f}, p95 {p95 / b95:.2f}")
    for positive in (True, False):
        ours = cpu[("ours", positive)]
        if not ours:
            continue
        line = (
            f"  CPU time of the {'positive' if positive else 'negative'} clicks ({len(ours)}): ours "
            f"p50 {percentile(ours, 50):.0f} ms, p95 {percentile(ours, 95):.0f} ms"
        )
        for who in names[1:]:
            base = cpu[(who, positive)]
            line += (
                f"; {who} p50 {percentile(base, 50):.0f} ms, p95 {percentile(base, 95):.0f} ms "
                f"(ratio of totals {sum(ours) / sum(base):.2f})"
            )
        print(line)


def _t(v: list[int] | None) -> tuple[int, int, int] | None:
    return None if v is None else (v[0], v[1], v[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clicks", type=int, default=10, help="clicks per structure in the latency run")
    parser.add_argument("--budget", type=int, default=20, help="the most clicks a NoC run gives")
    parser.add_argument("--no-gm", action="store_true", help="leave out the grey matter (the slowest case)")
    parser.add_argument("--no-noc", action="store_true", help="leave out the NoC table (latency and reuse only)")
    parser.add_argument(
        "--patchwork", type=float, default=120.0, help="seconds of patchwork training for its NoC (0: leave it out)"
    )
    parser.add_argument(
        "--smoke", action="store_true", help="seconds: half resolution, padded to 128^3, 3 clicks, no grey matter"
    )
    args = parser.parse_args()
    half = slice(None, None, 2) if args.smoke else slice(None)
    size = 128 if args.smoke else 256
    if args.smoke:
        args.clicks, args.budget, args.no_gm, args.patchwork = 3, 3, True, 0.0
    t1img = mni("t1")
    t1 = np.asarray(t1img.dataobj).astype(np.float32)[half, half, half]
    wm = (np.asarray(mni("wm").dataobj) > 0.5)[half, half, half]
    gm = (np.asarray(mni("gm").dataobj) > 0.5)[half, half, half]
    with_lesion, blob = lesion(t1, wm)
    print(
        f"NoC on the MNI152 template ({'x'.join(map(str, t1.shape))}), budget {args.budget} clicks "
        "(>budget: not reached); RG: region growing from its own simulated clicks"
    )
    print(
        f"{'structure':<24}{'voxels':>10}{'NoC@85':>8}{'NoC@90':>8}{'best':>8}"
        f"{'RG @85':>10}{'RG @90':>8}{'RG best':>8}{'ms/click':>9}"
    )
    if not args.no_noc:
        noc("white matter", t1, wm, args.budget)
        noc("lesion in white matter", with_lesion, blob, args.budget)
    if not args.no_gm and not args.no_noc:
        noc("grey matter", t1, gm, args.budget)
    if args.patchwork > 0 and not args.no_noc:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import patchwork as pwb

        maps = [np.asarray(mni(t).dataobj, dtype=np.float32)[half, half, half] for t in ("gm", "wm")]
        warped, (warped_gm, _) = pwb.make_subject(t1, maps, np.random.default_rng(99), 4.0)
        rows = [("grey matter", t1, gm), ("white matter", t1, wm), ("grey matter, a held-out warp", warped, warped_gm)]
        noc_patchwork([r for r in rows if not (args.no_gm and r[0].startswith("grey"))], args.budget, args.patchwork,
                      t1img.affine)  # fmt: skip
    off = padded(t1, size)[1]
    affine = t1img.affine.copy()
    if args.smoke:
        affine[:3, :3] *= 2
    affine[:3, 3] -= affine[:3, :3] @ off  # the same world coordinates for the same anatomy
    print(f"\nlatency on {size}^3 (the template with the lesion, padded), built-in backend:")
    print(f"(load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    volume = padded(with_lesion, size)[0]
    truths = [("white matter", padded(wm & ~blob, size)[0]), ("lesion", padded(blob, size)[0])]
    latency(volume, affine, truths, args.clicks)
    print("\nthe session's reuse, backend only, the same clicks:")
    reuse(volume, truths, args.clicks)


if __name__ == "__main__":
    main()
