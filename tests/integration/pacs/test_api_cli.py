"""The PACS tool as users drive it: REST (with the node started in the server's lifespan) and the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydicom import dcmread
from tests.integration.pacs.conftest import MOVE_AE, Home, ct_series
from tests.support.orthanc import ORTHANC_AET, TempOrthanc
from tests.support.pgcluster import free_port

from nora.api.app import create_app
from nora.cli.main import main
from nora.core.settings import DicomNodeSettings, PacsSettings
from nora.dicom.net import Client, Peer


def test_search_pull_and_send_back_through_the_rest_api(home: Home, orthanc: TempOrthanc, move_port: int) -> None:
    home.settings.pacs = {
        "ORTHANC": PacsSettings(ae_title=ORTHANC_AET, host="127.0.0.1", port=orthanc.dicom_port, calling_ae="NORA")
    }
    home.settings.dicom_nodes = [
        DicomNodeSettings(name="move", ae_title=MOVE_AE, port=move_port, host="127.0.0.1", type="move", timeout=1)
    ]
    app = create_app(home.settings, frontend_dist=home.layout.home / "no-frontend")
    with TestClient(app) as client:  # the lifespan starts the move node in-process
        token = client.post("/api/auth/login", json={"username": "admin", "password": "admin-password"})
        assert token.status_code == 200, token.text
        studies = client.post("/api/pacs/nodes/ORTHANC/search", json={"patient_name": "doe^*", "modality": "CT"})
        assert studies.status_code == 200, studies.text
        [study] = studies.json()
        assert study["PatientName"] == "Doe^John" and len(study["series"]) == 1
        series_uid = study["series"][0]["SeriesInstanceUID"]
        body = {"project": "P1", "items": [{"study_uid": study["StudyInstanceUID"], "series_uids": [series_uid]}]}
        started = client.post("/api/pacs/nodes/ORTHANC/retrieve", json=body)
        assert started.status_code == 202, started.text
        job = started.json()
        deadline = time.monotonic() + 90
        while job["state"] not in ("d", "e") and time.monotonic() < deadline:
            time.sleep(0.3)
            job = client.get(f"/api/pacs/jobs/{job['id']}").json()
        assert job["state"] == "d", job["message"]
        assert job["import_job"]
        rows = client.get("/api/projects/P1/studies").json()
        assert [r["pid"] for r in rows["items"]] == ["PID-DOE"], rows
        assert home.instances("P1") == 12
        # and back: the kept originals of the imported study go to the PACS by C-STORE
        [sid] = [p.name for p in (home.layout.project_dir("P1") / "PID-DOE").iterdir() if p.is_dir()]
        sent = client.post("/api/pacs/nodes/ORTHANC/send", json={"project": "P1", "pid": "PID-DOE", "sid": sid})
        assert sent.status_code == 200, sent.text
        assert sent.json()["sent"] >= 1 and sent.json()["failed"] == 0
        down = home.settings.pacs["ORTHANC"].model_copy(update={"port": free_port()})
        home.settings.pacs["DOWN"] = down
        r = client.post("/api/pacs/nodes/DOWN/find", json={})
        assert r.status_code == 502 and "cannot reach" in r.json()["detail"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_cli_dicom_node_and_dicomsend(home: Home, orthanc: TempOrthanc, tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    env = {**os.environ, "NORA_HOME": str(home.layout.home), "NORA_DATABASE_URL": home.settings.database_url}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nora.cli.main",
            "dicom-node",
            "--ae",
            "CLINODE",
            "--port",
            str(port),
            "--project",
            "P1",
            "--timeout",
            "1",
            "--host",
            "127.0.0.1",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        peer = Peer("cli", "CLINODE", "127.0.0.1", port)
        deadline = time.monotonic() + 30
        while True:
            try:
                Client("SENDER", timeout=5).echo(peer)
                break
            except Exception:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "nora dicom-node did not start"
                time.sleep(0.3)
        files = ct_series(tmp_path / "cli", 4, patient="Cli^Carl", pid="CLI1")
        assert Client("SENDER").send(peer, files).completed == 4
        deadline = time.monotonic() + 60
        while home.instances("P1") < 4 and time.monotonic() < deadline:
            time.sleep(0.3)
        assert home.instances("P1") == 4
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert b"listening on 127.0.0.1" in out

    monkeypatch.setenv("NORA_HOME", str(home.layout.home))
    monkeypatch.setenv("NORA_DATABASE_URL", home.settings.database_url)
    monkeypatch.setenv(
        "NORA_PACS", json.dumps({"ORTHANC": {"ae_title": ORTHANC_AET, "host": "127.0.0.1", "port": orthanc.dicom_port}})
    )
    capsys.readouterr()
    assert main(["-p", "P1", "--dicomsend", "ORTHANC", "CLI1", "*"]) == 0
    assert json.loads(capsys.readouterr().out) == {"node": "ORTHANC", "sent": 4, "failed": 0, "warning": 0}
    assert {str(dcmread(f).SOPInstanceUID) for f in files} <= orthanc.instance_uids()
    monkeypatch.setenv(
        "NORA_PACS", json.dumps({"ORTHANC": {"ae_title": ORTHANC_AET, "host": "127.0.0.1", "port": free_port()}})
    )
    assert main(["-p", "P1", "--dicomsend", "ORTHANC", "CLI1", "*"]) == 6  # unavailable: a clear exit status
    assert main(["dicom-node", "--ae", "X"]) == 2
