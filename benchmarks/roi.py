"""ROI operations on the server against the library calls they are built on, same arrays, same run.

Ours: ``nora.imaging.roi`` (morphology with NORA's 6-neighbourhood, Remove Salt, fill holes, region growing,
ROIstats). Baseline: the plain scipy.ndimage calls a researcher would write (``binary_erosion`` ... with the
same structuring element, ``label`` + ``bincount``, ``binary_fill_holes``, ``label`` and pick the seed's
label, numpy percentiles on the masked values). Each figure is the best of ``--repeats`` runs; the ratio is
ours / baseline (aim: within 1.1x). Region growing is also timed on 256^3 (aim: under 200 ms).

    .venv/bin/python benchmarks/roi.py                 # 512x512x300 (about a minute)
    .venv/bin/python benchmarks/roi.py --shape 128 128 96 --repeats 2   # seconds (CI smoke size)
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import ndimage

from nora.imaging import roi


def best(fn: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def data(shape: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """A smooth random image and an ROI of blobs with holes and salt (deterministic)."""
    rng = np.random.default_rng(42)
    small = rng.normal(size=tuple(max(4, s // 16) for s in shape))
    image = ndimage.zoom(small, [s / t for s, t in zip(shape, small.shape, strict=True)], order=1)[
        : shape[0], : shape[1], : shape[2]
    ].astype(np.float32)
    image = (image - image.min()) / (np.ptp(image) or 1) * 1000
    mask = image > 600
    mask &= rng.random(shape) > 0.01  # pepper: holes
    mask |= rng.random(shape) > 0.999  # salt
    return image, mask


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shape", type=int, nargs=3, default=[512, 512, 300])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    shape = (args.shape[0], args.shape[1], args.shape[2])
    image, mask = data(shape)
    six = ndimage.generate_binary_structure(3, 1)
    seed = tuple(int(i) for i in np.argwhere(image > 800)[0])
    cases: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
        ("erode", lambda: roi.morphology(mask, "erode"), lambda: ndimage.binary_erosion(mask, six)),
        ("dilate", lambda: roi.morphology(mask, "dilate"), lambda: ndimage.binary_dilation(mask, six)),
        ("open", lambda: roi.morphology(mask, "open"), lambda: ndimage.binary_opening(mask, six)),
        ("close", lambda: roi.morphology(mask, "close"), lambda: ndimage.binary_closing(mask, six)),
        ("remove salt (<10)", lambda: roi.remove_salt(mask, 10), lambda: _salt(mask, six)),
        ("fill holes", lambda: roi.fill_holes(mask), lambda: ndimage.binary_fill_holes(mask, six)),
        ("region grow", lambda: roi.region_grow(image, seed, 600, 1000), lambda: _grow(image, seed, six)),
        ("ROIstats", lambda: roi.roi_stats(image, np.eye(4), mask, np.eye(4)), lambda: _stats(image, mask)),
    ]
    print(f"ROI operations on {shape[0]}x{shape[1]}x{shape[2]} ({mask.sum():,} voxels inside), best of {args.repeats}")
    print(f"{'operation':<20}{'ours (s)':>10}{'scipy (s)':>11}{'ratio':>8}")
    for name, ours, base in cases:
        a, b = best(ours, args.repeats), best(base, args.repeats)
        print(f"{name:<20}{a:>10.3f}{b:>11.3f}{a / b:>7.2f}x")
    cube = (256, 256, 256)
    image256, _ = data(cube)
    seed256 = tuple(int(i) for i in np.argwhere(image256 > 800)[0])
    t = best(lambda: roi.region_grow(image256, seed256, 600, 1000), args.repeats)
    base = best(lambda: _grow(image256, seed256, six), args.repeats)
    print(f"region growing on 256^3, server: {t * 1000:.0f} ms, scipy label: {base * 1000:.0f} ms ({t / base:.2f}x)")
    browser = _browser(image256, seed256, args.repeats)
    print(
        f"the page's pens (V8 under Node) on 256^3: paint stroke r=10 {browser['paint_disc_ms']:.2f} ms (disc), "
        f"{browser['paint_sphere_ms']:.2f} ms (sphere), magic pen r=10 {browser['magic_pen_ms']:.2f} ms "
        "(aim: under 16 ms)"
    )
    grown = browser["region_grow_ms"] / 1000
    print(
        f"the page's region growing on 256^3: {grown * 1000:.0f} ms for {browser['region_voxels']:,} voxels "
        f"(aim: under 200 ms), scipy label {base * 1000:.0f} ms ({grown / base:.2f}x); the whole grid "
        f"({browser['region_all_voxels']:,} voxels): {browser['region_grow_all_ms']:.0f} ms"
    )


def _browser(image: np.ndarray, seed: tuple[int, ...], repeats: int) -> dict[str, float]:
    """Bundle frontend/bench/roiPens.ts with the frontend's rolldown and run it under Node."""
    import json
    import subprocess
    import tempfile
    from pathlib import Path

    frontend = Path(__file__).resolve().parents[1] / "frontend"
    with tempfile.TemporaryDirectory() as tmp:
        bundle, data = Path(tmp) / "roiPens.mjs", Path(tmp) / "image.f32"
        np.asfortranarray(image, dtype=np.float32).ravel(order="F").tofile(data)  # NIfTI order: x fastest
        subprocess.run(
            ["npx", "rolldown", "bench/roiPens.ts", "--format", "esm", "--platform", "node", "-o", str(bundle)],
            cwd=frontend,
            check=True,
            capture_output=True,
        )
        out = subprocess.run(
            ["node", str(bundle), str(data), str(image.shape[0]), json.dumps(list(seed)), str(repeats)],
            check=True,
            capture_output=True,
            text=True,
        )
    result: dict[str, float] = json.loads(out.stdout)
    return result


def _salt(mask: np.ndarray, six: np.ndarray) -> np.ndarray:
    labels, n = ndimage.label(mask, six)
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    keep = sizes >= 10
    keep[0] = False
    return keep[labels]


def _grow(image: np.ndarray, seed: tuple[int, ...], six: np.ndarray) -> np.ndarray:
    labels, _ = ndimage.label((image >= 600) & (image <= 1000), six)
    return labels == labels[seed]


def _stats(image: np.ndarray, mask: np.ndarray) -> list[float]:
    values = image[mask].astype(np.float64)
    return [float(values.mean()), float(values.std()), *np.percentile(values, [25, 50, 75])]


if __name__ == "__main__":
    main()
