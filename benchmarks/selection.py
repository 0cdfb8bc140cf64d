"""Selection-language latency on a large archive, beside a full scan in Python.

Builds one project of 10,000 patients, 50,000 studies and 1,000,000 files (times ``--scale``) on SQLite
(a temporary file) and on PostgreSQL (a temporary cluster), then times 20 typical queries: filter bars as
the subject/study table runs them (the first page of 200 study rows plus the total count) and backend
selector resolutions. For each it prints the median and p95 latency per engine beside the baseline, the
reference matcher (:mod:`nora.archive.selection.reference`) scanning every row in memory, and checks that
both give the same answer.

    .venv/bin/python benchmarks/selection.py [--engine sqlite|postgres|both] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Engine, create_engine, func, insert, select, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support.pgcluster starts the temporary PostgreSQL

from nora.archive.db import make_engine  # noqa: E402
from nora.archive.migrate import upgrade  # noqa: E402
from nora.archive.models import File, FileTag, Patient, PatientTag, Project, Study, StudyTag  # noqa: E402
from nora.archive.selection import (  # noqa: E402
    column_condition,
    files_condition,
    parse_filter,
    resolve_selection,
    tags_condition,
)
from nora.archive.selection.reference import (  # noqa: E402
    RefArchive,
    RefFile,
    RefJob,
    RefPatient,
    RefStudy,
    resolve,
    study_matches,
)
from nora.processing.models import Job  # noqa: E402

PAGE = 200
BAR_COLUMNS: dict[str, Any] = {
    "pid": Patient.pid_lc,
    "sid": Study.sid_lc,
    "study_date": Study.study_date,
    "sdesc": Study.description,
    "modality": Study.modality,
}

# ------------------------------------------------------------------------------------------- the data

SERIES = {
    "MR": {
        "t1_mprage": ["s{n:03d}.nii.gz", "s{n:03d}.json"],
        "t1_trio": ["s{n:03d}.nii", "s{n:03d}.json"],
        "MPR_t1": ["s{n:03d}.nii.gz", "s{n:03d}.json"],
        "t2_flair": ["s{n:03d}.nii.gz", "s{n:03d}.json"],
        "t2_tse": ["s{n:03d}.nii.gz", "s{n:03d}.json"],
        "dwi": ["s{n:03d}.nii.gz", "s{n:03d}.json", "s{n:03d}.bval", "s{n:03d}.bvec", "dti_fa.nii.gz", "dti_md.nii.gz"],
        "rs_fmri": ["s{n:03d}.nii.gz", "s{n:03d}.json"],
        "swi": ["s{n:03d}.nii.gz", "s{n:03d}.json"],
    },
    "CT": {
        "ct_thorax": ["s{n:03d}.nii.gz", "s{n:03d}.json"],
        "ct_thorax_lung": ["s{n:03d}.nii.gz", "s{n:03d}.json"],
        "ct_abdomen": ["s{n:03d}.nii.gz", "s{n:03d}.json"],
    },
    "PT": {
        "pet_ac": ["s{n:03d}.nii.gz", "s{n:03d}.json"],
        "pet_nac": ["s{n:03d}.nii.gz", "s{n:03d}.json"],
        "ct_ac": ["s{n:03d}.nii.gz", "s{n:03d}.json"],
    },
}
MASKS = ["mask_brain.nii.gz", "mask_lesion.nii.gz", "mask_hippocampus.nii.gz", "mask_wm.nii.gz", "mask_tumor.nii.gz"]
DESCRIPTIONS = {
    "MR": ["MRI Head", "MRI Head followup", "MRI Knee"],
    "CT": ["CT Thorax", "CT Abdomen"],
    "PT": ["PET/CT"],
}
FILES_PER_STUDY = 20


def study_files(rng: random.Random, modality: str) -> list[str]:
    """20 paths as a converter leaves them: series folders, sidecars, ROIs, metadata, repeated runs."""
    kinds = SERIES[modality]
    series = rng.sample(sorted(kinds), min(len(kinds), rng.randint(2, 5)))
    paths = ["META/info.json", "META/dicom_header.json"]
    if modality == "CT" and rng.random() < 0.5:
        paths.append("META/bolustiming.json")
    if rng.random() < 0.3:
        paths += [f"ROIS/{m}" for m in rng.sample(MASKS, rng.randint(1, 3))]
    n = 2
    for folder in series:
        paths += [f"{folder}/{name.format(n=n)}" for name in kinds[folder]]
        n += 1
    while len(paths) < FILES_PER_STUDY:  # repeated acquisitions
        paths.append(f"{rng.choice(series)}/s{n:03d}.nii.gz")
        n += 1
    return paths[:FILES_PER_STUDY]


@dataclass
class Data:
    patients: list[RefPatient] = field(default_factory=list)
    studies: list[RefStudy] = field(default_factory=list)
    files: list[RefFile] = field(default_factory=list)
    jobs: list[RefJob] = field(default_factory=list)


def generate(scale: float, seed: int = 7) -> Data:
    """10,000 x scale patients with 5 studies of 20 files each, some tags, a few jobs (deterministic)."""
    rng = random.Random(seed)
    data = Data()
    n_patients = max(2, round(10_000 * scale))
    study_id = file_id = 0
    for p in range(1, n_patients + 1):
        r = rng.random()
        ptags = frozenset(["cohortA"] if r < 0.05 else ["cohortB"] if r < 0.1 else ["control"] if r < 0.13 else [])
        data.patients.append(RefPatient(p, str(10_000 + p - 1), tags=ptags))
        if p % 10 == 0:
            file_id += 1
            data.files.append(RefFile(file_id, p, None, "demographics.json"))
        for k in range(5):
            study_id += 1
            date = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randrange(15 * 365))
            modality = rng.choices(["MR", "CT", "PT"], [6, 3, 1])[0]
            r = rng.random()
            stags = frozenset(
                ["baseline"] if r < 0.1 else ["followup"] if r < 0.15 else ["baseline", "qc_ok"] if r < 0.17 else []
            )
            sid = f"{date:%Y%m%d}_{k + 1}"
            data.studies.append(RefStudy(study_id, p, sid, date, rng.choice(DESCRIPTIONS[modality]), modality, stags))
            for path in study_files(rng, modality):
                file_id += 1
                r = rng.random()
                ftags = frozenset(["reviewed"] if r < 0.005 else ["qc_ok"] if r < 0.01 else [])
                data.files.append(RefFile(file_id, p, study_id, path, ftags))
            if rng.random() < 0.01:
                data.jobs.append(RefJob(p, study_id, rng.choice("qred")))
        if rng.random() < 0.01:
            data.jobs.append(RefJob(p, None, rng.choice("qre")))
    return data


def _chunks(rows: list[dict[str, Any]], size: int = 20_000) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def load(engine: Engine, data: Data) -> int:
    """Insert the rows with bulk Core inserts; returns the project id."""
    now = dt.datetime(2025, 1, 1)
    with engine.begin() as conn:
        project_id = conn.execute(
            insert(Project).values(name="bench", description="", settings={}, created_at=now)
        ).inserted_primary_key[0]
        common = {"project_id": project_id, "meta": {}, "created_at": now}
        conn.execute(
            insert(Patient),
            [
                {**common, "id": p.id, "pid": p.pid, "pid_lc": p.pid.lower(), "orig_pid": "", "name": "", "sex": ""}
                for p in data.patients
            ],
        )
        conn.execute(
            insert(Study),
            [
                {
                    **common,
                    "id": s.id,
                    "patient_id": s.patient_id,
                    "sid": s.sid,
                    "sid_lc": s.sid.lower(),
                    "study_date": s.study_date,
                    "description": s.description,
                    "modality": s.modality,
                    "study_uid": "",
                    "accession": "",
                }
                for s in data.studies
            ],
        )
        file_rows = [
            {
                "id": f.id,
                "project_id": project_id,
                "patient_id": f.patient_id,
                "study_id": f.study_id,
                "path": f.path,
                "path_lc": f.path.lower(),
                "format": "",
                "size": 0,
                "sha256": "",
                "header": {},
                "created_at": now,
                "modified_at": now,
            }
            for f in data.files
        ]
        for chunk in _chunks(file_rows):
            conn.execute(insert(File), chunk)
        del file_rows
        conn.execute(insert(PatientTag), [{"patient_id": p.id, "tag": t} for p in data.patients for t in p.tags])
        conn.execute(insert(StudyTag), [{"study_id": s.id, "tag": t} for s in data.studies for t in s.tags])
        conn.execute(insert(FileTag), [{"file_id": f.id, "tag": t} for f in data.files for t in f.tags])
        conn.execute(
            insert(Job),
            [
                {
                    "project_id": project_id,
                    "patient_id": j.patient_id,
                    "study_id": j.study_id,
                    "state": j.state,
                    "name": "",
                    "kind": "job",
                    "spec": {},
                    "progress": 0.0,
                    "message": "",
                    "log_path": "",
                    "created_at": now,
                    "updated_at": now,
                }
                for j in data.jobs
            ],
        )
    # as autovacuum would: planner statistics, and PostgreSQL's visibility map for index-only scans
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    return int(project_id)


# ---------------------------------------------------------------------------------------------- queries


@dataclass(frozen=True)
class Query:
    """A table query (``bar``, ``text``) or a backend selection (``subject``, ``files``)."""

    name: str
    bar: str = ""
    text: str = ""
    subject: str = ""
    files: str = ""


def queries(data: Data) -> list[Query]:
    some = ",".join(p.pid for p in data.patients[:: max(1, len(data.patients) // 20)][:20])
    prefix = data.patients[len(data.patients) // 3].pid[:-2]  # 100 patients at full scale
    return [
        Query("files t1_mprage/s0*.nii.gz", "files", "t1_mprage/s0*.nii.gz"),
        Query("files t1* mpr*", "files", "t1* mpr*"),
        Query("files *mask_lesion*", "files", "*mask_lesion*"),
        Query("files *.bvec", "files", "*.bvec"),
        Query("files ROIS/mask_* & STAG:baseline", "files", "ROIS/mask_* & STAG:baseline"),
        Query("files t2_flair* & SDESC:mri", "files", "t2_flair* & SDESC:mri"),
        Query("files dwi/dti_fa* & PTAG:cohortB", "files", "dwi/dti_fa* & PTAG:cohortB"),
        Query("files STAG:control STAG:followup", "files", "STAG:control STAG:followup"),
        Query("files FTAG:reviewed", "files", "FTAG:reviewed"),
        Query("files JOB:e", "files", "JOB:e"),
        Query("files JOB:qr & swi", "files", "JOB:qr & swi"),
        Query("pid 123*", "pid", f"{prefix}*"),
        Query('sdesc "ct thorax"', "sdesc", '"ct thorax"'),
        Query("study_date 2019-0", "study_date", "2019-0"),
        Query("tags base", "tags", "base"),
        Query("select 123* ROIS/mask*.nii.gz", subject=f"{prefix}*", files="ROIS/mask*.nii.gz"),
        Query("select stag:qc_ok t1_mprage/*.nii.gz", subject="stag:qc_ok", files="t1_mprage/*.nii.gz"),
        Query(
            "select 123*#LATEST META/*.json SORTDESC NTH(1)",
            subject=f"{prefix}*#LATEST",
            files="META/*.json SORTDESC NTH(1)",
        ),
        Query("select PIDLIST:(20) *", subject=f"PIDLIST:{some}", files="*"),
        Query("select ptag:control [info]", subject="ptag:control", files="[info]"),
    ]


def _condition(bar: str, text_: str) -> ColumnElement[bool]:
    flt = parse_filter(text_)
    if bar == "files":
        return files_condition(flt)
    if bar == "tags":
        return tags_condition(flt)
    return column_condition(flt, BAR_COLUMNS[bar])


def run_sql(session: Session, project_id: int, q: Query) -> Any:
    """What the table (page + count) or the CLI (hits) would fetch."""
    if not q.bar:
        return [(h.pid, h.sid, h.path) for h in resolve_selection(session, project_id, q.subject, q.files)]
    base = (
        select(Study.id, Patient.pid, Study.sid)
        .join(Patient, Patient.id == Study.patient_id)
        .where(Study.project_id == project_id, _condition(q.bar, q.text))
    )
    total = session.scalar(select(func.count()).select_from(base.subquery()))
    page = session.execute(base.order_by(Patient.pid_lc, Study.sid_lc, Study.id).limit(PAGE)).all()
    return total, [row[0] for row in page]


def run_reference(archive: RefArchive, q: Query) -> Any:
    if not q.bar:
        return [(h.pid, h.sid, h.path) for h in resolve(archive, q.subject, q.files)]
    flt = parse_filter(q.text)
    rows = [s for s in archive.studies.values() if study_matches(flt, archive, s, q.bar)]
    rows.sort(key=lambda s: (archive.patients[s.patient_id].pid.lower(), s.sid.lower(), s.id))
    return len(rows), [s.id for s in rows[:PAGE]]


def timings(fn: Callable[[], Any], repeats: int) -> tuple[list[float], Any]:
    result = fn()  # warm-up, and the answer to check
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out, result


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


# ------------------------------------------------------------------------------------------------- main


def engines(kind: str, workdir: Path, plan_cache: str) -> Iterator[tuple[str, Engine]]:
    if kind in ("sqlite", "both"):
        engine = make_engine(f"sqlite:///{workdir / 'bench.sqlite'}")
        yield "sqlite", engine
        engine.dispose()
    if kind in ("postgres", "both"):
        from tests.support.pgcluster import TempCluster

        cluster = TempCluster()
        cluster.start()
        try:
            url = cluster.create_database("bench")
            if plan_cache == "custom":
                # psycopg prepares a statement after 5 runs, and PostgreSQL then may switch to a generic
                # plan, which cannot use an index for "path_lc LIKE $1": see the README
                admin = create_engine(url, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text("ALTER DATABASE bench SET plan_cache_mode = force_custom_plan"))
                admin.dispose()
            engine = make_engine(url)
            yield "postgres", engine
            engine.dispose()
        finally:
            cluster.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 10k patients, 50k studies, 1M files")
    parser.add_argument("--repeats", type=int, default=20, help="timed runs per query and engine")
    parser.add_argument("--baseline-repeats", type=int, default=3, help="timed runs of the Python full scan")
    parser.add_argument(
        "--plan-cache",
        choices=["custom", "auto"],
        default="custom",
        help="PostgreSQL plan_cache_mode: force_custom_plan (default, see the README) or the server's auto",
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    data = generate(args.scale)
    archive = RefArchive(data.patients, data.studies, data.files, data.jobs)
    qs = queries(data)
    print(
        f"archive: {len(data.patients):,} patients, {len(data.studies):,} studies, {len(data.files):,} files "
        f"(generated in {time.perf_counter() - started:.1f} s)",
        flush=True,
    )

    baseline: dict[str, float] = {}
    expected: dict[str, Any] = {}
    for q in qs:
        runs, expected[q.name] = timings(lambda q=q: run_reference(archive, q), args.baseline_repeats)
        baseline[q.name] = statistics.median(runs)

    results: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="nora-bench-") as tmp:
        for name, engine in engines(args.engine, Path(tmp), args.plan_cache):
            started = time.perf_counter()
            upgrade(engine)
            project_id = load(engine, data)
            print(f"{name}: loaded in {time.perf_counter() - started:.1f} s", flush=True)
            results[name] = {}
            with Session(engine) as session:
                for q in qs:
                    runs, answer = timings(lambda q=q, p=project_id: run_sql(session, p, q), args.repeats)
                    if answer != expected[q.name]:
                        raise SystemExit(f"{name}: {q.name!r} differs from the reference matcher")
                    results[name][q.name] = runs
    report(qs, results, baseline, expected)
    return 0


def report(
    qs: list[Query], results: dict[str, dict[str, list[float]]], baseline: dict[str, float], expected: dict[str, Any]
) -> None:
    def ms(seconds: float) -> str:
        return f"{seconds * 1000:8.1f}"

    names = list(results)
    header = f"{'query':50} {'rows':>7}" + "".join(f" {n + ' med':>14} {n + ' p95':>14}" for n in names)
    print("\nlatency in ms (median and p95 of the timed runs); baseline: Python full scan (median)\n")
    print(header + f" {'full scan':>10}" + "".join(f" {'x ' + n:>12}" for n in names))
    for q in qs:
        answer = expected[q.name]
        rows = answer[0] if q.bar else len(answer)
        line = f"{q.name[:50]:50} {rows:>7}"
        for n in names:
            runs = results[n][q.name]
            line += f" {ms(statistics.median(runs)):>14} {ms(p95(runs)):>14}"
        line += f" {ms(baseline[q.name]):>10}"
        for n in names:
            line += f" {baseline[q.name] / statistics.median(results[n][q.name]):>11.0f}x"
        print(line)
    print()
    for n in names:
        every = [t for runs in results[n].values() for t in runs]
        worst = max(p95(runs) for runs in results[n].values())
        print(
            f"{n}: all queries median {ms(statistics.median(every)).strip()} ms, p95 {ms(p95(every)).strip()} ms, "
            f"worst per-query p95 {ms(worst).strip()} ms; full scan median "
            f"{ms(statistics.median(baseline.values())).strip()} ms"
        )


if __name__ == "__main__":
    sys.exit(main())
