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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from nora.core.errors import ServerFault
from nora.dicom.naming import is_uid

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


def link_inputs(files: list[Path], folder: Path, prefix: str = "") -> None:
    """Put ``files`` into ``folder`` without copying (hard link, else symlink), named ``<prefix>NNNNNN.dcm``."""
    folder.mkdir(parents=True, exist_ok=True)
    for k, src in enumerate(files):
        dest = folder / f"{prefix}{k:06d}.dcm"
        try:
            os.link(src, dest)
        except OSError:
            dest.symlink_to(src.resolve())


class Converter(Protocol):
    """What the importer needs of a converter: one series' folder of DICOM files into ``out``, or
    several series at once (:meth:`Dcm2niix.convert_many`)."""

    def convert(self, inputs: Path, out: Path, *, anonymise: bool = True) -> Conversion: ...

    def convert_many(
        self, series: dict[str, list[Path]], work: Path, *, anonymise: bool = True
    ) -> dict[str, Conversion]: ...


def batchable(series_uid: str) -> bool:
    """Whether a series can share a converter run: its UID is a well-formed one (it names the outputs)."""
    return is_uid(series_uid)


@dataclass(frozen=True)
class Dcm2niix:
    """The ``dcm2niix`` converter; its binary is found when the object is made (ConverterMissing if none)."""

    path: Path = field(default_factory=lambda: binary())

    def convert(self, inputs: Path, out: Path, *, anonymise: bool = True) -> Conversion:
        """Run dcm2niix on one series' folder; outputs land in ``out`` named ``out<suffix>``."""
        out.mkdir(parents=True, exist_ok=True)
        cmd = [str(self.path), "-z", "y", "-b", "y", "-ba", "y" if anonymise else "n", "-f", _BASE, "-o", str(out)]
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

    def convert_many(
        self, series: dict[str, list[Path]], work: Path, *, anonymise: bool = True
    ) -> dict[str, Conversion]:
        """Convert several series (Series Instance UID -> its files) with one dcm2niix run below ``work``.

        One process instead of one per series (a process start costs about as much as converting a small
        series). The outputs are named by series UID (``-f %j``), so each is mapped back to its series;
        the UIDs must be :func:`batchable`. A series the shared run gave no image, and every series of a
        run that failed, is converted again on its own (so a failure is reported in its own words).
        """
        if any(not batchable(uid) for uid in series):
            raise ValueError("convert_many needs well-formed series UIDs (see batchable)")
        inputs, out = work / "in", work / "out"
        for k, files in enumerate(series.values()):  # one folder: dcm2niix groups by series UID itself
            link_inputs(files, inputs, prefix=f"{k:04d}_")
        out.mkdir(parents=True, exist_ok=True)
        cmd = [str(self.path), "-z", "y", "-b", "y", "-ba", "y" if anonymise else "n", "-f", "%j", "-o", str(out)]
        cmd += ["-w", "1", "-l", "o", "-d", "0", str(inputs)]
        try:
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, errors="replace")
            failed = result.returncode != 0
        except subprocess.TimeoutExpired:
            failed = True
        found: dict[str, list[Output]] = {uid: [] for uid in series}
        if not failed:
            for path in out.iterdir():
                uid = _owner(path.name, series)
                if path.is_file() and uid is not None:
                    found[uid].append(Output(path, path.name[len(uid) :]))
        conversions: dict[str, Conversion] = {}
        for k, (uid, outputs) in enumerate(found.items()):
            if any(o.suffix.endswith((".nii.gz", ".nii")) for o in outputs):
                conversions[uid] = Conversion(sorted(outputs, key=lambda o: o.suffix), result.stdout, 0)
            else:  # on its own: its own outputs, or its own reason for having none
                alone = work / f"single-{k:04d}"
                link_inputs(series[uid], alone / "in")
                conversions[uid] = self.convert(alone / "in", alone / "out", anonymise=anonymise)
        return conversions


def _owner(name: str, series: dict[str, list[Path]]) -> str | None:
    """The series UID an output file name begins with (the longest, as one UID may begin another)."""
    owners = [uid for uid in series if name.startswith(uid) and name[len(uid) : len(uid) + 1] in (".", "_")]
    return max(owners, key=len, default=None)


def convert_folder(inputs: Path, out: Path, *, anonymise: bool = True) -> Conversion:
    """Run dcm2niix on one series' folder; outputs land in ``out`` named ``out<suffix>``."""
    return Dcm2niix().convert(inputs, out, anonymise=anonymise)
