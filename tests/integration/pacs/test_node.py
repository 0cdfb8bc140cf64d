"""Our DICOM node against real senders: pynetdicom's storescu side, dcmtk's storescu, a broken association."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from pydantic import ValidationError
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ImplicitVRLittleEndian
from pynetdicom import AE
from pynetdicom.sop_class import CTImageStorage  # type: ignore[attr-defined]
from tests.integration.pacs.conftest import Home, ct_series, sample
from tests.support.pgcluster import free_port

from nora.core.errors import NotFound, Unavailable
from nora.core.settings import DicomNodeSettings
from nora.dicom.net import Client, Peer
from nora.dicom.net.scp import CANNOT_UNDERSTAND
from nora.importing.node import start_nodes, stop_nodes


def _node(home: Home, timeout: float = 1.0, **extra: object) -> DicomNodeSettings:
    node = DicomNodeSettings(
        name="inbox", ae_title="NORA", port=free_port(), host="127.0.0.1", timeout=timeout, project="P1", **extra
    )
    home.settings.dicom_nodes = [node]
    return node


def _wait(condition: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


def _handed_off(home: Home, kept: int | None = None, ae: str = "NORA") -> bool:
    """Every study the node received went through import: nothing waits in ``incoming/`` or ``processing/``
    (and, with ``kept``, that many study folders are kept under ``done/``)."""
    root = home.layout.home / "dicom" / "inbox" / ae
    waiting = any((root / sub).is_dir() and any((root / sub).iterdir()) for sub in ("incoming", "processing"))
    done = root / "done"
    return not waiting and (kept is None or (done.is_dir() and len(list(done.iterdir())) == kept))


def test_node_receives_concurrent_senders_and_routes_by_called_ae(home: Home, tmp_path: Path) -> None:
    node = _node(home, routes={"NORA_P2": "P2"})
    nodes = start_nodes(home.settings, home.sessions, home.layout)
    try:
        a = ct_series(tmp_path / "a", 8, patient="Alpha^Anna", pid="A1")
        b = ct_series(tmp_path / "b", 8, patient="Beta^Bert", pid="B1")
        c = [sample("MR_small.dcm")]
        results: dict[str, int] = {}

        def push(key: str, called: str, files: list[Path]) -> None:
            results[key] = Client("SENDER").send(Peer("node", called, "127.0.0.1", node.port), files).completed

        threads = [
            threading.Thread(target=push, args=("a", "NORA", a)),
            threading.Thread(target=push, args=("b", "NORA", b)),
            threading.Thread(target=push, args=("c", "NORA_P2", c)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == {"a": 8, "b": 8, "c": 1}
        _wait(lambda: home.instances("P1") == 16 and home.instances("P2") == 1)
        uid_a = str(dcmread(a[0]).StudyInstanceUID)
        assert uid_a in home.studies("P1")
        assert str(dcmread(c[0]).StudyInstanceUID) in home.studies("P2")
        # the node moves a study's folder to done/ after its import committed: wait for that too
        _wait(lambda: _handed_off(home, kept=2))  # not deleted after import: kept
    finally:
        stop_nodes(nodes)


def test_dcmtk_storescu_and_echoscu(home: Home, tmp_path: Path) -> None:
    storescu = shutil.which("storescu")
    if storescu is None:
        pytest.fail("dcmtk is not installed (Debian package 'dcmtk'; scripts/setup.sh --test installs it)")
    node = _node(home, delete_after_import=True)
    nodes = start_nodes(home.settings, home.sessions, home.layout)
    try:
        files = ct_series(tmp_path / "d", 6, patient="Dcmtk^Dora", pid="D1")
        echo = subprocess.run(["echoscu", "-aec", "NORA", "127.0.0.1", str(node.port)], capture_output=True, timeout=30)
        assert echo.returncode == 0, echo.stderr
        run = subprocess.run(
            [storescu, "-aec", "NORA", "-aet", "DCMTK", "127.0.0.1", str(node.port), *map(str, files)],
            capture_output=True,
            timeout=60,
        )
        assert run.returncode == 0, run.stderr
        _wait(lambda: home.instances("P1") == 6)
        # the folder goes a moment after the import committed: wait until nothing is left to hand off
        _wait(lambda: _handed_off(home))
        done = home.layout.home / "dicom" / "inbox" / "NORA" / "done"
        assert not done.exists() or not any(done.iterdir())  # deleted after import, not kept
        wrong = subprocess.run(
            [storescu, "-aec", "NOBODY", "127.0.0.1", str(node.port), str(files[0])], capture_output=True, timeout=30
        )
        assert wrong.returncode != 0  # unknown called AE title: association rejected
    finally:
        stop_nodes(nodes)


def test_unknown_called_ae_is_rejected_with_a_clear_error(home: Home) -> None:
    node = _node(home)
    nodes = start_nodes(home.settings, home.sessions, home.layout)
    try:
        with pytest.raises(Unavailable, match="rejected the association.*[Cc]alled AE title"):
            Client("SENDER").echo(Peer("node", "SOMEONE", "127.0.0.1", node.port))
        Client("SENDER").echo(Peer("node", "NORA", "127.0.0.1", node.port))
    finally:
        stop_nodes(nodes)


def test_aborted_association_keeps_what_arrived_and_a_resend_adds_only_the_rest(home: Home, tmp_path: Path) -> None:
    node = _node(home, timeout=1.5)
    nodes = start_nodes(home.settings, home.sessions, home.layout)
    try:
        files = ct_series(tmp_path / "s", 10, patient="Abort^Ada", pid="AB1")
        ae = AE(ae_title="SENDER")
        ae.add_requested_context(CTImageStorage, dcmread(files[0]).file_meta.TransferSyntaxUID)
        assoc = ae.associate("127.0.0.1", node.port, ae_title="NORA")
        assert assoc.is_established
        for path in files[:4]:
            assert assoc.send_c_store(path).Status == 0x0000
        assoc.abort()  # the sender dies mid-transfer
        _wait(lambda: home.instances("P1") == 4)
        # the sender retries the whole study later: the four already imported are not duplicated
        assert Client("SENDER").send(Peer("node", "NORA", "127.0.0.1", node.port), files).completed == 10
        _wait(lambda: home.instances("P1") == 10)
        # both parts (the aborted one and the resent study) went through import and were kept: nothing
        # more can arrive, so the count is final
        _wait(lambda: _handed_off(home, kept=2))
        assert home.instances("P1") == 10
        assert len(home.studies("P1")) == 1
    finally:
        stop_nodes(nodes)


def test_a_dataset_without_uids_is_refused_and_the_association_goes_on(home: Home) -> None:
    node = _node(home)
    nodes = start_nodes(home.settings, home.sessions, home.layout)
    try:
        ae = AE(ae_title="SENDER")
        ae.add_requested_context(CTImageStorage, [ImplicitVRLittleEndian, "1.2.840.10008.1.2.1"])
        assoc = ae.associate("127.0.0.1", node.port, ae_title="NORA")
        bad = Dataset()
        bad.SOPClassUID, bad.SOPInstanceUID = CTImageStorage, "1.2.3.4"
        bad.file_meta = FileMetaDataset()
        bad.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
        assert assoc.send_c_store(bad).Status == CANNOT_UNDERSTAND
        good = dcmread(sample("CT_small.dcm"))
        assert assoc.send_c_store(good).Status == 0x0000
        assoc.release()
        _wait(lambda: home.instances("P1") == 1)
    finally:
        stop_nodes(nodes)


def test_a_study_left_in_the_spool_by_a_stopped_node_is_imported_at_the_next_start(home: Home, tmp_path: Path) -> None:
    node = _node(home, timeout=30.0)
    nodes = start_nodes(home.settings, home.sessions, home.layout)
    try:
        files = ct_series(tmp_path / "r", 3, patient="Restart^Rita", pid="R1")
        Client("SENDER").send(Peer("node", "NORA", "127.0.0.1", node.port), files)
    finally:
        stop_nodes(nodes)  # stopped before the 30 s end-of-study timeout
    assert home.instances("P1") == 0
    incoming = home.layout.home / "dicom" / "inbox" / "NORA" / "incoming"
    assert len(list(incoming.rglob("*.dcm"))) == 3
    home.settings.dicom_nodes = [node.model_copy(update={"timeout": 0.5})]
    nodes = start_nodes(home.settings, home.sessions, home.layout)
    try:
        _wait(lambda: home.instances("P1") == 3)
    finally:
        stop_nodes(nodes)


def test_misconfigured_nodes_do_not_start(home: Home) -> None:
    _node(home, routes={"OTHER": "NOPE"})
    with pytest.raises(NotFound, match="routes to projects that do not exist: NOPE"):
        start_nodes(home.settings, home.sessions, home.layout)
    with pytest.raises(ValidationError):
        DicomNodeSettings(name="x", ae_title="A" * 17, port=104)  # type: ignore[call-arg]
    busy = _node(home)
    nodes = start_nodes(home.settings, home.sessions, home.layout)
    try:
        home.settings.dicom_nodes = [busy.model_copy(update={"name": "again"})]
        with pytest.raises(Unavailable, match="cannot listen"):
            start_nodes(home.settings, home.sessions, home.layout)
    finally:
        stop_nodes(nodes)
