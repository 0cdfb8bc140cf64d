"""The DICOM node: a C-ECHO and C-STORE SCP (pynetdicom) that spools instances and finds finished studies.

Instances are written to the :class:`~nora.dicom.net.spool.Spool` before the C-STORE response is sent, so
success (0x0000) means the instance is on disk. The called AE titles the node answers to are fixed at
construction; an association to any other called AE title is rejected ("called AE title not recognised").
With an allow-list of callers (:class:`Caller`: a calling AE title, optionally with an address or network),
an association from any other calling AE title or address is rejected too ("calling AE title not
recognised") before a single instance is accepted.
A watcher thread hands each study that has been quiet for the end-of-study timeout to ``on_study``;
several associations are served concurrently (one thread each).
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydicom.dataset import Dataset
from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, AllStoragePresentationContexts, evt
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]
from pynetdicom.transport import ThreadedAssociationServer

from nora.core.errors import InvalidInput, Unavailable
from nora.dicom.net.spool import Spool, ae_name

log = logging.getLogger(__name__)

#: C-STORE statuses (PS3.4 B.2.3)
SUCCESS = 0x0000
OUT_OF_RESOURCES = 0xA700
CANNOT_UNDERSTAND = 0xC000

StudyHandler = Callable[[str, Path], None]
"""Called with (called AE title, claimed study folder); owns the folder afterwards."""


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Caller:
    """One allowed caller: a calling AE title (``*``: any) and, optionally, the address or network it calls from."""

    ae_title: str
    network: Network | None = None

    @classmethod
    def parse(cls, text: str) -> Caller:
        """``AE``, ``AE@10.0.0.5``, ``AE@10.0.0.0/24``, ``*@10.0.0.5`` or ``AE@::1``; InvalidInput otherwise."""
        ae, sep, where = text.strip().rpartition("@")
        if not sep:
            ae, where = where, ""
        if not 1 <= len(ae) <= 16 or not ae.isascii() or "\\" in ae or not ae.isprintable():
            raise InvalidInput(
                f"allowed caller {text!r}: use a calling AE title (1-16 ASCII characters, or *), "
                "optionally followed by @address or @network, e.g. SCANNER1@10.0.0.5"
            )
        if not sep:
            return cls(ae)
        try:
            return cls(ae, ipaddress.ip_network(where.strip(), strict=False))
        except ValueError:
            raise InvalidInput(
                f"allowed caller {text!r}: {where!r} is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/24)"
            ) from None

    def admits(self, ae_title: str, address: str) -> bool:
        """Whether a caller with this calling AE title from this address matches the rule."""
        if self.ae_title != "*" and self.ae_title != ae_title:
            return False
        if self.network is None:
            return True
        try:
            return ipaddress.ip_address(address) in self.network
        except ValueError:
            return False


@dataclass
class NodeConfig:
    """What one node listens on and answers to (validated here, whatever the caller read it from)."""

    ae_titles: list[str]
    port: int
    host: str = "127.0.0.1"  # loopback unless the configuration names the interface scanners reach
    timeout: float = 15.0
    #: AE titles whose studies are not auto-imported (move targets; retrieve jobs claim them)
    hold: set[str] = field(default_factory=set)
    max_associations: int = 16
    #: who may associate; empty: any calling AE title from any address
    callers: tuple[Caller, ...] = ()

    def __post_init__(self) -> None:
        if not self.ae_titles:
            raise InvalidInput("a DICOM node needs at least one AE title")
        for ae in self.ae_titles:
            if not 1 <= len(ae.strip()) <= 16 or not ae.isascii() or "\\" in ae:
                raise InvalidInput(f"AE title {ae!r}: use 1-16 ASCII characters without a backslash")
        if not 0 <= self.port <= 65535:
            raise InvalidInput(f"port {self.port}: use 1-65535")
        if self.timeout <= 0:
            raise InvalidInput("the end-of-study timeout must be positive")


class DicomNode:
    """A running (or startable) C-ECHO / C-STORE SCP with an end-of-study watcher."""

    def __init__(self, config: NodeConfig, spool: Spool, on_study: StudyHandler | None = None) -> None:
        self.config = config
        self.spool = spool
        self.on_study = on_study
        self._titles = {ae.strip(): ae.strip() for ae in config.ae_titles}
        self._hold = {ae_name(a) for a in config.hold}
        self._server: ThreadedAssociationServer | None = None
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self.received = 0
        self._count_lock = threading.Lock()

    # ------------------------------------------------------------------------------------------- lifecycle

    @property
    def port(self) -> int:
        """The bound port (useful when the config asked for port 0)."""
        if self._server is None:
            return self.config.port
        return int(self._server.server_address[1])

    def start(self) -> None:
        """Listen (non-blocking) and start the end-of-study watcher; a busy port is a clear error."""
        ae = AE(ae_title=self.config.ae_titles[0].strip())
        for cx in AllStoragePresentationContexts:
            ae.add_supported_context(str(cx.abstract_syntax), ALL_TRANSFER_SYNTAXES)
        ae.add_supported_context(Verification, ALL_TRANSFER_SYNTAXES)
        ae.maximum_associations = self.config.max_associations
        ae.maximum_pdu_size = 0  # no limit: fewer, larger PDUs from senders that accept it
        ae.require_called_aet = False  # checked by _on_requested against every routed AE title
        handlers: list[evt.EventHandlerType] = [
            (evt.EVT_REQUESTED, self._on_requested),
            (evt.EVT_C_ECHO, self._on_echo),
            (evt.EVT_C_STORE, self._on_store),
        ]
        self.spool.recover()
        try:
            self._server = ae.start_server((self.config.host, self.config.port), block=False, evt_handlers=handlers)
        except OSError as exc:
            raise Unavailable(f"cannot listen on {self.config.host}:{self.config.port}: {exc.strerror}") from exc
        self._stop.clear()
        self._watcher = threading.Thread(target=self._watch, name=f"dicom-node-{self.port}", daemon=True)
        self._watcher.start()
        log.info("DICOM node %s listening on %s:%d", "/".join(self._titles), self.config.host, self.port)

    def stop(self) -> None:
        """Stop listening (open associations are ended) and stop the watcher."""
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server = None
        if self._watcher is not None:
            self._watcher.join(timeout=30)
            self._watcher = None

    def wait(self) -> None:
        """Block until :meth:`stop` (or Ctrl-C in the caller)."""
        while not self._stop.wait(0.5):
            pass

    # --------------------------------------------------------------------------------------------- events

    def _on_requested(self, event: evt.Event) -> None:
        """Reject unknown callers and AE titles this node does not answer to; answer with the called title."""
        primitive = event.assoc.requestor.primitive
        called = str(primitive.called_ae_title).strip()  # type: ignore[union-attr]
        calling = str(primitive.calling_ae_title).strip()  # type: ignore[union-attr]
        address = event.assoc.requestor.address
        if not self.admits(calling, address):
            log.warning("rejecting association from %s at %s: not an allowed caller", calling, address)
            self._reject(event, 0x03)  # calling AE title not recognised
            return
        if called not in self._titles:
            log.warning("rejecting association from %s: called AE title %r unknown", calling, called)
            self._reject(event, 0x07)  # called AE title not recognised
            return
        event.assoc.acceptor.ae_title = called

    def admits(self, calling: str, address: str) -> bool:
        """Whether the allow-list (empty: everyone) admits this calling AE title from this address."""
        return not self.config.callers or any(rule.admits(calling, address) for rule in self.config.callers)

    @staticmethod
    def _reject(event: evt.Event, reason: int) -> None:
        event.assoc.acse.send_reject(0x01, 0x01, reason)  # rejected-permanent, by the service user
        event.assoc.kill()  # waits until the DUL has sent the rejection, as pynetdicom's own rejections do

    def _on_echo(self, event: evt.Event) -> int:
        return SUCCESS

    def _on_store(self, event: evt.Event) -> int | tuple[int, Dataset]:
        called = str(event.assoc.acceptor.ae_title).strip()
        try:
            ds = event.dataset
            study, series, sop = ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID
        except Exception as exc:  # a peer's malformed dataset: refuse it, keep the association
            log.warning("refusing an instance from %s: %s", event.assoc.requestor.ae_title, exc)
            return CANNOT_UNDERSTAND
        try:
            self.spool.store(called, str(study), str(series), str(sop), event.encoded_dataset())
        except OSError:
            log.exception("cannot write instance %s", sop)
            return OUT_OF_RESOURCES
        with self._count_lock:
            self.received += 1
        return SUCCESS

    # ------------------------------------------------------------------------------------ end of study

    def _watch(self) -> None:
        interval = min(1.0, self.config.timeout / 4)
        for ae, folder in self.spool.processing():  # imports interrupted by a restart
            self._hand_over(ae, folder)
        while not self._stop.wait(interval):
            self.flush(self.config.timeout)

    def flush(self, timeout: float) -> int:
        """Hand every study quiet for ``timeout`` seconds to ``on_study``; returns how many."""
        if self.on_study is None:
            return 0
        handed = 0
        for quiet in self.spool.quiet_studies(timeout):
            if quiet.ae in self._hold:
                continue
            folder = self.spool.claim(quiet.ae, quiet.study)
            if folder is not None:
                self._hand_over(quiet.ae, folder)
                handed += 1
        return handed

    def _hand_over(self, ae: str, folder: Path) -> None:
        if self.on_study is None or ae in self._hold:
            return
        title = next((t for t in self._titles if ae_name(t) == ae), ae)
        try:
            self.on_study(title, folder)
        except Exception:  # the boundary between the node and import: log, keep the files
            log.exception("import of %s failed; kept for a retry", folder)
            if folder.exists():
                kept = self.spool.mark_failed(ae, folder)
                log.error("received study kept in %s", kept)
