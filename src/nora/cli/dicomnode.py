"""``nora dicom-node`` (the DICOM receive node in the foreground) and NORA's ``--dicomsend NODE SUBJECT FILES``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.archive.models import File
from nora.archive.services import cliops
from nora.archive.services.access import Actor, project_access
from nora.cli.context import Context, NoraParser, as_json, common_options, note, project_name, write
from nora.core.errors import InvalidInput
from nora.core.settings import DicomNodeSettings, Settings
from nora.importing import pacs
from nora.runtime import Services


def _parser() -> NoraParser:
    parser = NoraParser(
        prog="nora dicom-node",
        description=(
            "Run the DICOM nodes configured in nora.toml ([[dicom_nodes]]) in the foreground until Ctrl-C: "
            "C-ECHO and C-STORE SCP; each study is imported after its end-of-study timeout. "
            "With --ae and --port, run one node given on the command line instead."
        ),
        parents=[common_options()],
    )
    parser.add_argument("--node", action="append", metavar="NAME", help="run only this configured node (repeatable)")
    parser.add_argument("--ae", metavar="AETITLE", help="ad-hoc node: its AE title")
    parser.add_argument("--port", type=int, help="ad-hoc node: the port to listen on")
    parser.add_argument("--host", default="127.0.0.1", help="ad-hoc node: interface (default loopback only)")
    parser.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="AE[@ADDRESS]",
        help="ad-hoc node: an allowed caller (repeatable; default anyone)",
    )
    parser.add_argument("--project", metavar="NAME", help="ad-hoc node: import into this project")
    parser.add_argument("--timeout", type=float, default=15.0, help="ad-hoc node: end-of-study timeout (s)")
    parser.add_argument("--delete-after-import", action="store_true", help="ad-hoc node: remove received files")
    return parser


def run_dicom_node(argv: list[str], settings: Settings) -> int:
    args = _parser().parse_args(argv)
    if args.ae or args.port:
        if not (args.ae and args.port and args.project):
            raise InvalidInput("an ad-hoc node needs --ae, --port and --project")
        if args.node:
            raise InvalidInput("give --node or an ad-hoc node (--ae/--port/--project), not both")
        try:
            node = DicomNodeSettings(
                name=f"{args.ae.strip()}-{args.port}".replace(" ", "_"),
                ae_title=args.ae,
                port=args.port,
                host=args.host,
                allowed_callers=args.allow,
                project=args.project,
                timeout=args.timeout,
                delete_after_import=args.delete_after_import,
            )
        except ValueError as exc:
            raise InvalidInput(f"invalid node: {exc}") from None
        settings = settings.model_copy(update={"dicom_nodes": [node]})
    elif not settings.dicom_nodes:
        raise InvalidInput("no DICOM node configured: add [[dicom_nodes]] to nora.toml or give --ae, --port, --project")
    with Context.open(settings) as ctx:
        ctx.require_initialised()
        services = Services.build(settings, ctx.sessions)
        nodes = services.nodes.start(args.node)
        for config, node_ in zip(args.node or [n.name for n in settings.dicom_nodes], nodes, strict=False):
            titles = ", ".join(node_.config.ae_titles)
            write(f"DICOM node {config}: AE {titles} listening on {node_.config.host}:{node_.port}")
        note("press Ctrl-C to stop")
        try:
            nodes[0].wait()
        except KeyboardInterrupt:
            note("stopping")
        finally:
            services.nodes.stop()
    return 0


def _progress() -> Callable[[int, int], None] | None:
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bar: list[tqdm[None]] = []

    def update(done: int, total: int) -> None:
        if not bar:
            bar.append(tqdm(total=total, desc="send", unit="file", file=sys.stderr))
        bar[0].update(done - bar[0].n)
        if done >= total:
            bar[0].close()

    return update


def dicom_send(ctx: Context, session: Session, actor: Actor, args: argparse.Namespace) -> str:
    """``--dicomsend NODE SUBJECT [FILES]``: C-STORE the selected DICOM files to a configured PACS node."""
    values = list(args.dicomsend)
    if len(values) not in (2, 3):
        raise InvalidInput("--dicomsend takes NODE SUBJECT [FILES], e.g. --dicomsend PACS1 '10*' 'dicom/*'")
    node, subject, files = values[0], values[1], values[2] if len(values) == 3 else "*"
    access = project_access(session, actor, project_name(args.project, ctx.settings))
    hits = [h for h in cliops.select_hits(session, access, ctx.layout, subject, files) if h.file_id is not None]
    dicom = set(session.scalars(select(File.id).where(File.id.in_([h.file_id for h in hits]), File.format == "dicom")))
    paths = [cliops.hit_path(access, ctx.layout, h) for h in hits if h.file_id in dicom]
    if not paths:
        raise InvalidInput(f"no DICOM files among the {len(hits)} files selected by {subject!r} {files!r}")
    if len(paths) < len(hits):
        note(f"sending the {len(paths)} DICOM files of the {len(hits)} selected")
    result = pacs.send_files(session, actor, ctx.settings, node, access, paths, f"{subject} {files}", _progress())
    return as_json({"node": node, "sent": result.completed, "failed": result.failed, "warning": result.warning})
