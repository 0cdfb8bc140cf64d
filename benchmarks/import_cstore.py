"""C-STORE ingest rate: dcmtk's ``storescu`` pushing the same instances into our DICOM node and into Orthanc.

    .venv/bin/python benchmarks/import_cstore.py [--instances 1000] [--runs 3] [--associations 1]

The instances are pydicom's CT_small.dcm (a real 128×128 CT slice, 39 KB) re-written with fresh UIDs. Our
node writes every instance to its spool (temporary name, fsync, rename, folder fsync) before answering
success; Orthanc (Debian package, default storage settings, SQLite index) stores and indexes it. The
end-of-study import is not part of this figure (see ``benchmarks/import.py``). Prints instances per
second for both and the ratio (ours / Orthanc's; the aim is at least 1.0).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.pacs.conftest import ct_series  # noqa: E402
from tests.support.orthanc import ORTHANC_AET, TempOrthanc  # noqa: E402
from tests.support.pgcluster import free_port  # noqa: E402

from nora.dicom.net import DicomNode, NodeConfig, Spool  # noqa: E402


def push(files: list[Path], ae: str, port: int, associations: int, nodelay: bool) -> float:
    """Seconds for ``storescu`` to send every file (split over parallel associations).

    dcmtk leaves Nagle's algorithm on unless TCP_NODELAY=1 is in its environment; with the receiver's
    delayed ACKs that costs ~40 ms per instance whichever the receiver is, so it is set by default.
    """
    chunks = [files[i::associations] for i in range(associations)]
    env = {**os.environ, "TCP_NODELAY": "1" if nodelay else "0"}

    def one(chunk: list[Path]) -> None:
        run = subprocess.run(
            ["storescu", "-aet", "BENCH", "-aec", ae, "127.0.0.1", str(port), *map(str, chunk)],
            capture_output=True,
            timeout=600,
            env=env,
        )
        if run.returncode != 0:
            raise RuntimeError(f"storescu failed: {run.stderr.decode()[-500:]}")

    start = time.perf_counter()
    with ThreadPoolExecutor(associations) as pool:
        list(pool.map(one, chunks))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3, help="runs per side; the best counts")
    parser.add_argument("--associations", type=int, default=1, help="parallel storescu associations")
    parser.add_argument("--nagle", action="store_true", help="leave Nagle's algorithm on in storescu")
    args = parser.parse_args()
    if shutil.which("storescu") is None:
        sys.exit("dcmtk's storescu is missing: scripts/setup.sh --test installs it")
    work = Path(tempfile.mkdtemp(prefix="nora-bench-cstore-"))
    try:
        files = ct_series(work / "src", args.instances, patient="Bench^Mark", pid="BENCH")
        mb = sum(f.stat().st_size for f in files) / 1e6
        ours: list[float] = []
        theirs: list[float] = []
        for run in range(args.runs):
            spool = Spool(work / f"spool{run}")
            node = DicomNode(NodeConfig(["NORA"], free_port(), host="127.0.0.1", timeout=3600), spool)
            node.start()
            try:
                ours.append(push(files, "NORA", node.port, args.associations, not args.nagle))
                assert node.received == len(files), (node.received, len(files))
            finally:
                node.stop()
            orthanc = TempOrthanc()
            orthanc.start()
            try:
                theirs.append(push(files, ORTHANC_AET, orthanc.dicom_port, args.associations, not args.nagle))
                assert len(orthanc.get("/instances")) == len(files)
            finally:
                orthanc.stop()
        n = len(files)
        best_ours, best_theirs = min(ours), min(theirs)
        nagle = "Nagle on" if args.nagle else "TCP_NODELAY"
        print(
            f"{n} instances ({mb:.1f} MB), storescu ({nagle}), {args.associations} association(s), best of {args.runs}"
        )
        print(f"{'':24} {'time':>8} {'inst/s':>8} {'MB/s':>7}")
        print(f"{'Orthanc (baseline)':24} {best_theirs:7.2f}s {n / best_theirs:8.0f} {mb / best_theirs:7.1f}")
        print(f"{'nora dicom-node':24} {best_ours:7.2f}s {n / best_ours:8.0f} {mb / best_ours:7.1f}")
        print(f"ratio (nora rate / Orthanc rate): {best_theirs / best_ours:.2f}x  (aim: >= 1.0x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
