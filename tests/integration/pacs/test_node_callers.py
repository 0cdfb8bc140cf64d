"""Who may talk to our DICOM node: the listening interface and the allow-list of callers, with real senders.

dcmtk's ``storescu``/``echoscu`` (Debian ``dcmtk``) and pynetdicom are the callers; an unknown caller is
rejected at association (A-ASSOCIATE-RJ, "calling AE title not recognised") and nothing it sent is stored.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from tests.integration.pacs.conftest import Home, ct_series
from tests.support.pgcluster import free_port
from tests.support.waiting import wait_until

from nora.core.errors import InvalidInput, Unavailable
from nora.core.settings import DicomNodeSettings
from nora.dicom.net import Client, Peer
from nora.importing.node import start_nodes, stop_nodes


def _dcmtk(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail("dcmtk is not installed (Debian package 'dcmtk'; scripts/setup.sh --test installs it)")
    return found


def _spooled(home: Home) -> list[Path]:
    return list((home.layout.home / "dicom").rglob("*.dcm"))


def test_the_node_listens_on_loopback_unless_configured(home: Home) -> None:
    node = DicomNodeSettings(name="inbox", ae_title="NORA", port=free_port(), project="P1", timeout=1.0)
    assert node.host == "127.0.0.1"
    home.settings.dicom_nodes = [node]
    nodes = start_nodes(home.settings, home.sessions, home.layout)
    try:
        server = nodes[0]._server
        assert server is not None
        assert server.server_address[0] == "127.0.0.1"
    finally:
        stop_nodes(nodes)


def test_only_allowed_callers_associate(home: Home, tmp_path: Path) -> None:
    storescu, echoscu = _dcmtk("storescu"), _dcmtk("echoscu")
    node = DicomNodeSettings(
        name="inbox",
        ae_title="NORA",
        port=free_port(),
        project="P1",
        timeout=1.0,
        allowed_callers=["DCMTK@127.0.0.0/8", "SCANNER1@10.9.9.9"],
    )
    home.settings.dicom_nodes = [node]
    files = ct_series(tmp_path / "c", 3, patient="Allow^Al", pid="AL1")
    nodes = start_nodes(home.settings, home.sessions, home.layout)
    try:
        port = str(node.port)
        intruder = subprocess.run(
            [storescu, "-aec", "NORA", "-aet", "INTRUDER", "127.0.0.1", port, *map(str, files)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert intruder.returncode != 0
        # dcmtk says "Calling AE Title Not Recognized"; pynetdicom's storescu (first on the test PATH) says
        # "Calling AE title not recognised"
        assert "calling ae title not recogni" in (intruder.stdout + intruder.stderr).lower()
        assert _spooled(home) == []  # rejected before a single instance was accepted
        # the right AE title from the wrong address is unknown too
        with pytest.raises(Unavailable, match="rejected the association.*[Cc]alling AE title"):
            Client("SCANNER1").echo(Peer("node", "NORA", "127.0.0.1", node.port))
        echo = subprocess.run([echoscu, "-aet", "DCMTK", "-aec", "NORA", "127.0.0.1", port], capture_output=True)
        assert echo.returncode == 0, echo.stderr
        allowed = subprocess.run(
            [storescu, "-aec", "NORA", "-aet", "DCMTK", "127.0.0.1", port, *map(str, files)],
            capture_output=True,
            timeout=60,
        )
        assert allowed.returncode == 0, allowed.stderr
        wait_until(lambda: home.instances("P1") == 3)
    finally:
        stop_nodes(nodes)


def test_a_malformed_caller_rule_keeps_the_node_from_starting(home: Home) -> None:
    node = DicomNodeSettings(
        name="inbox", ae_title="NORA", port=free_port(), project="P1", allowed_callers=["PACS@not-an-address"]
    )
    home.settings.dicom_nodes = [node]
    with pytest.raises(InvalidInput, match="not an IP address or network"):
        start_nodes(home.settings, home.sessions, home.layout)
