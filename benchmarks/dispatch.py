"""Dispatch overhead: N trivial jobs (default 1,000) through nora's executors beside plain baselines.

(a) local: a batch of N trivial Bash jobs (``true``) on N studies, run by the engine on the local executor
    (``local_workers`` = CPU count), against a plain pool of the same size running the same script with
    ``bash`` (``concurrent.futures`` + ``subprocess``): wall time and ratio.
(b) slurm: the same batch on a real single-node Slurm (started here, tests/support/slurmcluster.py)
    against a plain ``sbatch --array=0-(N-1)`` of the same script, waiting until ``squeue`` shows every
    task finished: wall time and ratio.
Both print the time from submission (launch) to the first job running; the local half also prints the
CPU time per job (this process, which is the daemon, plus its children: the fork server and the jobs)
against the pool's, and the wall-time overhead per job. The last line gives both ratios and the load
average (the figures are only comparable within one run on a machine shared with other work).

    .venv/bin/python benchmarks/dispatch.py [--jobs 1000] [--only local|slurm]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import resource
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
from nora.processing.executors.local import LocalExecutor  # noqa: E402
from nora.processing.models import Job  # noqa: E402
from nora.processing.service import LaunchRequest, launch  # noqa: E402

SCRIPT = "true\n"


def cpu_s() -> float:
    """CPU seconds of this process and of its children that were waited for (and theirs)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


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
        poll_interval_s=float(os.environ.get("BENCH_POLL", "0.05")),
        queues={"normal": QueueSpec()},
    )
    return config, workers


def run_nora(home: Path, n: int, executor: str) -> tuple[float, float, float]:
    """Wall time, time to the first job running, CPU seconds (daemon + fork server + jobs)."""
    config, _ = build(home, n, executor)
    sessions = make_sessionmaker(make_engine(config.effective_database_url))
    cpu = cpu_s()
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
    local = engine.executor(executor)
    if isinstance(local, LocalExecutor):
        local.close()  # waits for the fork server, whose CPU (and its jobs') then counts
    cpu = cpu_s() - cpu
    with sessions() as s:
        states = [j for (j,) in s.execute(select(Job.state).where(Job.batch_id == batch_id))]
    assert states.count("d") == n, f"{states.count('d')} of {n} jobs done"
    return wall, first[0] if first else wall, cpu


def run_pool(home: Path, n: int, workers: int) -> tuple[float, float, float]:
    script = home / "script.sh"
    script.write_text(SCRIPT)
    cpu = cpu_s()
    start = time.perf_counter()
    first: list[float] = []

    def one(_i: int) -> int:
        if not first:
            first.append(time.perf_counter() - start)
        return subprocess.run(["bash", str(script)], check=True).returncode

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        assert all(code == 0 for code in pool.map(one, range(n)))
    return time.perf_counter() - start, first[0], cpu_s() - cpu


def run_array(home: Path, n: int) -> tuple[float, float, float]:
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
    return time.perf_counter() - start, first or 0.0, 0.0


def report(label: str, ours: tuple[float, float, float], base: tuple[float, float, float], n: int) -> float:
    ratio = ours[0] / base[0]
    print(
        f"{label}: nora {ours[0]:.2f} s ({n / ours[0]:.0f} jobs/s), baseline {base[0]:.2f} s "
        f"({n / base[0]:.0f} jobs/s), ratio {ratio:.2f}x; "
        f"first job running after {ours[1]:.3f} s (baseline {base[1]:.3f} s)"
    )
    if ours[2] and base[2]:
        print(
            f"  per job: wall-time overhead {1000 * (ours[0] - base[0]) / n:.2f} ms; "
            f"CPU {1000 * ours[2] / n:.2f} ms (daemon, fork server and job) against {1000 * base[2] / n:.2f} ms"
        )
    return ratio


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--only", choices=("local", "slurm"))
    args = parser.parse_args()
    n = args.jobs
    print(f"{n} trivial jobs, {os.cpu_count()} CPUs, load average {load()} (1/5/15 min)")
    ratios = []
    if args.only in (None, "local"):
        with tempfile.TemporaryDirectory() as tmp:
            base = run_pool(Path(tmp), n, os.cpu_count() or 1)
            ours = run_nora(Path(tmp) / "nora", n, "local")
        ratios.append(f"local {report('local executor vs process pool', ours, base, n):.2f}x (aim <= 8x)")
    if args.only in (None, "slurm"):
        from tests.support.slurmcluster import SlurmCluster, slurm_missing

        missing = slurm_missing()
        if missing:
            print(f"slurm: skipped ({missing})")
        else:
            with tempfile.TemporaryDirectory() as tmp:
                cluster = SlurmCluster(Path(tmp) / "slurm")
                cluster.start()
                try:
                    base = run_array(Path(tmp), n)
                    ours = run_nora(Path(tmp) / "nora", n, "slurm")
                finally:
                    cluster.stop()
            ratios.append(f"slurm {report('slurm executor vs sbatch --array', ours, base, n):.2f}x (aim <= 1x)")
    print(f"ratios: {', '.join(ratios)}; load average at the end {load()}")


if __name__ == "__main__":
    main()
