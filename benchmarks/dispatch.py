"""Dispatch overhead: N trivial jobs (default 1,000) through nora's executors beside plain baselines.

(a) local: a batch of N trivial Bash jobs (``true``) on N studies, run by the engine on the local executor
    (``local_workers`` = CPU count), against a plain pool of the same size running the same script with
    ``bash`` (``concurrent.futures`` + ``subprocess``): wall time and ratio.
(b) slurm: the same batch on a real single-node Slurm (started here, tests/support/slurmcluster.py)
    against a plain ``sbatch --array=0-(N-1)`` of the same script, waiting until ``squeue`` shows every
    task finished: wall time and ratio.
Both print the time from submission (launch) to the first job running.

    .venv/bin/python benchmarks/dispatch.py [--jobs 1000] [--only local|slurm]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nora.archive.db import make_engine, make_sessionmaker  # noqa: E402
from nora.archive.models import Patient, Study  # noqa: E402
from nora.archive.services import projects  # noqa: E402
from nora.archive.services.access import SYSTEM, project_access  # noqa: E402
from nora.archive.services.setup import init_database  # noqa: E402
from nora.archive.storage import Layout  # noqa: E402
from nora.core.settings import QueueSpec, Settings  # noqa: E402
from nora.processing.daemon import run_loop  # noqa: E402
from nora.processing.engine import Engine, TickReport  # noqa: E402
from nora.processing.models import Job  # noqa: E402
from nora.processing.service import LaunchRequest, launch  # noqa: E402

SCRIPT = "true\n"


def build(home: Path, n: int, executor: str) -> tuple[Settings, int]:
    db_url = f"sqlite:///{home / 'nora.sqlite'}"
    layout = Layout(home)
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    with sessions() as s:
        init_database(engine, layout, s, "admin", "benchmark-password")
        project = projects.create_project(s, SYSTEM, layout, "BENCH")
        s.flush()
        s.execute(
            insert(Patient), [{"project_id": project.id, "pid": f"P{i:05d}", "pid_lc": f"p{i:05d}"} for i in range(n)]
        )
        ids = dict(s.execute(select(Patient.pid, Patient.id)).all())
        s.execute(
            insert(Study),
            [{"project_id": project.id, "patient_id": ids[f"P{i:05d}"], "sid": "S1", "sid_lc": "s1"} for i in range(n)],
        )
        s.commit()
    workers = os.cpu_count() or 1
    config = Settings(
        home=home,
        database_url=db_url,
        executor=executor,
        local_workers=workers,
        poll_interval_s=0.05,
        queues={"normal": QueueSpec()},
    )
    return config, workers


def run_nora(home: Path, n: int, executor: str) -> tuple[float, float]:
    config, _ = build(home, n, executor)
    sessions = make_sessionmaker(make_engine(config.effective_database_url))
    start = time.perf_counter()
    with sessions() as s:
        access = project_access(s, SYSTEM, "BENCH")
        batch = launch(
            s,
            access,
            Layout(home),
            config.processing,
            LaunchRequest(batch={"jobs": [{"job": "bash", "script": SCRIPT}]}, select="*"),
        )
        s.commit()
        batch_id = batch.id
    engine = Engine(sessions, config, [batch_id])
    first: list[float] = []
    stop = threading.Event()

    def on_tick(report: TickReport) -> None:
        if not first:
            with sessions() as s:
                if s.scalar(
                    select(Job.id).where(Job.batch_id == batch_id, Job.phase.in_(("running", "done"))).limit(1)
                ):
                    first.append(time.perf_counter() - start)
        if report.active == 0 and report.queued == 0:
            stop.set()

    # the daemon's own loop (nora serve / nora daemon), stopped when the batch is through
    run_loop(sessions, config, stop, on_tick=on_tick, engine=engine)
    wall = time.perf_counter() - start
    with sessions() as s:
        states = [j for (j,) in s.execute(select(Job.state).where(Job.batch_id == batch_id))]
    assert states.count("d") == n, f"{states.count('d')} of {n} jobs done"
    return wall, first[0] if first else wall


def run_pool(home: Path, n: int, workers: int) -> tuple[float, float]:
    script = home / "script.sh"
    script.write_text(SCRIPT)
    start = time.perf_counter()
    first: list[float] = []

    def one(_i: int) -> int:
        if not first:
            first.append(time.perf_counter() - start)
        return subprocess.run(["bash", str(script)], check=True).returncode

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        assert all(code == 0 for code in pool.map(one, range(n)))
    return time.perf_counter() - start, first[0]


def run_array(home: Path, n: int) -> tuple[float, float]:
    script = home / "array.sh"
    script.write_text("#!/bin/bash\n" + SCRIPT)
    start = time.perf_counter()
    out = subprocess.run(
        ["sbatch", "--parsable", f"--array=0-{n - 1}", "--output=/dev/null", str(script)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    first = None
    while True:
        states = subprocess.run(
            ["squeue", "-h", "-r", "-t", "all", "-j", out, "-o", "%T"], capture_output=True, text=True, check=True
        ).stdout.split()
        if first is None and any(s in ("RUNNING", "COMPLETING", "COMPLETED") for s in states):
            first = time.perf_counter() - start
        if len(states) == n and all(s in ("COMPLETED", "FAILED") for s in states):
            break
        time.sleep(0.05)
    return time.perf_counter() - start, first or 0.0


def report(label: str, ours: tuple[float, float], base: tuple[float, float], n: int) -> None:
    print(
        f"{label}: nora {ours[0]:.2f} s ({n / ours[0]:.0f} jobs/s), baseline {base[0]:.2f} s "
        f"({n / base[0]:.0f} jobs/s), ratio {ours[0] / base[0]:.2f}x; "
        f"first job running after {ours[1]:.3f} s (baseline {base[1]:.3f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--only", choices=("local", "slurm"))
    args = parser.parse_args()
    n = args.jobs
    print(f"{n} trivial jobs, {os.cpu_count()} CPUs")
    if args.only in (None, "local"):
        with tempfile.TemporaryDirectory() as tmp:
            ours = run_nora(Path(tmp) / "nora", n, "local")
            base = run_pool(Path(tmp), n, os.cpu_count() or 1)
        report("local executor vs process pool", ours, base, n)
    if args.only in (None, "slurm"):
        from tests.support.slurmcluster import SlurmCluster, slurm_missing

        if slurm_missing():
            print(f"slurm: skipped ({slurm_missing()})")
            return
        with tempfile.TemporaryDirectory() as tmp:
            cluster = SlurmCluster(Path(tmp) / "slurm")
            cluster.start()
            try:
                base = run_array(Path(tmp), n)
                ours = run_nora(Path(tmp) / "nora", n, "slurm")
            finally:
                cluster.stop()
        report("slurm executor vs sbatch --array", ours, base, n)


if __name__ == "__main__":
    main()
