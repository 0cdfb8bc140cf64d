"""The REST API under load: N concurrent clients for a fixed time against the table, files and job-list routes.

A generated project of 10,000 studies (one per patient; 4 files each, tags on some, 2,000 jobs) is
bulk-inserted into SQLite and into PostgreSQL (a temporary cluster), and the real server (Uvicorn in a
subprocess, as ``nora serve`` runs it) answers ``--clients`` concurrent httpx clients, each sending its
next request as soon as the last one is answered, for ``--seconds`` per engine. The clients take turns
over the routes the web page calls most:

* table: ``GET /studies`` (the first page of 200 rows, and a filtered page: ``sdesc=mr``);
* files: ``GET .../patients/{pid}/studies/{sid}/files`` of a random study (the files panel);
* jobs:  ``GET /jobs`` (the job monitor, 500 jobs).

Printed per route: requests/s, p50 and p95 in ms, and beside them the same route's bare database work
(the service query the route calls, without HTTP, authentication or JSON), timed in the same run on the
same database while the server is idle.

Run: ``.venv/bin/python benchmarks/http_load.py [--engine sqlite|postgres|both] [--clients 20] [--seconds 20]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import create_engine, insert, select, text  # noqa: E402

from nora.archive.db import make_engine, make_sessionmaker  # noqa: E402
from nora.archive.models import File, FileTag, Patient, PatientTag, Study, StudyTag  # noqa: E402
from nora.archive.services import accounts, nodes, projects  # noqa: E402
from nora.archive.services import files as file_service  # noqa: E402
from nora.archive.services.access import SYSTEM, project_access  # noqa: E402
from nora.archive.services.setup import init_database  # noqa: E402
from nora.archive.services.table import TableQuery, query_studies  # noqa: E402
from nora.archive.services.tags import tags_of  # noqa: E402
from nora.archive.storage import Layout  # noqa: E402
from nora.processing import service as job_service  # noqa: E402
from nora.processing.models import Batch, Job  # noqa: E402

PROJECT = "LOAD"
STUDIES = 10_000
JOBS = 2_000
FILES = ("t1_mprage/s002.nii.gz", "t1_mprage/s002.json", "dwi/s004.nii.gz", "dwi/s004.bval")


def fill(db_url: str, home: Path) -> str:
    """The data root and database of the benchmark; returns an admin API token."""
    layout = Layout(home)
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    with factory() as s:
        init_database(engine, layout, s, "admin", "bench-admin-password")
        project = projects.create_project(s, SYSTEM, layout, PROJECT, "10,000 studies")
        s.flush()
        pid = project.id
        s.execute(
            insert(Patient),
            [
                {"project_id": pid, "pid": f"P{i:05d}", "pid_lc": f"p{i:05d}", "name": f"Name{i}"}
                for i in range(STUDIES)
            ],
        )
        patients = dict(s.execute(select(Patient.pid, Patient.id).where(Patient.project_id == pid)).all())
        s.execute(
            insert(Study),
            [
                {
                    "project_id": pid,
                    "patient_id": patients[f"P{i:05d}"],
                    "sid": "S1",
                    "sid_lc": "s1",
                    "description": "ct head" if i % 3 else "mr brain",
                    "modality": "CT" if i % 3 else "MR",
                }
                for i in range(STUDIES)
            ],
        )
        studies = s.execute(select(Study.id, Study.patient_id).where(Study.project_id == pid)).all()
        s.execute(
            insert(File),
            [
                {
                    "project_id": pid,
                    "patient_id": patient,
                    "study_id": study,
                    "path": path,
                    "path_lc": path.lower(),
                    "format": "nifti" if ".nii" in path else "",
                    "size": 1000,
                    "header": {"dim": [3, 256, 256, 176]} if ".nii" in path else {},
                }
                for study, patient in studies
                for path in FILES
            ],
        )
        s.execute(insert(StudyTag), [{"study_id": st, "tag": "baseline"} for st, _ in studies[::7]])
        s.execute(insert(PatientTag), [{"patient_id": p, "tag": "control"} for _, p in studies[::5]])
        batch = Batch(project_id=pid, name="bet", username="admin")
        s.add(batch)
        s.flush()
        s.execute(
            insert(Job),
            [
                {
                    "project_id": pid,
                    "patient_id": patient,
                    "study_id": study,
                    "batch_id": batch.id,
                    "name": "bet",
                    "state": "e" if i % 10 == 0 else "d",
                    "phase": "error" if i % 10 == 0 else "done",
                    "message": "exit code 1" if i % 10 == 0 else "",
                }
                for i, (study, patient) in enumerate(studies[:JOBS])
            ],
        )
        token = accounts.create_token(s, accounts.get_user(s, "admin"), "bench").secret
        s.commit()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return token


def routes(rng: random.Random) -> dict[str, Callable[[], str]]:
    """Route name -> a function giving the next URL to ask."""
    base = f"/api/projects/{PROJECT}"
    return {
        "table (first page)": lambda: f"{base}/studies?limit=200",
        "table (sdesc=mr)": lambda: f"{base}/studies?limit=200&sdesc=mr",
        "study files": lambda: f"{base}/patients/P{rng.randrange(STUDIES):05d}/studies/S1/files",
        "job list": lambda: f"{base}/jobs?limit=500",
    }


def bare_queries(db_url: str, rng: random.Random) -> dict[str, Callable[[], object]]:
    """The database work of each route, as the route's service does it (one session per call)."""
    factory = make_sessionmaker(make_engine(db_url))

    def run(work: Callable[..., object]) -> Callable[[], object]:
        def once() -> object:
            with factory() as s:
                return work(s, project_access(s, SYSTEM, PROJECT))

        return once

    def study_files(s: object, access: object) -> object:
        study = nodes.get_study(s, access, f"P{rng.randrange(STUDIES):05d}", "S1")  # type: ignore[arg-type]
        rows = file_service.list_files(s, access, study.patient, study)  # type: ignore[arg-type]
        return tags_of(s, FileTag, "file_id", [r.id for r in rows])  # type: ignore[arg-type]

    return {
        "table (first page)": run(lambda s, a: query_studies(s, a, TableQuery(limit=200))),
        "table (sdesc=mr)": run(lambda s, a: query_studies(s, a, TableQuery({"sdesc": "mr"}, limit=200))),
        "study files": run(study_files),
        "job list": run(lambda s, a: job_service.list_jobs(s, a, limit=500)),
    }


