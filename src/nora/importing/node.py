"""The DICOM nodes configured in ``Settings.dicom_nodes``: build, start and stop them, and import what they receive.

Each node spools into ``<NORA_HOME>/dicom/<node name>/``. A study sent to the node's AE title goes to the
node's ``project``; a study sent to one of its ``routes`` AE titles goes to that route's project. After the
end-of-study timeout the study folder is handed to :func:`nora.importing.service.import_dicom_tree` (as the
system actor, a tracked import job); afterwards it is deleted (``delete_after_import``) or kept under
``done/``. A failed import keeps the folder under ``failed/``. Nodes of type ``move`` only receive: the
PACS retrieve jobs (:mod:`nora.importing.pacs`) claim what arrives there.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from nora.archive.models import Project
from nora.archive.services.access import SYSTEM
from nora.archive.storage import Layout
from nora.core.errors import InvalidInput, NotFound
from nora.core.settings import DicomNodeSettings, ProcessingConfig, Settings
from nora.dicom.net import Caller, DicomNode, NodeConfig, Spool

log = logging.getLogger(__name__)


def spool_root(layout: Layout, node: str) -> Path:
    return layout.home / "dicom" / node


def find_node(settings: Settings, name: str) -> DicomNodeSettings:
    for node in settings.dicom_nodes:
        if node.name == name:
            return node
    known = ", ".join(n.name for n in settings.dicom_nodes) or "none configured"
    raise NotFound(f"DICOM node {name!r} is not configured (nodes: {known})")


def routes(node: DicomNodeSettings) -> dict[str, str]:
    """Called AE title → project (empty project: received but not imported, for move nodes)."""
    table = {node.ae_title.strip(): node.project}
    table.update({ae.strip(): project for ae, project in node.routes.items()})
    return table


def check_projects(session: Session, node: DicomNodeSettings) -> None:
    """Every project a node routes to must exist (a typo would otherwise fail at the first study)."""
    wanted = {p for p in routes(node).values() if p}
    if node.type != "move" and not node.project and not node.routes:
        raise InvalidInput(f"DICOM node {node.name!r} of type {node.type!r} needs a project (or routes)")
    if wanted:
        found = set(session.scalars(select(Project.name).where(Project.name.in_(wanted))))
        missing = sorted(wanted - found)
        if missing:
            raise NotFound(f"DICOM node {node.name!r} routes to projects that do not exist: {', '.join(missing)}")


class ReceivedStudyImporter:
    """The node's ``on_study``: imports one received study folder into the project its AE title routes to."""

    def __init__(
        self,
        node: DicomNodeSettings,
        sessions: sessionmaker[Session],
        layout: Layout,
        spool: Spool,
        processing: ProcessingConfig | None = None,
    ) -> None:
        self.node, self.sessions, self.layout, self.spool = node, sessions, layout, spool
        self.routes = routes(node)
        self.processing = processing

    def __call__(self, ae_title: str, folder: Path) -> None:
        from nora.importing.service import import_dicom_tree  # the import engine is heavy; load on first study

        project = self.routes.get(ae_title.strip(), "")
        if not project:
            log.info("study %s sent to %s is kept for a retrieve job (no project routed)", folder.name, ae_title)
            return
        log.info("importing received study %s (AE %s) into %s", folder.name, ae_title, project)
        report = import_dicom_tree(
            self.sessions, self.layout, SYSTEM, project, folder, own_source=True, processing=self.processing
        )
        log.info("received study %s imported: %s", folder.name, report.summary())
        if self.node.delete_after_import:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            self.spool.mark_done(ae_title, folder)


def build_node(
    node: DicomNodeSettings,
    sessions: sessionmaker[Session],
    layout: Layout,
    processing: ProcessingConfig | None = None,
) -> DicomNode:
    spool = Spool(spool_root(layout, node.name))
    hold = {ae for ae, project in routes(node).items() if not project} if node.type != "move" else set(routes(node))
    config = NodeConfig(
        ae_titles=list(routes(node)),
        port=node.port,
        host=node.host,
        timeout=node.timeout,
        hold=hold,
        callers=tuple(Caller.parse(text) for text in node.allowed_callers),
    )
    return DicomNode(config, spool, ReceivedStudyImporter(node, sessions, layout, spool, processing))


def start_nodes(
    settings: Settings, sessions: sessionmaker[Session], layout: Layout, names: list[str] | None = None
) -> list[DicomNode]:
    """Start the configured nodes (or those named); raises before starting any if one is misconfigured."""
    chosen = [find_node(settings, n) for n in names] if names else list(settings.dicom_nodes)
    with sessions() as session:
        for node in chosen:
            check_projects(session, node)
    started: list[DicomNode] = []
    try:
        for node in chosen:
            dicom_node = build_node(node, sessions, layout, settings.processing)
            dicom_node.start()
            started.append(dicom_node)
    except BaseException:
        stop_nodes(started)
        raise
    return started


def stop_nodes(nodes: list[DicomNode]) -> None:
    for node in nodes:
        node.stop()


class DicomNodes:
    """The DICOM nodes one process runs (``nora serve``'s lifespan, ``nora dicom-node``), and their spools."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session], layout: Layout) -> None:
        self.settings, self.sessions, self.layout = settings, sessions, layout
        self.running: dict[str, DicomNode] = {}

    def start(self, names: list[str] | None = None) -> list[DicomNode]:
        chosen = names or [n.name for n in self.settings.dicom_nodes]
        nodes = start_nodes(self.settings, self.sessions, self.layout, chosen) if chosen else []
        self.running.update(zip(chosen, nodes, strict=True))
        return nodes

    def stop(self) -> None:
        stop_nodes(list(self.running.values()))
        self.running.clear()

    def spool(self, node: str) -> Spool:
        """The spool of a node: the running node's own in this process, else one on the same folder."""
        running = self.running.get(node)
        return running.spool if running is not None else Spool(spool_root(self.layout, node))
