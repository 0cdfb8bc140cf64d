"""The composition root: the background services of one nora process, built once from the Settings.

``nora serve`` (the app factory's lifespan) and the CLI (``nora daemon``, ``nora dicom-node``) build the
same :class:`Services`: the job engine with every registered job kind (processing; import and retrieve
from :mod:`nora.importing.kinds`; the features' kinds next), its worker pool, the daemon loop, the
DICOM nodes and the segmentation assistant's sessions. :meth:`Services.start` starts them in order
(recovery, DICOM nodes, workers, daemon) and :meth:`Services.stop` stops them in the reverse order.
Nothing here is module-level state.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from nora.archive.storage import Layout
from nora.core.settings import Settings
from nora.importing import kinds as import_kinds
from nora.importing.node import DicomNodes
from nora.processing.daemon import DaemonThread
from nora.processing.engine import Engine
from nora.processing.kinds import JobKinds
from nora.segmentation.assistant.sessions import SessionStore

log = logging.getLogger(__name__)


@dataclass
class Services:
    """The engine (with its kinds and worker pool), the daemon thread and the DICOM nodes of a process."""

    settings: Settings
    sessions: sessionmaker[Session]
    layout: Layout
    kinds: JobKinds
    engine: Engine
    nodes: DicomNodes
    #: the segmentation assistant's sessions (in this process; bounded, expiring)
    assistant: SessionStore
    daemon: DaemonThread | None = None
    started: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, settings: Settings, sessions: sessionmaker[Session]) -> Services:
        layout = Layout(settings.home)
        nodes = DicomNodes(settings, sessions, layout)
        kinds = import_kinds.register(JobKinds(), sessions, layout, settings, nodes.spool)
        engine = Engine(sessions, settings, kinds=kinds)
        return cls(settings, sessions, layout, kinds, engine, nodes, SessionStore(settings.assistant))

    def start(self, *, jobs: bool = True, nodes: bool = True, daemon: bool = True) -> None:
        """Recovery, DICOM nodes, workers, daemon (each where asked for); stops what started on failure."""
        try:
            if jobs:
                self.engine.recover()
                self._did("recovery")
            if nodes and self.settings.dicom_nodes:
                self.nodes.start()
                self._did("dicom nodes")
            if jobs:
                self.engine.workers.start()
                self._did("workers")
            if jobs and daemon:
                self.daemon = DaemonThread(self.sessions, self.settings, self.engine, recover=False).start()
                self._did("daemon")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Daemon, workers (running jobs end first), DICOM nodes: the reverse of :meth:`start`."""
        for step in reversed(list(self.started)):
            if step == "daemon" and self.daemon is not None:
                self.daemon.stop()
                self.daemon = None
            elif step == "workers":
                self.engine.close()
            elif step == "dicom nodes":
                self.nodes.stop()
            self.started.remove(step)
            log.info("stopped: %s", step)
        self.assistant.close_all()

    def notify_jobs(self) -> None:
        """A job was queued: the engine takes it now instead of at its next polling round."""
        self.engine.notify()

    def _did(self, step: str) -> None:
        self.started.append(step)
        log.info("started: %s", step)
