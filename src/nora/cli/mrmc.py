"""``nora --mrmc RATINGS.csv [--covariance jackknife|delong] [--json]``: the MRMC ROC analysis of a CSV.

Needs no project and no database: it reads the file, runs ``nora.reading.analysis`` and prints the report.
"""

from __future__ import annotations

import argparse

from nora.cli.context import absolute, as_json
from nora.core.errors import InvalidInput, NotFound
from nora.reading.analysis import mrmc, ratings, reports


def add_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("reading analysis (see docs/reading-analysis.md)")
    g.add_argument(
        "--mrmc",
        metavar="RATINGS.csv",
        help="MRMC ROC analysis (Obuchowski-Rockette, Hillis df) of a CSV reader,modality,case,truth,rating (-j: JSON)",
    )
    g.add_argument(
        "--covariance",
        choices=mrmc.COVARIANCE_METHODS,
        help="with --mrmc: how the AUC covariances are estimated (default jackknife)",
    )


def run(args: argparse.Namespace) -> str:
    (path,) = absolute([args.mrmc])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise NotFound(f"--mrmc: no such file {args.mrmc!r}") from None
    except (UnicodeDecodeError, IsADirectoryError, PermissionError) as exc:
        raise InvalidInput(f"--mrmc: cannot read {args.mrmc!r} as a UTF-8 CSV file ({type(exc).__name__})") from None
    try:
        report = reports.mrmc_report(ratings.parse_csv(text), args.covariance or "jackknife")
    except InvalidInput as exc:  # the table's own problems (a line, a missing rating, no normal case)
        raise InvalidInput(f"{args.mrmc}: {exc.message}") from None
    if args.json:
        return as_json(report.model_dump(mode="json"))
    return reports.as_text(report)
