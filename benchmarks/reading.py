"""Moving to the next case of a reading against opening the same case from the table, 500 cases x 10 readers.

The app runs in process (FastAPI's TestClient: no network) on SQLite in a temporary folder: a project of
500 one-study patients, each with a small NIfTI (64x64x32), a reading of them (form of three items, one
required; ``random: idhash``), ten readers of whom nine have answered every case already (three answers
each, 13,500 result rows) and the tenth half of them. For the tenth reader, case after case:

* product (the reading's "next case"): one reading request (``POST .../visits`` with ``leaving``: the
  visit left timed, the next one opened, its answers so far), sent beside what opening a case always
  costs: the study's files (the files panel), the autoload run and the image bytes;
* baseline (opening the same case from the table): the study's files, the autoload run, the image bytes.

The server is ``nora serve``'s app under Uvicorn; the requests go as the page sends them (in parallel
where the page does, on up to six connections). The figure is the median over ``--cases`` cases of each,
and the ratio product / baseline (aim: at most 1.2x). The form was saved before the move: the page saves
each answer when it is given; the time of one save is printed too, and the ratio with it added.

    .venv/bin/python benchmarks/reading.py               # 500 cases x 10 readers (about a minute)
    .venv/bin/python benchmarks/reading.py --studies 60 --cases 10   # seconds
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import nibabel as nib
import numpy as np
from sqlalchemy import insert

from nora.archive.db import make_engine, make_sessionmaker
from nora.archive.models import Study, User
from nora.archive.services import accounts, nodes, projects, rights
from nora.archive.services.access import SYSTEM, Actor, project_access
from nora.archive.services.files import Upload, store_uploads
from nora.archive.services.setup import init_database
from nora.archive.storage import Layout
from nora.core.settings import Settings
from nora.reading.models import ReadingResult
from nora.reading.service import Readings

P = "BENCH"
AUTOLOADER = {"layout": "single", "loaders": [{"pattern": "t1/*.nii.gz", "viewports": [0]}]}
DEFINITION: dict[str, Any] = {
    "form": {
        "items": [
            {"type": "radio", "name": "q", "required": True, "options": [{"value": "a"}, {"value": "b"}]},
            {"type": "likert", "name": "conf"},
            {"type": "text", "name": "note"},
        ]
    },
    "reading": {"reading": {"random": "idhash", "mode_serious": {}}, "viewer": {"autoloader": AUTOLOADER}},
}


def nifti() -> bytes:
    data = np.random.default_rng(1).integers(0, 1000, size=(64, 64, 32)).astype(np.int16)
    buffer = io.BytesIO()
    image = nib.Nifti1Image(data, np.eye(4))
    buffer.write(image.to_bytes())
    return gzip.compress(buffer.getvalue())


def build(home: Path, studies: int, readers: int) -> tuple[Settings, list[str]]:
    db_url = f"sqlite:///{home / 'nora.sqlite'}"
    settings = Settings(home=home, database_url=db_url)
    layout = Layout(home)
    engine = make_engine(db_url)
    tokens = []
    raw = nifti()
    with make_sessionmaker(engine)() as s:
        init_database(engine, layout, s, "admin", "bench-admin-password")
        projects.create_project(s, SYSTEM, layout, P)
        access = project_access(s, SYSTEM, P)
        for i in range(studies):
            patient = nodes.create_patient(s, access, layout, f"P{i:04d}")
            study = nodes.create_study(s, access, layout, patient, "S1")
            store_uploads(s, access, layout, patient, study, [Upload("t1/s001.nii.gz", io.BytesIO(raw))])
        names = [f"reader{r}" for r in range(readers)]
        for name in names:
            user = accounts.create_user(s, SYSTEM, name, "password-123")
            rights.grant(s, SYSTEM, name, P, rights.RightSpec())
            tokens.append(accounts.create_token(s, user, "bench").secret)
        admin = accounts.get_user(s, "admin")
        reading = Readings(s, project_access(s, Actor.of(admin), P)).create("R", DEFINITION)
        study_ids = list(s.scalars(Study.__table__.select().with_only_columns(Study.id).order_by(Study.id)))
        user_ids = {u.username: u.id for u in s.query(User).all()}
        rows = []
        for r, name in enumerate(names):
            done = study_ids if r < readers - 1 else study_ids[: studies // 2]
            for sid in done:
                for item, value in (("q", "a"), ("conf", "3"), ("note", "ok")):
                    rows.append(
                        {
                            "reading_id": reading.id,
                            "stage": "serious",
                            "arm": "",
                            "user_id": user_ids[name],
                            "study_id": sid,
                            "file_id": None,
                            "repetition": 1,
                            "item": item,
                            "value": value,
                            "time_ms": 1000,
                            "visit_id": None,
                        }  # fmt: skip
                    )
        s.execute(insert(ReadingResult), rows)
        s.commit()
    engine.dispose()
    return settings, tokens


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    """``nora serve``'s app under Uvicorn on a free port (the page's peer), until the block ends."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "NORA_HOME": str(settings.home), "NORA_DATABASE_URL": settings.database_url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "nora.api.server:app_factory", "--port", str(port)]
        + ["--host", "127.0.0.1", "--log-level", "warning"],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