def time_bare(queries: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median ms of each route's database work (after one warm-up call)."""
    out = {}
    for name, query in queries.items():
        query()
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            query()
            times.append((time.perf_counter() - t0) * 1000)
        out[name] = statistics.median(times)
    return out


async def load(url: str, token: str, clients: int, seconds: float) -> dict[str, list[float]]:
    """``clients`` concurrent clients for ``seconds``: the latencies in ms of each route's answers."""
    latencies: dict[str, list[float]] = {}
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.perf_counter() + seconds

    async def client(n: int) -> None:
        rng = random.Random(n)
        todo = routes(rng)
        names = list(todo)
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
            i = n
            while time.perf_counter() < deadline:
                name = names[i % len(names)]
                i += 1
                t0 = time.perf_counter()
                answer = await http.get(todo[name]())
                if answer.status_code != 200:
                    raise SystemExit(f"{name}: HTTP {answer.status_code} {answer.text[:200]}")
                latencies.setdefault(name, []).append((time.perf_counter() - t0) * 1000)

    await asyncio.gather(*(client(n) for n in range(clients)))
    return latencies


def p(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve(
    home: Path, db_url: str, token: str, args: argparse.Namespace, src: Path | None, env: dict[str, str]
) -> tuple[dict[str, list[float]], float]:
    """One server (this tree's, or ``src``'s; ``env``: settings of its own) under the load: the latencies
    and its CPU ms per request."""
    from tests.e2e.conftest import running_server

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # running_server hands the server a copy of this environment
    try:
        with running_server(home, db_url, src) as server:
            lat, cpu_ms = _measure(server, token, args)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return lat, cpu_ms


def _measure(server: Any, token: str, args: argparse.Namespace) -> tuple[dict[str, list[float]], float]:
    asyncio.run(load(server.url, token, args.clients, 2))  # warm-up
    cpu0 = cpu_seconds(server.pid)
    lat = asyncio.run(load(server.url, token, args.clients, args.seconds))
    cpu = cpu_seconds(server.pid) - cpu0
    return lat, 1000 * cpu / max(1, sum(len(v) for v in lat.values()))


def report(
    label: str, lat: dict[str, list[float]], cpu_ms: float, bare: dict[str, float], args: argparse.Namespace
) -> None:
    total = sum(len(v) for v in lat.values())
    print(f"{label}: {args.clients} clients for {args.seconds:.0f} s: {total / args.seconds:.1f} requests/s in all,")
    print(f"  server CPU {cpu_ms:.1f} ms per request; load average {os.getloadavg()[0]:.1f}")
    print(f"  {'route':22s} {'req/s':>7s} {'p50 ms':>8s} {'p95 ms':>8s} {'bare db p50 ms':>15s}")
    for name in sorted(lat):
        values = lat[name]
        print(
            f"  {name:22s} {len(values) / args.seconds:7.1f} {p(values, 0.5):8.1f} {p(values, 0.95):8.1f}"
            f" {bare[name]:15.1f}"
        )
    every = [v for values in lat.values() for v in values]
    print(f"  {'all routes':22s} {total / args.seconds:7.1f} {p(every, 0.5):8.1f} {p(every, 0.95):8.1f}")


def bench(engine: str, db_url: str, home: Path, args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    token = fill(db_url, home)
    loaded = time.perf_counter() - t0
    print(f"\n{engine}: {STUDIES} studies, {STUDIES * len(FILES)} files, {JOBS} jobs, loaded in {loaded:.0f} s")
    bare = time_bare(bare_queries(db_url, random.Random(0)), args.repeats)
    one: list[tuple[str, Path | None, dict[str, str]]] = [("this tree", None, {})]
    if args.cache_off:
        one.append(("this tree, cache off", None, {"NORA_RESPONSE_CACHE_MB": "0"}))
    if args.baseline_src:
        one.insert(0, ("baseline", args.baseline_src, {}))
    # interleaved rounds, so every server sees the same load from the rest of the machine
    for label, src, env in one * args.rounds:
        lat, cpu_ms = serve(home, db_url, token, args, src, env)
        report(f"{engine}, {label}", lat, cpu_ms, bare, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--repeats", type=int, default=20, help="timed calls of each bare query")
    parser.add_argument(
        "--baseline-src",
        type=Path,
        help="another tree's src folder (e.g. from git archive) whose server runs the same load in turn with this one",
    )
    parser.add_argument("--rounds", type=int, default=1, help="rounds of the servers compared, interleaved")
    parser.add_argument(
        "--cache-off", action="store_true", help="also serve this tree without its response cache in each round"
    )
    args = parser.parse_args()
    print(f"load average before the run: {' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        if args.engine in ("sqlite", "both"):
            home = Path(tmp) / "sqlite"
            bench("sqlite", f"sqlite:///{home / 'nora.sqlite'}", home, args)
        if args.engine in ("postgres", "both"):
            from tests.support.pgcluster import TempCluster

            cluster = TempCluster()
            cluster.start()
            stack.callback(cluster.stop)
            admin = create_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text('CREATE DATABASE "nora_load"'))
            admin.dispose()
            bench("postgres", cluster.url("nora_load"), Path(tmp) / "postgres", args)
    print(f"load average after the run: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
