"""NORA's flag-style command line: ``nora -p PROJECT --projectlist``, ``-s SUBJECT FILES``, ``--add`` ...

The options keep NORA's names, short forms and meanings. Exactly one action runs per call; the options
that modify an action (``--addtag`` with ``--add``, ``--json`` with ``-s`` ...) are checked against it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from sqlalchemy.orm import Session

from nora.archive.services.access import Actor
from nora.cli import admin, annotation, commands, dicomnode, importing, mrmc, processing, reading
from nora.cli.context import Context, NoraParser, common_options, resolve_actor, write
from nora.core.errors import InvalidInput
from nora.core.settings import Settings

Handler = Callable[[Context, Session, Actor, argparse.Namespace], str]

DESCRIPTION = """\
NORA backend command line. Most commands work on a project (-p NAME, default NORA_PROJECT).
Selectors: -s SUBJECT FILES, e.g. -s '10*' 'ROIS/mask*.nii.gz' or -s 'stag:baseline' 'T1.nii.gz META/*.json'.
Server side: 'nora init', 'nora demo', 'nora serve', 'nora dicom-node' (see 'nora init --help').
Exit codes: 2 invalid input, 3 not found, 4 not allowed, 5 conflict, 6 peer (PACS) unavailable, 1 other errors,
70 unexpected."""


def build_parser() -> NoraParser:
    p = NoraParser(
        prog="nora",
        description=DESCRIPTION,
        parents=[common_options()],
        allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("-p", "--project", metavar="NAME", help="the project all other options refer to")
    m = p.add_argument_group("management")
    m.add_argument("--projectlist", action="store_true", help="list the visible projects and your rights (JSON)")
    m.add_argument(
        "-c", "--createproject", nargs="+", metavar=("NAME", "MODULE"), help="create project NAME (MODULE: DEFAULT)"
    )
    m.add_argument("-q", "--sql", metavar="SQL", help="run one read-only SQL query, JSON rows out (system admins)")
    m.add_argument("--csv", action="store_true", help="with --sql or --roistats: CSV instead of JSON")
    m.add_argument("--admin", nargs=argparse.REMAINDER, metavar="COMMAND", help="user, right and token admin")
    f = p.add_argument_group("files and tags")
    f.add_argument("-a", "--add", nargs="+", metavar="FILE", help="register files that lie in the project folder")
    f.add_argument("--to", metavar="PID#SID", help="with --add: copy the files into this study (created if new)")
    f.add_argument("--folder", metavar="FOLDER", default="", help="with --add --to: subfolder in the study")
    f.add_argument("--overwrite", action="store_true", help="with --add --to: replace files of the same name")
    f.add_argument("-d", "--del", dest="delete", nargs="+", metavar="FILE", help="delete files (path or PID/SID/path)")
    f.add_argument("-dp", "--del_pat", nargs="+", metavar="PSID", help="delete patients (PID) or studies (PID#SID)")
    f.add_argument("-s", "--select", nargs="+", metavar=("SUBJECT", "FILES"), help="print the selected files")
    f.add_argument("-j", "--json", action="store_true", help="with -s or --mrmc: JSON output")
    f.add_argument("--byfilename", action="store_true", help="with -s: JSON per study, then per file path")
    f.add_argument("-o", "--out", nargs=2, metavar=("SUBJECT", "FILE"), help="absolute output path in one study")
    f.add_argument("-pa", "--pathout", nargs=2, metavar=("SUBJECT", "PATH"), help="like --out; study may be new")
    f.add_argument("--addtag", metavar="TAGS", help="with --add or -s: add file tags (comma-separated)")
    f.add_argument("--rmtag", metavar="TAGS", help="with -s: remove file tags (comma-separated)")
    f.add_argument("--addtag_study", nargs="+", metavar=("TAG", "PSID"), help="add a study tag to PID#SID")
    f.add_argument("--addtag_patient", nargs="+", metavar=("TAG", "PID"), help="add a patient tag to PID")
    f.add_argument("--tagstats", action="store_true", help="count the tags of the project (JSON)")
    o = p.add_argument_group("metadata")
    o.add_argument("--exportmeta", nargs=2, metavar=("SUBJECT", "FILES"), help="export JSON metadata as CSV")
    o.add_argument("--keys", metavar="KEYSET", help="with --exportmeta: keys such as '*.mask.volume' (default *)")
    j = p.add_argument_group("processing (see docs/processing.md)")
    j.add_argument("--launch", metavar="JSON", help="launch a batch: {batch|batch_name, rows|select, queue}")
    j.add_argument("--launchfile", metavar="FILE", help="like --launch, the JSON read from FILE")
    j.add_argument("--throwerror", action="store_true", help="with --launch: wait, exit 1 when a job failed")
    # --handle_job_result (defined with the import options) also works with --launch: run and register
    j.add_argument("--launch_autoexec", metavar="PSID", help="run the project's autoexecution rules on PID#SID")
    importing.add_options(p)
    annotation.add_options(p)
    reading.add_options(p)
    mrmc.add_options(p)
    p.add_argument_group("PACS (see docs/pacs.md)").add_argument(
        "--dicomsend", nargs="+", metavar="NODE SUBJECT [FILES]", help="send the selected DICOM files to a PACS node"
    )
    return p


#: action option → handler; the order decides nothing, more than one action is an error
ACTIONS: dict[str, Handler] = {
    "projectlist": commands.project_list,
    "createproject": commands.create_project,
    "sql": commands.sql,
    "add": commands.add,
    "delete": commands.delete,
    "del_pat": commands.delete_nodes,
    "out": commands.out,
    "pathout": commands.pathout,
    "addtag_study": commands.tag_studies,
    "addtag_patient": commands.tag_patients,
    "tagstats": commands.tag_stats,
    "exportmeta": commands.export_meta,
    "select": commands.select,
    "import_": importing.run_import,
    "launch": processing.launch_batch,
    "launchfile": processing.launch_batch,
    "launch_autoexec": processing.launch_autoexec,
    "dicomsend": dicomnode.dicom_send,
    "roistats": annotation.roistats,
    "segexport": annotation.segexport,
    "reading_export": reading.reading_export,
}
#: actions that need no project and no database
STANDALONE: dict[str, Callable[[argparse.Namespace], str]] = {"mrmc": mrmc.run}
#: modifier option → the actions it modifies
MODIFIERS = {
    "to": ("add",),
    "folder": ("add",),
    "overwrite": ("add",),
    "addtag": ("add", "select"),
    "rmtag": ("select",),
    "json": ("select", "mrmc"),
    "covariance": ("mrmc",),
    "byfilename": ("select",),
    "csv": ("sql", "roistats"),
    "keys": ("exportmeta",),
    **{m: ("import_",) for m in importing.MODIFIERS},
    "throwerror": ("launch", "launchfile"),
    "handle_job_result": ("import_", "launch", "launchfile"),
    "stage": ("reading_export",),
}


def _flag(dest: str) -> str:
    return "--" + {"delete": "del", "import_": "import", "reading_export": "reading-export"}.get(dest, dest)


def pick_action(args: argparse.Namespace) -> str:
    chosen = [a for a in (*ACTIONS, *STANDALONE) if getattr(args, a) not in (None, False)]
    if "import_" in chosen:  # with --import, --addtag_study/--addtag_patient TAG tag what is imported
        chosen = [a for a in chosen if a not in ("addtag_study", "addtag_patient")]
    if len(chosen) > 1:
        raise InvalidInput(f"choose one action, not {' and '.join(_flag(a) for a in chosen)}")
    if not chosen:
        raise InvalidInput("nothing to do: give an action such as --projectlist or -s (see 'nora --help')")
    action = chosen[0]
    for modifier, allowed in MODIFIERS.items():
        if getattr(args, modifier) not in (None, False, "") and action not in allowed:
            raise InvalidInput(f"{_flag(modifier)} works only with {' or '.join(_flag(a) for a in allowed)}")
    if args.folder and not args.to:
        raise InvalidInput("--folder works only with --add --to")
    if args.overwrite and not args.to:
        raise InvalidInput("--overwrite works only with --add --to")
    if action == "select" and args.addtag and args.rmtag:
        raise InvalidInput("give --addtag or --rmtag, not both")
    return action


def run(argv: list[str], settings: Settings) -> int:
    """Parse NORA's flags and run the one action in one transaction."""
    parser = build_parser()
    if not argv:
        write(parser.format_help())
        return 0
    args = parser.parse_args(argv)
    if args.admin is not None:
        others = [a for a in ACTIONS if getattr(args, a) not in (None, False)]
        if others:
            raise InvalidInput(f"--admin cannot be combined with {_flag(others[0])}")
        return admin.run(args.admin, settings, user=args.user)
    action = pick_action(args)
    if action in STANDALONE:
        write(STANDALONE[action](args))
        return 0
    handler = ACTIONS[action]
    with Context.open(settings) as ctx:
        ctx.require_initialised()
        with ctx.transaction() as session:
            output = handler(ctx, session, resolve_actor(session, settings, args.user), args)
    write(output)
    return 0
