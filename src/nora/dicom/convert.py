"""DICOM series to gzipped NIfTI plus a JSON sidecar with the ``dcm2niix`` binary of the PyPI package.

Each series is converted on its own (the instances are linked into a private folder), so every output
belongs to exactly one series. dcm2niix's suffixes are kept: ``_e2`` (echoes), ``_ph`` (phase),
``_Eq_1`` (a gap-corrected, equidistant version of a series with uneven slice spacing), ``_ROI1``
(localiser planes), ``_i00001`` (a series split by varying slices), ``.bval``/``.bvec`` (diffusion).
"""

from __future__ import annotations

import logging
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from nora.core.errors import ServerFault

log = logging.getLogger(__name__)

_BASE = "out"
TIMEOUT_S = 3600


class ConverterMissing(ServerFault):
    """The dcm2niix binary is not installed."""


@dataclass(frozen=True)
class Output:
    """One file written by the converter; ``suffix`` is what follows the base name (``_e2.nii.gz``)."""

    path: Path
    suffix: str

    @property
    def stem_suffix(self) -> str:
        """The suffix without the extension (``_e2``), so the NIfTI and its sidecar pair up."""
        for ext in (".nii.gz", ".nii", ".json", ".bval", ".bvec"):
            if self.suffix.endswith(ext):
                return self.suffix[: -len(ext)]
        return self.suffix


@dataclass(frozen=True)
class Conversion:
    outputs: list[Output]
    log: str
    returncode: int

    @property
    def volumes(self) -> list[Output]:
        return [o for o in self.outputs if o.suffix.endswith((".nii.gz", ".nii"))]

    def reason(self) -> str:
        """The converter's own words about a failure (its error and warning lines)."""
        lines = [ln.strip() for ln in self.log.splitlines() if ln.strip().lower().startswith(("error", "warning"))]
        return "; ".join(lines[-3:]) or f"dcm2niix wrote no image (exit status {self.returncode})"


def binary() -> Path:
    """The dcm2niix executable shipped by the ``dcm2niix`` package."""
    try:
        import dcm2niix
    except ImportError as exc:
        raise ConverterMissing("the 'dcm2niix' Python package is not installed (pip install dcm2niix)") from exc
    path = Path(dcm2niix.bin_path)
    if not path.is_file():
        raise ConverterMissing(f"dcm2niix binary not found at {path}")
    return path


def version() -> str:
    result = subprocess.run([str(binary()), "-v"], capture_output=True, text=True, timeout=60)
    return next((ln.strip() for ln in result.stdout.splitlines() if ln.strip().startswith("v")), "unknown")


def link_inputs(files: list[Path], folder: Path) -> None:
    """Put ``files`` into ``folder`` without copying (hard link, else symlink)."""
    folder.mkdir(parents=True, exist_ok=True)
    for k, src in enumerate(files):
        dest = folder / f"{k:06d}.dcm"
        try:
            os.link(src, dest)
        except OSError:
            dest.symlink_to(src.resolve())


def convert_folder(inputs: Path, out: Path, *, anonymise: bool = True) -> Conversion:
    """Run dcm2niix on one series' folder; outputs land in ``out`` named ``out<suffix>``."""
    out.mkdir(parents=True, exist_ok=True)
    cmd = [str(binary()), "-z", "y", "-b", "y", "-ba", "y" if anonymise else "n", "-f", _BASE, "-o", str(out)]
    cmd += ["-w", "1", "-l", "o", str(inputs)]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, errors="replace")
    except subprocess.TimeoutExpired:
        return Conversion([], f"Error: dcm2niix took longer than {TIMEOUT_S} s", -1)
    outputs = sorted(
        (Output(p, p.name[len(_BASE) :]) for p in out.iterdir() if p.is_file() and p.name.startswith(_BASE)),
        key=lambda o: o.suffix,
    )
    return Conversion(outputs, result.stdout + result.stderr, result.returncode)
