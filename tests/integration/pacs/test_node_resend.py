"""A study whose C-STORE association was aborted mid-series, then sent again whole, through our real node."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
from pydicom import dcmread
from pynetdicom import AE
from pynetdicom.sop_class import CTImageStorage  # type: ignore[attr-defined]
from sqlalchemy import select
from tests.integration.pacs.conftest import Home, ct_series
from tests.support.pgcluster import free_port
from tests.support.waiting import wait_until

from nora.archive.models import File, Project
from nora.core.settings import DicomNodeSettings
from nora.dicom.net import Client, Peer
from nora.importing.node import start_nodes, stop_nodes
from nora.processing.models import Job


def _volumes(home: Home) -> list[Path]:
    return sorted(home.layout.project_dir("P1").rglob("*.nii.gz"))


def _done_imports(home: Home) -> int:
    with home.sessions() as s:
        project = s.scalar(select(Project.id).where(Project.name == "P1"))
        return len([j for j in s.scalars(select(Job).where(Job.project_id == project)) if j.state == "d"])


def test_an_aborted_series_sent_again_is_one_whole_volume(home: Home, tmp_path: Path) -> None:
    # end-of-study timeout 3 s: a loaded machine may pause a second between two slices of one association
    node = DicomNodeSettings(name="inbox", ae_title="NORA", port=free_port(), project="P1", timeout=3.0)
    home.settings.dicom_nodes = [node]
    files = ct_series(tmp_path / "s", 10, patient="Abort^Ada", pid="AB1")
    nodes = start_nodes(home.settings, home.sessions, home.layout)
    try:
        ae = AE(ae_title="SENDER")
        ae.add_requested_context(CTImageStorage, dcmread(files[0]).file_meta.TransferSyntaxUID)
        assoc = ae.associate("127.0.0.1", node.port, ae_title="NORA")
        assert assoc.is_established
        for path in files[:4]:
            assert assoc.send_c_store(path).Status == 0x0000
        assoc.abort()  # the sender dies after 4 of 10 instances
        wait_until(lambda: home.instances("P1") == 4 and _done_imports(home) == 1)
        [fragment] = _volumes(home)
        assert nib.load(fragment).shape[2] == 4
        with home.sessions() as s:
            row_id = s.scalar(select(File.id).where(File.path.like("%.nii.gz")))
        assert Client("SENDER").send(Peer("node", "NORA", "127.0.0.1", node.port), files).completed == 10
        wait_until(lambda: home.instances("P1") == 10 and _done_imports(home) == 2)
        assert _volumes(home) == [fragment]  # no second, partial volume beside it
        assert nib.load(fragment).shape[2] == 10
        with home.sessions() as s:
            assert s.scalars(select(File.id).where(File.path.like("%.nii.gz"))).all() == [row_id]
            last = max(s.scalars(select(Job).where(Job.kind == "import")), key=lambda j: j.id)
        report = (home.layout.home / "jobs" / str(last.id) / "report.json").read_text()
        assert "replacing the fragment" in report
    finally:
        stop_nodes(nodes)
