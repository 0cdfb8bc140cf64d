"""``nora -p PROJECT --import PATH``: import a folder or zip of DICOM (and extra files) with a progress bar.

Options as in NORA: ``--patients_id``, ``--studies_id``, ``--pattern`` (named groups ``patients_id`` /
``studies_id`` applied to each file's path), ``--extrafiles_filter nii,hdr,img``, ``--addtag_study TAG``,
``--addtag_patient TAG``, ``--keepdicom``, ``--handle_job_result`` (print ``DONE <job id>`` as the last line
once the job is finished). The import runs as a job of the project; its report goes to stdout as JSON.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

from sqlalchemy.orm import Session
from tqdm import tqdm

from nora.archive.services.access import Actor
from nora.archive.services.tags import split_tags
from nora.cli.context import Context, as_json, note, project_name
from nora.core.errors import InvalidInput
from nora.importing.service import ImportOptions, import_dicom_tree, import_zip

MODIFIERS = ("patients_id", "studies_id", "pattern", "extrafiles_filter", "handle_job_result", "keepdicom")


def add_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("import")
    g.add_argument("--import", dest="import_", metavar="PATH", help="import a DICOM folder or zip into the project")
    g.add_argument("--patients_id", metavar="PID", help="with --import: use PID as the patient ID")
    g.add_argument("--studies_id", metavar="SID", help="with --import: use SID as the study ID")
    g.add_argument(
        "--pattern", metavar="REGEX", help="with --import: regex on each file's path with groups patients_id/studies_id"
    )
    g.add_argument("--extrafiles_filter", metavar="EXTS", help="with --import: also import these non-DICOM files")
    g.add_argument("--keepdicom", action="store_true", help="with --import: keep the DICOM originals in any case")
    g.add_argument("--handle_job_result", action="store_true", help="with --import: print 'DONE <job>' when done")


def _tags(values: list[str] | None, flag: str) -> tuple[str, ...]:
    if not values:
        return ()
    if len(values) != 1:
        raise InvalidInput(f"with --import, {flag} takes one argument: the tags (comma-separated)")
    return tuple(split_tags(values[0]))


def options_from(args: argparse.Namespace) -> ImportOptions:
    exts = tuple(e.strip().lstrip(".") for e in (args.extrafiles_filter or "").split(",") if e.strip())
    return ImportOptions(
        patients_id=args.patients_id,
        studies_id=args.studies_id,
        pattern=args.pattern,
        extrafiles_filter=exts,
        addtag_study=_tags(args.addtag_study, "--addtag_study"),
        addtag_patient=_tags(args.addtag_patient, "--addtag_patient"),
        keep_originals=True if args.keepdicom else None,
        handle_job_result=bool(args.handle_job_result),
    )


def run_import(ctx: Context, session: Session, actor: Actor, args: argparse.Namespace) -> str:
    """Run the import with a progress bar on stderr; the report as JSON on stdout."""
    project = project_name(args.project, ctx.settings)
    source = Path(args.import_).expanduser().absolute()
    options = options_from(args)
    if not source.exists():
        raise InvalidInput(f"--import {args.import_}: no such file or folder")
    session.close()  # the import opens its own transactions, one per study
    bar = tqdm(total=100, unit="%", desc="import", file=sys.stderr, disable=not sys.stderr.isatty(), leave=False)

    def progress(fraction: float, message: str) -> None:
        bar.n = round(fraction * 100)
        bar.set_postfix_str(message[:60], refresh=False)
        bar.refresh()

    try:
        if source.is_file() and zipfile.is_zipfile(source):
            report = import_zip(ctx.sessions, ctx.layout, actor, project, source, options, progress=progress)
        else:
            report = import_dicom_tree(ctx.sessions, ctx.layout, actor, project, source, options, progress=progress)
    finally:
        bar.close()
    note(report.summary())
    for failed in report.not_converted:
        note(f"not converted: {failed.study} {failed.name}: {failed.reason}")
    for warning in report.warnings:
        note(f"warning: {warning}")
    out = as_json(report.to_dict())
    if options.handle_job_result:
        out += f"\nDONE {report.job_id}"
    return out
