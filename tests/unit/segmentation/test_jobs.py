"""The segmentation jobs as the runner runs them: a stopped training leaves a usable model; the server
lists the jobs and models without importing torch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from nora.core.atomic import atomic_write_json
from nora.processing.catalog import CATALOG
from nora.segmentation.modelfile import MODEL_FILE, read_model
from tests.unit.segmentation.conftest import TINY, write_subject


def _wait(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_stopped_training_job_leaves_a_usable_model(tmp_path: Path) -> None:
    studies = [write_subject(tmp_path / f"S{i}", (16, 14 + 2 * i, 12), i) for i in range(3)]
    analysis = tmp_path / "analyses"
    values = {
        "contrast1": [s[0] for s in studies],
        "label1": [s[1] for s in studies],
        "model": "models/ball",
        **{k: float(v) for k, v in TINY.items()},
        "iterations": 100000.0,
        "epoch": 4.0,
        "validation": 0.34,
        "_studies": ["S0#MR1", "S1#MR1", "S2#MR1"],
        "_patterns": {"contrast1": "t1*", "label1": "mask*"},
        "_analysis_dir": str(analysis),
        "_user": "researcher",
    }
    CATALOG["patchwork_train"].prepare(values)  # type: ignore[misc]
    job = tmp_path / "job"
    job.mkdir()
    atomic_write_json(job / "spec.json", {"job": "patchwork_train", "job_id": 1, "values": values, "outputs": []})
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with open(job / "log.txt", "wb") as log:
        runner = subprocess.Popen(
            [sys.executable, "-m", "nora.processing.runner", str(job)], stdout=log, stderr=log, env=env
        )
    model = analysis / "models/ball" / MODEL_FILE
    try:
        _wait(lambda: model.is_file() and json.loads(model.read_text())["version"] >= 1, 90, "an epoch")
    finally:
        runner.send_signal(signal.SIGTERM)
        code = runner.wait(30)
    assert code == 143, (job / "log.txt").read_text()
    assert json.loads((job / "result.json").read_text())["message"] == "the job was killed"
    log_text = (job / "log.txt").read_text()
    assert "epoch 1: iteration 4, loss" in log_text and "validation Dice" in log_text
    doc = read_model(model)
    assert len(doc.training) == 2 and len(doc.validation) == 1
    assert doc.creator == "researcher" and doc.history[0]["iteration"] == 4
    from nora.segmentation.patchwork import data, infer

    _doc, net = infer.load(model)
    prob = infer.predict(net, doc, data.load_subject([studies[0][0]]))
    assert prob.shape == (1, 32, 32, 24) and np.isfinite(prob).all()


STARTUP = """
import sys
from pathlib import Path
from fastapi.testclient import TestClient
from nora.api.app import create_app
from nora.archive.db import make_engine, make_sessionmaker
from nora.archive.services.setup import init_database
from nora.archive.storage import Layout
from nora.core.settings import Settings
home = Path(sys.argv[1])
settings = Settings(home=home, database_url=f"sqlite:///{home / 'db.sqlite'}")
engine = make_engine(settings.database_url)
with make_sessionmaker(engine)() as s:
    init_database(engine, Layout(home), s, "admin", "admin-password")
    s.commit()
client = TestClient(create_app(settings, frontend_dist=home / "none"))  # routes only: no lifespan
if True:
    client.post("/api/auth/login", json={"username": "admin", "password": "admin-password"})
    ids = [j["id"] for j in client.get("/api/processing/catalog").json()["jobs"]]
    assert "patchwork_train" in ids, ids
print("torch imported" if "torch" in sys.modules else "no torch")
"""


def test_the_server_lists_the_jobs_without_importing_torch(tmp_path: Path) -> None:
    tmp_path.mkdir(exist_ok=True)
    out = subprocess.run([sys.executable, "-c", STARTUP, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("no torch"), out.stdout
