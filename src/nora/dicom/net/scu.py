"""The SCU side: C-ECHO, C-FIND, C-MOVE, C-GET and C-STORE towards a remote DICOM node.

Every problem with the peer (refused connection, rejected association, abort, timeout, a failure status)
becomes an :class:`~nora.core.errors.Unavailable` naming the peer and what to check, never an empty
result. Retrieved instances (C-GET) go through a :class:`~nora.dicom.net.spool.Spool`, so they are on
disk before they are acknowledged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import (
    JPEG2000,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLosslessSV1,
    JPEGLSLossless,
    RLELossless,
)
from pynetdicom import AE, StoragePresentationContexts, build_role, evt
from pynetdicom.association import Association
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    PatientRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
    Verification,
)
from pynetdicom.status import code_to_category

from nora.core.errors import InvalidInput, Unavailable
from nora.dicom.net.query import FindQuery, result_row
from nora.dicom.net.spool import Spool

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Called with (instances done, instances expected; 0 when unknown)."""

#: transfer syntaxes we accept when a PACS sends instances over our C-GET association
GET_SYNTAXES = [
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    DeflatedExplicitVRLittleEndian,
    JPEGBaseline8Bit,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEG2000Lossless,
    JPEG2000,
    RLELossless,
]
MAX_RESULTS = 5000


@dataclass(frozen=True)
class Peer:
    """A remote node: a name for messages, its AE title, host and port."""

    name: str
    ae_title: str
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.name} ({self.ae_title}@{self.host}:{self.port})"


@dataclass
class TransferResult:
    """The sub-operation counts of a C-MOVE / C-GET, or the instance counts of a C-STORE send."""

    completed: int = 0
    failed: int = 0
    warning: int = 0

    @property
    def total(self) -> int:
        return self.completed + self.failed + self.warning


