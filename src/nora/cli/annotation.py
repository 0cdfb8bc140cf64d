"""``nora -p P --roistats SUBJECT ROIS IMAGES [--csv]`` and ``--segexport PSID ROI OUTFILE``."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.orm import Session
from tqdm import tqdm

from nora.annotation.cohort import COLUMNS, cohort_stats
from nora.archive.services.access import Actor, project_access
from nora.cli.commands import subject_of
from nora.cli.context import Context, as_csv, as_json, project_name


def add_options(p: argparse.ArgumentParser) -> None:
    a = p.add_argument_group("annotation (see docs/annotation.md)")
    a.add_argument(
        "--roistats",
        nargs=3,
        metavar=("SUBJECT", "ROIS", "IMAGES"),
        help="ROI statistics per study, ROI and image, e.g. --roistats '*' 'ROIS/*.nii.gz' 't1*.nii*' (JSON; --csv)",
    )


def roistats(ctx: Context, session: Session, actor: Actor, args: argparse.Namespace) -> str:
    access = project_access(session, actor, project_name(args.project, ctx.settings))
    subject, rois, images = args.roistats
    bar = tqdm(unit="study", desc="roistats", file=sys.stderr, disable=not sys.stderr.isatty(), leave=False)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    with bar:
        rows = cohort_stats(session, access, ctx.layout, subject_of(subject), rois, images, progress=progress)
    if args.csv:
        return as_csv(list(COLUMNS), [[r[c] for c in COLUMNS] for r in rows])
    return as_json(rows)
