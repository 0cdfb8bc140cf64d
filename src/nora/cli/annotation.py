"""``nora -p P --roistats SUBJECT ROIS IMAGES [--csv]`` and ``--segexport PSID ROI OUTFILE``."""

from __future__ import annotations

import argparse
import io
import sys

from sqlalchemy.orm import Session
from tqdm import tqdm

from nora.annotation import segio
from nora.annotation.cohort import COLUMNS, cohort_stats
from nora.archive.selection import StudyList, SubjectSelector
from nora.archive.services import cliops, nodes
from nora.archive.services.access import Actor, project_access
from nora.archive.storage import atomic_write
from nora.cli.commands import subject_of
from nora.cli.context import Context, absolute, as_csv, as_json, project_name
from nora.core.errors import InvalidInput, NotFound
from nora.core.ids import Psid


def add_options(p: argparse.ArgumentParser) -> None:
    a = p.add_argument_group("annotation (see docs/annotation.md)")
    a.add_argument(
        "--roistats",
        nargs=3,
        metavar=("SUBJECT", "ROIS", "IMAGES"),
        help="ROI statistics per study, ROI and image, e.g. --roistats '*' 'ROIS/*.nii.gz' 't1*.nii*' (JSON; --csv)",
    )
    a.add_argument(
        "--segexport",
        nargs=3,
        metavar=("PSID", "ROIS", "OUTFILE"),
        help="write the study's ROIs matching ROIS (one reference) as a DICOM SEG file, e.g. 'ROIS/lesion.nii.gz'",
    )


def segexport(ctx: Context, session: Session, actor: Actor, args: argparse.Namespace) -> str:
    access = project_access(session, actor, project_name(args.project, ctx.settings))
    target, pattern, outfile = args.segexport
    psid = Psid.parse(target)
    if psid.sid is None:
        raise InvalidInput(f"--segexport needs a study (PID#SID), not the patient {target!r}")
    study = nodes.get_study(session, access, psid.pid, psid.sid)
    subject = SubjectSelector((StudyList(((psid.pid, psid.sid),)),))
    hits = cliops.select_hits(session, access, ctx.layout, subject, pattern)
    paths = [h.path for h in hits if h.path is not None]
    if not paths:
        raise NotFound(f"no file of {target} matches {pattern!r}")
    data = segio.export_study_rois(session, access, ctx.layout, study, paths)
    (out,) = absolute([outfile])
    atomic_write(out, io.BytesIO(data))
    return as_json({"file": str(out), "segments": paths, "bytes": len(data)})


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