class Client:
    """Talks to peers as ``calling_ae``; ``timeout`` bounds every wait for the peer (seconds)."""

    def __init__(self, calling_ae: str, timeout: float = 60.0) -> None:
        if not 1 <= len(calling_ae.strip()) <= 16 or not calling_ae.isascii():
            raise InvalidInput(f"AE title {calling_ae!r}: use 1-16 ASCII characters")
        self.calling_ae = calling_ae.strip()
        self.timeout = timeout

    def _ae(self) -> AE:
        ae = AE(ae_title=self.calling_ae)
        ae.acse_timeout = ae.network_timeout = ae.connection_timeout = self.timeout
        ae.dimse_timeout = self.timeout
        return ae

    @contextmanager
    def _association(
        self, peer: Peer, ae: AE, handlers: list[Any] | None = None, **kwargs: Any
    ) -> Iterator[Association]:
        rejection: list[str] = []
        connected: list[bool] = []

        def on_rejected(event: evt.Event) -> None:
            rsp = event.assoc.acceptor.primitive
            if rsp is not None:
                rejection.append(f"{rsp.result_str}, {rsp.reason_str}")

        assoc = ae.associate(
            peer.host,
            peer.port,
            ae_title=peer.ae_title,
            evt_handlers=[
                (evt.EVT_REJECTED, on_rejected),
                (evt.EVT_CONN_OPEN, lambda _event: connected.append(True)),
                *(handlers or []),
            ],
            **kwargs,
        )
        if not assoc.is_established:
            if assoc.is_rejected:
                raise Unavailable(
                    f"{peer} rejected the association ({'; '.join(rejection) or 'no reason given'}): "
                    f"check that it knows our AE title {self.calling_ae!r} and its own AE title"
                )
            if connected:
                # a peer that refuses an AE title may also just close the connection (or its reject
                # arrives after the close): the connection was made, so the association was refused
                raise Unavailable(
                    f"{peer} closed the association without accepting it: "
                    f"check that it knows our AE title {self.calling_ae!r} and its own AE title"
                )
            raise Unavailable(f"cannot reach {peer}: connection refused, timed out or aborted")
        try:
            yield assoc
        finally:
            if assoc.is_established:
                assoc.release()

    @staticmethod
    def _check_alive(assoc: Association, peer: Peer, what: str) -> None:
        if assoc.is_aborted or not assoc.is_established:
            raise Unavailable(f"{peer} broke off the association during {what}")

    # ------------------------------------------------------------------------------------------- verbs

    def echo(self, peer: Peer) -> None:
        """C-ECHO; raises :class:`Unavailable` unless the peer answers success."""
        ae = self._ae()
        ae.add_requested_context(Verification)
        with self._association(peer, ae) as assoc:
            status = assoc.send_c_echo()
            if "Status" not in status or status.Status != 0:
                raise Unavailable(f"{peer} did not answer the C-ECHO with success")

    def find(self, peer: Peer, query: FindQuery, limit: int = MAX_RESULTS) -> list[dict[str, Any]]:
        """C-FIND; every matching row (at most ``limit``), as JSON-able dictionaries."""
        model = (
            PatientRootQueryRetrieveInformationModelFind
            if query.model == "P"
            else StudyRootQueryRetrieveInformationModelFind
        )
        ae = self._ae()
        ae.add_requested_context(model)
        rows: list[dict[str, Any]] = []
        with self._association(peer, ae) as assoc:
            for status, identifier in assoc.send_c_find(query.identifier(), model):
                code = _status(status, peer, assoc, "the query")
                if code in (0xFF00, 0xFF01) and identifier is not None:
                    if len(rows) >= limit:
                        assoc.send_c_cancel(int(status.get("MessageIDBeingRespondedTo", 1)), None)
                        continue
                    rows.append(result_row(identifier, query.level))
                elif code != 0x0000 and code != 0xFE00:
                    raise Unavailable(f"{peer} refused the query: {_describe(code)}")
        return rows

    def move(
        self,
        peer: Peer,
        study_uid: str,
        series_uids: Sequence[str] | None,
        destination: str,
        progress: Progress | None = None,
    ) -> TransferResult:
        """C-MOVE a study (or some of its series) to the AE title ``destination``."""
        ae = self._ae()
        ae.add_requested_context(StudyRootQueryRetrieveInformationModelMove)
        result = TransferResult()
        with self._association(peer, ae) as assoc:
            for identifier in _retrieve_identifiers(study_uid, series_uids):
                part = TransferResult()
                for status, _ds in assoc.send_c_move(
                    identifier, destination, StudyRootQueryRetrieveInformationModelMove
                ):
                    code = _status(status, peer, assoc, "the retrieve")
                    part = _counts(status)
                    if code == 0xFF00:
                        if progress:
                            progress(result.completed + part.completed, result.total + _expected(status))
                    elif code == 0xA801:
                        raise Unavailable(
                            f"{peer} does not know the move destination {destination!r}: register it there "
                            "with our node's AE title, host and port"
                        )
                    elif code_to_category(code) == "Failure" and part.completed == 0:
                        raise Unavailable(f"{peer} could not send the study: {_describe(code)}")
                result.completed += part.completed
                result.failed += part.failed
                result.warning += part.warning
        return result

    def get(
        self,
        peer: Peer,
        study_uid: str,
        series_uids: Sequence[str] | None,
        spool: Spool,
        ae_folder: str,
        progress: Progress | None = None,
    ) -> TransferResult:
        """C-GET a study (or some of its series); the instances are written to ``spool`` under ``ae_folder``."""
        ae = self._ae()
        ae.add_requested_context(StudyRootQueryRetrieveInformationModelGet)
        roles = []
        for cx in StoragePresentationContexts[:127]:
            syntax = str(cx.abstract_syntax)
            ae.add_requested_context(syntax, GET_SYNTAXES)
            roles.append(build_role(syntax, scp_role=True))
        received = [0]

        def on_store(event: evt.Event) -> int:
            ds = event.dataset
            spool.store(
                ae_folder, ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID, event.encoded_dataset()
            )
            received[0] += 1
            return 0x0000

        result = TransferResult()
        with self._association(peer, ae, [(evt.EVT_C_STORE, on_store)], ext_neg=roles) as assoc:
            for identifier in _retrieve_identifiers(study_uid, series_uids):
                part = TransferResult()
                for status, _ds in assoc.send_c_get(identifier, StudyRootQueryRetrieveInformationModelGet):
                    code = _status(status, peer, assoc, "the retrieve")
                    part = _counts(status)
                    if code == 0xFF00 and progress:
                        progress(result.completed + part.completed, result.total + _expected(status))
                    elif code_to_category(code) == "Failure" and part.completed == 0:
                        raise Unavailable(f"{peer} could not send the study: {_describe(code)}")
                result.completed += part.completed
                result.failed += part.failed
                result.warning += part.warning
        if received[0] < result.completed:
            raise Unavailable(f"{peer} reported {result.completed} instances sent but {received[0]} arrived")
        return result

    def send(self, peer: Peer, files: Sequence[Path], progress: Progress | None = None) -> TransferResult:
        """C-STORE each DICOM file to the peer; files that are not DICOM are a clear error before sending."""
        datasets: list[tuple[Path, str, str]] = []
        for path in files:
            try:
                head = dcmread(path, stop_before_pixels=True)
                datasets.append((path, str(head.SOPClassUID), str(head.file_meta.TransferSyntaxUID)))
            except (InvalidDicomError, AttributeError, OSError) as exc:
                raise InvalidInput(
                    f"{path.name} is not a DICOM file with a SOP class and transfer syntax: {exc}"
                ) from None
        if not datasets:
            raise InvalidInput("nothing to send: no DICOM files selected")
        contexts = sorted({(cls, ts) for _, cls, ts in datasets})
        if len(contexts) > 128:
            raise InvalidInput("too many different SOP classes / transfer syntaxes for one association (max 128)")
        ae = self._ae()
        for cls, ts in contexts:
            ae.add_requested_context(cls, [ts])
        result = TransferResult()
        with self._association(peer, ae) as assoc:
            for path, _cls, _ts in datasets:
                status = assoc.send_c_store(path)
                self._check_alive(assoc, peer, f"sending {path.name}")
                code = int(status.Status) if "Status" in status else -1
                category = code_to_category(code) if code >= 0 else "Failure"
                if category == "Success":
                    result.completed += 1
                elif category == "Warning":
                    result.warning += 1
                else:
                    result.failed += 1
                    log.warning("%s refused %s: %s", peer, path.name, _describe(code))
                if progress:
                    progress(result.total, len(datasets))
        return result


