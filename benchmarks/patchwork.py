"""Patchwork segmentation of grey and white matter beside a plain 3D U-Net and Otsu, same data, same run.

Data: nilearn's MNI152 2009a template (T1 and its grey/white matter maps, shipped in the nilearn wheel).
Subjects are made by random smooth deformations (a Gaussian-smoothed random displacement field, up to
``--warp`` mm) and intensity changes (a smooth multiplicative bias field, a gamma change, noise) of the
real template; labels are the deformed tissue maps above 0.5. ``--train`` subjects train, ``--test``
other subjects are held out.

* ours: a Deep Neural Patchwork (``nora.segmentation.patchwork``) trained for ``--seconds`` on one CPU
  thread, applied by tiles (as the Apply Patchwork job does);
* baseline 1: a plain 3D U-Net (the same two-step U-Net as one patchwork level, wider so that it has at
  least the patchwork's parameters) trained for the same seconds on whole volumes downsampled to 4 mm,
  its prediction upsampled to 1 mm;
* baseline 2: three-class Otsu thresholds of the T1 inside the brain (CSF / grey / white).

Printed: per seed (``--seeds``: the subjects' deformations and the networks' initial weights), Dice per
tissue on the held-out subjects and training time; then the mean ± sd over the seeds, apply time per volume,
and the apply time of a 256x256x180 volume (wall and CPU seconds: on a loaded machine CPU is the steadier).
Then deepbet's brain mask of the template against nilearn's MNI152 brain mask (``load_mni152_brain_mask``'s
rule: the template scaled to 0..1 above 0.2; nilearn.datasets itself needs scikit-learn, which nora does
not install).

    .venv/bin/python benchmarks/patchwork.py          # 3 seeds of 4 train, 2 test, 120 s each model
    .venv/bin/python benchmarks/patchwork.py --seconds 2 --seeds 1 --train 1 --test 1 --mm 4 \
        --big 64 64 48 --no-deepbet                   # smoke
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import nibabel as nib
import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from nora.segmentation.modelfile import PatchworkParams
from nora.segmentation.patchwork import data, infer, train
from nora.segmentation.patchwork.net import UNet3d, parameter_count

TISSUES = ("gm", "wm")
#: the voxel size of the subjects of this run (set by ``--mm``)
SUBJECT_MM = [2.0]


def template(mm: float = 1.0) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """The T1, the tissue maps and the affine, resampled to ``mm`` (linear)."""
    import nilearn

    base = Path(nilearn.__file__).parent / "datasets/data"
    load: Any = nib.load
    t1 = load(base / "mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz")
    maps = [np.asarray(load(base / f"mni_icbm152_{t}_tal_nlin_sym_09a_converted.nii.gz").dataobj) for t in TISSUES]
    volumes = [np.asarray(t1.dataobj, dtype=np.float32), *[m.astype(np.float32) for m in maps]]
    if mm != 1.0:
        volumes = [ndimage.zoom(v, 1 / mm, order=1) for v in volumes]
    affine = t1.affine @ np.diag([mm, mm, mm, 1.0])
    return volumes[0], volumes[1:], affine


def make_subject(t1: np.ndarray, maps: list[np.ndarray], rng: np.random.Generator, warp: float) -> tuple[Any, ...]:
    shape = t1.shape
    grid = np.meshgrid(*[np.arange(s, dtype=np.float32) for s in shape], indexing="ij")
    coarse = [rng.normal(size=tuple(s // 16 + 2 for s in shape)) for _ in range(3)]
    field = [
        ndimage.zoom(c, [s / c.shape[i] for i, s in enumerate(shape)], order=3)[: shape[0], : shape[1], : shape[2]]
        for c in coarse
    ]
    scale = warp / max(float(np.abs(f).max()) for f in field)
    coords = [g + scale * f for g, f in zip(grid, field, strict=True)]
    image = ndimage.map_coordinates(t1, coords, order=1)
    labels = [ndimage.map_coordinates(m, coords, order=1) > 0.5 for m in maps]
    bias = np.exp(
        0.25
        * ndimage.zoom(rng.normal(size=(4, 4, 4)), [s / 4 for s in shape], order=3)[: shape[0], : shape[1], : shape[2]]
    )
    top = float(np.percentile(image, 99.9)) or 1.0
    image = top * (np.clip(image / top, 0, None) ** rng.uniform(0.7, 1.4)) * bias
    image = image + rng.normal(0, 0.02 * top, shape)
    return image.astype(np.float32), labels


def dice_all(prob: np.ndarray, truth: list[np.ndarray]) -> list[float]:
    return [infer.dice(prob[i] >= 0.5, truth[i]) for i in range(len(truth))]


# ------------------------------------------------------------------------------------------ baselines


def otsu3(values: np.ndarray, bins: int = 128) -> tuple[float, float]:
    """The two thresholds maximising the between-class variance of three classes (exhaustive)."""
    hist, edges = np.histogram(values, bins=bins)
    p = hist / hist.sum()
    centres = (edges[:-1] + edges[1:]) / 2
    w, mu = np.cumsum(p), np.cumsum(p * centres)
    best, pair = -1.0, (0, 0)
    for i in range(1, bins - 1):
        for j in range(i + 1, bins):
            w0, w1, w2 = w[i - 1], w[j - 1] - w[i - 1], 1 - w[j - 1]
            if min(w0, w1, w2) <= 0:
                continue
            m0, m1, m2 = mu[i - 1] / w0, (mu[j - 1] - mu[i - 1]) / w1, (mu[-1] - mu[j - 1]) / w2
            between = w0 * m0**2 + w1 * m1**2 + w2 * m2**2
            if between > best:
                best, pair = between, (i, j)
    return float(edges[pair[0]]), float(edges[pair[1]])


def otsu_predict(image: np.ndarray) -> np.ndarray:
    brain = image > 0.1 * np.percentile(image, 99)
    low, high = otsu3(image[brain])
    return np.stack([brain & (image >= low) & (image < high), brain & (image >= high)]).astype(np.float32)


#: the U-Net's input: whole volumes at 4 mm
UNET_MM = 4.0


def unet_train(subjects: list[data.Subject], features: int, seconds: float, lr: float) -> tuple[UNet3d, int, float]:
    net = UNet3d(1, len(TISSUES), features)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    xs = [_down(s.image) for s in subjects]
    ys = [_down(s.labels) for s in subjects]  # type: ignore[arg-type]
    started, steps = time.monotonic(), 0
    while time.monotonic() - started < seconds:
        k = steps % len(xs)
        logits = net(xs[k][None])
        loss = train.loss_of([logits], [ys[k][None]])
        opt.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
        steps += 1
    return net, steps, time.monotonic() - started


def _down(volume: torch.Tensor, subject_mm: float = 0.0) -> torch.Tensor:
    factor = UNET_MM / (subject_mm or SUBJECT_MM[0])
    shape = [max(4, round(s / factor / 4) * 4) for s in volume.shape[1:]]  # a multiple of 4 (two poolings)
    return F.interpolate(volume[None], size=shape, mode="trilinear", align_corners=False)[0]


@torch.no_grad()
def unet_predict(net: UNet3d, subject: data.Subject) -> np.ndarray:
    prob = torch.sigmoid(net(_down(subject.image)[None]))
    return F.interpolate(prob, size=subject.shape, mode="trilinear", align_corners=False)[0].numpy()


# ----------------------------------------------------------------------------------------------- run


def run_seed(args: argparse.Namespace, seed: int, t1: np.ndarray, maps: list[np.ndarray], affine: np.ndarray) -> Any:
    """One run: subjects, both networks and Otsu with ``seed``; (Dice rows, apply times, model, figures)."""
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    start = time.monotonic()
    made = [make_subject(t1, maps, rng, args.warp / args.mm) for _ in range(args.train + args.test)]
    subjects = [data.from_arrays([img], affine, labels, name=f"S{i}") for i, (img, labels) in enumerate(made)]
    fit, held = subjects[: args.train], subjects[args.train :]
    print(
        f"seed {seed}: {len(fit)} training and {len(held)} held-out subjects of {list(t1.shape)} at {args.mm:g} mm "
        f"(made in {time.monotonic() - start:.0f} s)"
    )
    params = PatchworkParams(
        depth=args.depth,
        patch=args.patch,
        voxel_mm=2.0,
        iterations=100_000,
        epoch=100_000,
        batch=args.batch,
        features=8,
        learning_rate=args.lr,
        foreground=0.7,
        validation=0.0,
        seed=seed,
    )
    with TemporaryDirectory() as tmp:
        doc = train.new_doc("bench", ["t1"], list(TISSUES), params, fit, [])
        began = time.monotonic()
        doc, net = train.train(doc, fit, [], Path(tmp), say=lambda _t: None, until=began + args.seconds)
        pw_train = time.monotonic() - began
    net.eval()
    pw_params = parameter_count(net)
    u_features = 8
    while parameter_count(UNet3d(1, len(TISSUES), u_features)) < pw_params:
        u_features += 1
    unet, steps, u_train = unet_train(fit, u_features, args.seconds, args.lr)
    rows: dict[str, list[list[float]]] = {"patchwork": [], "unet": [], "otsu": []}
    times: dict[str, list[float]] = {"patchwork": [], "unet": [], "otsu": []}
    for s, (img, labels) in zip(held, made[args.train :], strict=True):
        for name, fn in (
            ("patchwork", lambda s=s: infer.predict(net, doc, s)),
            ("unet", lambda s=s: unet_predict(unet, s)),
            ("otsu", lambda img=img: otsu_predict(img)),
        ):
            t = time.monotonic()
            prob = fn()
            times[name].append(time.monotonic() - t)
            rows[name].append(dice_all(prob, labels))
    print(
        f"  patchwork: {pw_params} parameters, {doc.history[-1]['iteration']} iterations in {pw_train:.0f} s; "
        f"U-Net: {parameter_count(unet)} parameters ({u_features} features), {steps} steps in {u_train:.0f} s"
    )
    for name in rows:
        d = np.mean(np.asarray(rows[name]), axis=0)
        print(f"  {name:<10} Dice GM {d[0]:.3f} WM {d[1]:.3f}")
    seen = dice_all(infer.predict(net, doc, fit[0]), [m.numpy() > 0.5 for m in fit[0].labels])  # type: ignore[union-attr]
    print(f"  patchwork on a training subject (fit, not generalisation): Dice GM {seen[0]:.3f}, WM {seen[1]:.3f}")
    return rows, times, (net, doc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=int, default=4)
    parser.add_argument("--test", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=120.0, help="training time of each model")
    parser.add_argument("--seeds", type=int, default=3, help="runs with seeds 0.. (subjects, initial weights)")
    parser.add_argument("--warp", type=float, default=4.0, help="largest displacement (mm)")
    parser.add_argument("--mm", type=float, default=2.0, help="voxel size of the subjects (1: the template's)")
    parser.add_argument("--depth", type=int, default=2, help="patchwork levels")
    parser.add_argument("--patch", type=int, default=16, help="patchwork patch (voxels per axis)")
    parser.add_argument("--batch", type=int, default=2, help="patch trees per iteration")
    parser.add_argument("--lr", type=float, default=0.003, help="learning rate of both networks")
    parser.add_argument("--big", type=int, nargs=3, default=(256, 256, 180), help="the apply-time volume's matrix")
    parser.add_argument("--no-deepbet", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    SUBJECT_MM[0] = args.mm
    t1, maps, affine = template(args.mm)
    dice: dict[str, list[np.ndarray]] = {"patchwork": [], "unet": [], "otsu": []}
    apply: dict[str, list[float]] = {"patchwork": [], "unet": [], "otsu": []}
    for seed in range(args.seeds):
        rows, times, model = run_seed(args, seed, t1, maps, affine)
        for name in rows:
            dice[name].append(np.mean(np.asarray(rows[name]), axis=0))
            apply[name].extend(times[name])
    print(f"over {args.seeds} seed(s), held-out Dice mean ± sd of the seeds' means:")
    print(f"{'method':<10} {'Dice GM':>15} {'Dice WM':>15} {'apply s/volume':>15}")
    for name in dice:
        d = np.asarray(dice[name])
        gm, wm = (f"{d[:, k].mean():.3f} ± {d[:, k].std(ddof=1) if len(d) > 1 else 0:.3f}" for k in range(2))
        print(f"{name:<10} {gm:>15} {wm:>15} {np.mean(apply[name]):15.2f}")
    net, doc = model
    t1_full, _maps, affine_full = template(1.0)
    big = np.zeros(tuple(args.big), dtype=np.float32)
    x, y, z = (min(a, b) for a, b in zip(big.shape, t1_full.shape, strict=True))
    ox, oy = (big.shape[0] - x) // 2, (big.shape[1] - y) // 2
    big[ox : ox + x, oy : oy + y, :z] = t1_full[:x, :y, :z]  # the 1 mm template inside the grid
    wall, cpu = time.monotonic(), time.process_time()
    infer.predict(net, doc, data.from_arrays([big], affine_full))
    print(
        f"patchwork apply of a {'x'.join(map(str, args.big))} volume: {time.monotonic() - wall:.1f} s "
        f"({time.process_time() - cpu:.1f} s of CPU; aim: under 20 s)"
    )
    if not args.no_deepbet:
        deepbet_vs_nilearn(t1_full, affine_full)


def deepbet_vs_nilearn(t1: np.ndarray, affine: np.ndarray) -> None:
    from nora.segmentation.brainmask import brain_mask

    reference = (t1 / t1.max()) > 0.2  # nilearn's load_mni152_brain_mask(threshold=0.2)
    t = time.monotonic()
    mask = brain_mask(nib.Nifti1Image(t1, affine))  # type: ignore[no-untyped-call]
    print(
        f"deepbet brain mask of the MNI152 template: Dice {infer.dice(mask, reference):.3f} against nilearn's "
        f"MNI152 brain mask, in {time.monotonic() - t:.1f} s"
    )


if __name__ == "__main__":
    main()