class Page:
    """The page's requests, as the browser sends them: up to six at a time on their own connections."""

    def __init__(self, url: str, token: str) -> None:
        self.client = httpx.Client(base_url=url, headers={"authorization": f"Bearer {token}"}, timeout=60,
                                   limits=httpx.Limits(max_connections=6))  # fmt: skip
        self.pool = ThreadPoolExecutor(6)
        self.base = f"/api/projects/{P}"

    def ok(self, response: httpx.Response) -> httpx.Response:
        assert response.status_code < 300, response.text
        return response

    def open_case(self, slot: dict[str, Any]) -> None:
        """What opening a case costs in any case: the files panel, the autoload run and the image bytes."""
        pid, sid = slot["pid"], slot["sid"]
        files = self.pool.submit(self.client.get, f"{self.base}/patients/{pid}/studies/{sid}/files")
        hits = self.ok(
            self.client.post(f"{self.base}/viewer/autoload", json={"definition": AUTOLOADER, "pid": pid, "sid": sid})
        )
        self.ok(self.client.get(hits.json()["loaders"][0]["files"][0]["url"]))
        self.ok(files.result())

    def prefetch(self, slot: dict[str, Any]) -> None:
        """What the page fetches of the next case while the reader is on this one: its autoload answer and
        image bytes (kept by the page for the move)."""
        pid, sid = slot["pid"], slot["sid"]
        hits = self.ok(
            self.client.post(f"{self.base}/viewer/autoload", json={"definition": AUTOLOADER, "pid": pid, "sid": sid})
        )
        self.ok(self.client.get(hits.json()["loaders"][0]["files"][0]["url"]))

    def next_prefetched(self, visit: int, slot: dict[str, Any]) -> tuple[float, int]:
        """The move to a case fetched ahead: the reading request and the files panel, side by side (the
        autoloader runs on the kept answer, the images come from the page's byte cache)."""
        ref = {"pid": slot["pid"], "sid": slot["sid"]}
        stage = f"{self.base}/readings/R/stages/serious"
        start = time.perf_counter()
        opened = self.pool.submit(
            self.client.post, f"{stage}/visits", json={**ref, "leaving": {"id": visit, "active_ms": 5000}}
        )
        self.ok(self.client.get(f"{self.base}/patients/{slot['pid']}/studies/{slot['sid']}/files"))
        new_visit = int(self.ok(opened.result()).json()["id"])
        return time.perf_counter() - start, new_visit

    def save(self, slot: dict[str, Any]) -> None:
        ref = {"pid": slot["pid"], "sid": slot["sid"]}
        self.ok(self.client.post(f"{self.base}/readings/R/stages/serious/answers", json={**ref, "answers": {"q": "b"}}))

    def next_case(self, visit: int, slot: dict[str, Any]) -> tuple[float, float, int]:
        """The reading's next case: one request times the visit left, opens the next one and fetches its
        answers, sent beside opening the case (as the page does). The times until the images are there
        and until the form is ready too (the visit's answer in), and the new visit's id."""
        ref = {"pid": slot["pid"], "sid": slot["sid"]}
        stage = f"{self.base}/readings/R/stages/serious"
        leaving = {"id": visit, "active_ms": 5000}
        start = time.perf_counter()
        opened = self.pool.submit(self.client.post, f"{stage}/visits", json={**ref, "leaving": leaving})
        self.open_case(slot)
        on_screen = time.perf_counter() - start
        new_visit = int(self.ok(opened.result()).json()["id"])
        return on_screen, time.perf_counter() - start, new_visit


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--studies", type=int, default=500)
    ap.add_argument("--readers", type=int, default=10)
    ap.add_argument("--cases", type=int, default=30)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings, tokens = build(Path(tmp), args.studies, args.readers)
        with serving(settings) as url:
            page = Page(url, tokens[-1])
            stage = page.ok(page.client.get(f"{page.base}/readings/R/stages/serious")).json()
            todo = [s for s in stage["slots"] if not s["done"]][: args.cases + 1]
            first = {"pid": todo[0]["pid"], "sid": todo[0]["sid"]}
            visit = int(
                page.ok(page.client.post(f"{page.base}/readings/R/stages/serious/visits", json=first)).json()["id"]
            )
            page.open_case(todo[0])  # warm up
            saves: list[float] = []
            images: list[float] = []
            moves: list[float] = []
            ahead: list[float] = []
            fetching: list[float] = []
            baseline: list[float] = []
            for i in range(len(todo) - 1):
                saves.append(timed(lambda i=i: page.save(todo[i])))
                if i % 2:  # every other move to a case fetched ahead (the page's way after the first case)
                    fetching.append(timed(lambda i=i: page.prefetch(todo[i + 1])))
                    took, visit = page.next_prefetched(visit, todo[i + 1])
                    ahead.append(took)
                else:
                    on_screen, ready, visit = page.next_case(visit, todo[i + 1])
                    images.append(on_screen)
                    moves.append(ready)
                baseline.append(timed(lambda i=i: page.open_case(todo[i + 1])))
    ours, theirs = statistics.median(moves) * 1000, statistics.median(baseline) * 1000
    shown = statistics.median(images) * 1000
    saved = statistics.median(saves) * 1000
    fast, fetched = statistics.median(ahead) * 1000, statistics.median(fetching) * 1000
    print(
        f"reading of {args.studies} cases x {args.readers} readers, median of {len(baseline)} cases (Uvicorn, SQLite)"
    )
    print(f"  next case fetched ahead (the page's move): visit and files panel:    {fast:8.1f} ms")
    print(f"    (fetched ahead while the reader is on the case before: autoload, image: {fetched:.1f} ms)")
    print(f"  next case not fetched ahead (the first, a jump), images on screen:   {shown:8.1f} ms")
    print(f"  next case not fetched ahead, form ready too (visit, its answers in): {ours:8.1f} ms")
    print(f"  the same case opened from the table (files, autoload, image):          {theirs:8.1f} ms")
    print(
        f"  ratio: {fast / theirs:.2f}x fetched ahead (aim: at most 1.2x); not fetched ahead {shown / theirs:.2f}x"
        f" images, {ours / theirs:.2f}x form ready"
    )
    print(f"  an answer saved (the page saves each answer when it is given): {saved:8.1f} ms;"
          f" with it the move is {(ours + saved) / theirs:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