# ------------------------------------------------------------------------------------------------ helpers


def _retrieve_identifiers(study_uid: str, series_uids: Sequence[str] | None) -> list[Dataset]:
    def make(level: str, series: str | None = None) -> Dataset:
        ds = Dataset()
        ds.QueryRetrieveLevel = level
        ds.StudyInstanceUID = study_uid
        if series is not None:
            ds.SeriesInstanceUID = series
        return ds

    if not series_uids:
        return [make("STUDY")]
    return [make("SERIES", s) for s in series_uids]


def _status(status: Dataset, peer: Peer, assoc: Association, what: str) -> int:
    """The status code of a response; an empty one means the association died or timed out."""
    if "Status" not in status:
        state = "aborted the association" if assoc.is_aborted else "aborted the association or did not answer in time"
        raise Unavailable(
            f"{peer} {state} during {what}: a PACS does this when it does not allow our AE title "
            f"{assoc.requestor.ae_title!r} this service (register it there with our host and port) or is overloaded"
        )
    code: int = int(status.Status)
    return code


def _counts(status: Dataset) -> TransferResult:
    return TransferResult(
        int(status.get("NumberOfCompletedSuboperations", 0) or 0),
        int(status.get("NumberOfFailedSuboperations", 0) or 0),
        int(status.get("NumberOfWarningSuboperations", 0) or 0),
    )


def _expected(status: Dataset) -> int:
    remaining = int(status.get("NumberOfRemainingSuboperations", 0) or 0)
    return _counts(status).total + remaining


def _describe(code: int) -> str:
    known = {
        0xA700: "out of resources",
        0xA701: "out of resources (cannot calculate the number of matches)",
        0xA702: "out of resources (cannot perform sub-operations)",
        0xA801: "move destination unknown",
        0xA900: "identifier does not match the SOP class",
        0xC000: "unable to process",
        0xFE00: "cancelled",
        0x0122: "SOP class not supported",
        0x0124: "not authorised",
    }
    return f"status 0x{code:04X} ({known.get(code, code_to_category(code).lower())})"
