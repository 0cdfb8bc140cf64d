"""A throw-away Orthanc (Debian package ``orthanc``) as the PACS peer of the tests and benchmarks.

The configuration lives in a temporary folder; HTTP and DICOM ports are free ports. Orthanc binds every
interface, so only loopback peers are registered. Ready when ``GET /system`` answers.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.support.pgcluster import free_port

ORTHANC_AET = "ORTHANC"


def orthanc_binary() -> str | None:
    return shutil.which("Orthanc") or ("/usr/sbin/Orthanc" if Path("/usr/sbin/Orthanc").exists() else None)


class TempOrthanc:
    """Start with :meth:`start`, stop with :meth:`stop`.

    ``modalities`` maps a name to (AE title, port) of loopback peers Orthanc knows (C-MOVE destinations,
    allowed callers). ``strict`` turns off "always allow" for echo and store and checks the called AE
    title, so unknown callers are rejected.
    """

    def __init__(self, modalities: dict[str, tuple[str, int]] | None = None, strict: bool = False) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="nora-orthanc-"))
        self.http_port = free_port()
        self.dicom_port = free_port()
        self.modalities = dict(modalities or {})
        self.strict = strict
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def config(self) -> dict[str, Any]:
        return {
            "Name": "nora-test",
            "StorageDirectory": str(self.dir / "storage"),
            "IndexDirectory": str(self.dir / "index"),
            "HttpPort": self.http_port,
            "DicomPort": self.dicom_port,
            "DicomAet": ORTHANC_AET,
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": False,
            "Plugins": [],
            "DicomCheckCalledAet": True,
            "DicomAlwaysAllowEcho": not self.strict,
            "DicomAlwaysAllowStore": not self.strict,
            "DicomModalities": {name: [ae, "127.0.0.1", port] for name, (ae, port) in self.modalities.items()},
            "DicomScuTimeout": 10,
            "DicomAssociationCloseDelay": 0,
            "StableAge": 1,
            "HttpThreadsCount": 8,
            "DicomThreadsCount": 4,
            "OverwriteInstances": True,
            "SaveJobs": False,
        }

    def start(self, timeout: float = 30.0) -> None:
        binary = orthanc_binary()
        if binary is None:
            raise RuntimeError("Orthanc not found: install the Debian package 'orthanc' (scripts/setup.sh --test)")
        cfg = self.dir / "orthanc.json"
        cfg.write_text(json.dumps(self.config()))
        log = (self.dir / "orthanc.log").open("wb")
        self._proc = subprocess.Popen([binary, str(cfg)], stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"Orthanc exited at start: {(self.dir / 'orthanc.log').read_text()[-2000:]}")
            try:
                self.get("/system")
                with socket.create_connection(("127.0.0.1", self.dicom_port), timeout=1):
                    return  # the REST API answers and the DICOM port listens (it may come up a moment later)
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("Orthanc did not answer GET /system and on its DICOM port in time")

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        shutil.rmtree(self.dir, ignore_errors=True)

    # ------------------------------------------------------------------------------------------ REST

    def _request(self, method: str, path: str, body: bytes | None = None) -> Any:
        req = urllib.request.Request(self.url + path, data=body, method=method)  # noqa: S310 - loopback URL
        if body is not None:
            req.add_header("Content-Type", "application/dicom" if method == "POST" else "application/json")
        with urllib.request.urlopen(req, timeout=30) as rsp:  # noqa: S310
            data = rsp.read()
        return json.loads(data) if data else None

    def get(self, path: str) -> Any:
        return self._request("GET", path)

    def upload(self, path: Path) -> str:
        """Store one DICOM file through the REST API; returns Orthanc's instance id."""
        return str(self._request("POST", "/instances", path.read_bytes())["ID"])

    def delete_all(self) -> None:
        for patient in self.get("/patients"):
            self._request("DELETE", f"/patients/{patient}")

    def instance_uids(self) -> set[str]:
        """SOP instance UIDs of every stored instance."""
        uids = set()
        for iid in self.get("/instances"):
            uids.add(self.get(f"/instances/{iid}/simplified-tags")["SOPInstanceUID"])
        return uids
