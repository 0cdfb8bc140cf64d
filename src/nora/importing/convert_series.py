"""Turning one series into staged files: converted NIfTI + sidecar, kept originals, or kept objects.

Everything is written below a staging folder of the job; nothing here touches the archive or the
database. :func:`stage_series` returns the staged files with the names they will get relative to the
series' base path, so the caller can pick a free base path and place them all at once, and the facts
their ``files`` rows need (format, header, size, hash), worked out here because staging runs in several
threads at once while placement runs in one transaction.

Originals are copied, except from a source folder that is the import's own (an unpacked upload, a DICOM
node's spool): those are hard-linked (no bytes copied; a copy where the link is refused, e.g. across
filesystems). A user's own files are never linked, so the archive never shares an inode with them.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nora.dicom import classify, convert
from nora.dicom.deid import Pseudonymiser, deidentify_file, deidentify_sidecar
from nora.dicom.naming import uid_name
from nora.dicom.scan import Instance, Series
from nora.importing.placement import FileFacts, describe, describe_dicom

log = logging.getLogger(__name__)


@dataclass
class Staged:
    """A series ready to be placed: ``files`` maps a suffix (``.nii.gz``, ``_e2.json``) to a staged file."""

    kind: str  # "image" | "object" | "failed"
    name: str
    files: dict[str, Path] = field(default_factory=dict)
    facts: dict[str, FileFacts] = field(default_factory=dict)  # suffix -> what its files row records
    notes: list[str] = field(default_factory=list)
    reason: str = ""
    object_kind: str = ""


def _sorted(instances: list[Instance]) -> list[Instance]:
    return sorted(instances, key=lambda i: (i.instance_number or 0, i.sop_uid))


def link_or_copy(src: Path, dest: Path) -> bool:
    """Hard-link ``src`` as ``dest``, or copy it where a link is refused; True when it was linked.

    Only for sources that are the import's own: a link shares the file with the source folder.
    """
    try:
        os.link(src, dest)
        return True
    except OSError:  # another filesystem (EXDEV), too many links, a filesystem without hard links
        shutil.copyfile(src, dest)
        return False


def _keep(inst: Instance, target: Path, pseudonym: Pseudonymiser | None, link: bool) -> None:
    """Write the original of ``inst`` to ``target``: de-identified, linked (our own source) or copied."""
    if pseudonym is not None:
        deidentify_file(inst.path, target, pseudonym)
    elif link:
        link_or_copy(inst.path, target)
    else:
        shutil.copyfile(inst.path, target)


def _copy_originals(
    instances: list[Instance], dest: Path, pseudonym: Pseudonymiser | None, link: bool
) -> dict[str, Path]:
    """Originals under ``<suffix>`` = ``_dicom/<SOP UID>.dcm``; de-identified when a pseudonym is given."""
    dest.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    for inst in instances:
        # a hostile UID (``../x``) must not name a path outside the folder; a pseudonymised file is named by
        # its new UID (the original one would identify it)
        name = uid_name(pseudonym.uid(inst.sop_uid) if pseudonym is not None else inst.sop_uid)
        target = dest / f"{name}.dcm"
        _keep(inst, target, pseudonym, link)
        files[f"_dicom/{name}.dcm"] = target
    return files


def _stage_object(
    series: Series, new: list[Instance], work: Path, kind: str, pseudonym: Pseudonymiser | None, link: bool
) -> Staged:
    staged = Staged("object", series.description, object_kind=kind)
    folder = work  # the series' own staging folder (few folders: removing each costs a discard)
    folder.mkdir(parents=True, exist_ok=True)
    for k, inst in enumerate(_sorted(new), 1):
        suffix = ".dcm" if len(new) == 1 else f"_{k:03d}.dcm"
        target = folder / f"obj{suffix}"
        _keep(inst, target, pseudonym, link)
        staged.files[suffix] = target
    return _with_facts(staged, series.first, pseudonym)


def _rewrite_sidecar(path: Path, extra: dict[str, Any], anonymised: bool, pseudonym: Pseudonymiser | None) -> None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = {}
    if anonymised:
        data = deidentify_sidecar(data, pseudonym)
    data["NoraImport"] = extra
    path.write_text(json.dumps(data, indent=2))


def _pick_outputs(conv: convert.Conversion, geometry: classify.Geometry | None, notes: list[str]) -> dict[str, Path]:
    """Suffix → file; a gap-corrected ``_Eq_`` volume replaces the uncorrected one under the plain name."""
    by_suffix = {o.suffix: o.path for o in conv.outputs}
    eq = sorted(s for s in by_suffix if s.startswith("_Eq_") and s.endswith((".nii.gz", ".nii")))
    if eq:
        corrected = eq[0]
        ext = ".nii.gz" if corrected.endswith(".nii.gz") else ".nii"
        by_suffix = {s: p for s, p in by_suffix.items() if not s.startswith("_Eq_") or s == corrected}
        by_suffix[ext] = by_suffix.pop(corrected)
        notes.append(
            "uneven slice spacing"
            + (
                f" (missing slice after position {', '.join(str(g + 1) for g in geometry.gaps)})"
                if geometry and geometry.gaps
                else ""
            )
            + ": the gap-corrected (equidistant, interpolated) volume from dcm2niix is stored"
        )
    elif geometry is not None and geometry.uneven:
        notes.append("uneven slice spacing: dcm2niix wrote no equidistant version; check the volume")
    return by_suffix


def stage_series(
    series: Series,
    new: list[Instance],
    work: Path,
    *,
    converter: convert.Converter,
    anonymised: bool,
    pseudonym: Pseudonymiser | None,
    keep_originals: bool,
    link_originals: bool = False,
) -> Staged:
    """Convert (or keep) the ``new`` instances of ``series`` into ``work``.

    ``link_originals``: the instances' files are the import's own (see the module's docstring). The
    staged files are not fsynced here: placement makes a study's files durable at once before renaming
    them into the archive (:func:`nora.core.fsync.fsync_files`).
    """
    kind = classify.non_image_kind(series)
    if kind is not None:
        return _stage_object(series, new, work, kind, pseudonym if anonymised else None, link_originals)
    inputs, out = work / "in", work / "out"
    convert.link_inputs(converter_inputs(new), inputs)
    conv = converter.convert(inputs, out, anonymise=True)
    return stage_converted(
        series,
        new,
        work,
        conv,
        anonymised=anonymised,
        pseudonym=pseudonym,
        keep_originals=keep_originals,
        link_originals=link_originals,
    )


def converter_inputs(new: list[Instance]) -> list[Path]:
    """The files of ``new`` in the order the converter gets them."""
    return [i.path for i in _sorted(new)]


def stage_converted(
    series: Series,
    new: list[Instance],
    work: Path,
    conv: convert.Conversion,
    *,
    anonymised: bool,
    pseudonym: Pseudonymiser | None,
    keep_originals: bool,
    link_originals: bool = False,
) -> Staged:
    """The staged files of an image series the converter has converted (``conv``); see :func:`stage_series`."""
    if not conv.volumes:
        return Staged("failed", series.description, reason=conv.reason())
    notes: list[str] = []
    if classify.is_localiser(series):
        notes.append("localiser")
    geometry = classify.geometry(Series(series.uid, new))
    files = _pick_outputs(conv, geometry, notes)
    echoes = sorted({i.echo_number for i in new if i.echo_number})
    if len(echoes) > 1:
        notes.append(f"multi-echo: echoes {', '.join(map(str, echoes))} in files _e<n>")
    extra = {
        # a pseudonymised series is named by its new UID (UIDs often embed dates and device serials)
        "SeriesInstanceUID": pseudonym.uid(series.uid) if anonymised and pseudonym is not None else series.uid,
        "Instances": len(new),
        "Notes": notes,
        "Converter": "dcm2niix",
    }
    for suffix, path in files.items():
        if suffix.endswith(".json"):
            _rewrite_sidecar(path, extra, anonymised, pseudonym if anonymised else None)
    if keep_originals:
        files.update(_copy_originals(new, work, pseudonym if anonymised else None, link_originals))
    staged = Staged("image", series.description, files=files, notes=notes)
    return _with_facts(staged, series.first, pseudonym if anonymised else None)


def _with_facts(staged: Staged, first: Instance, pseudonym: Pseudonymiser | None = None) -> Staged:
    """``staged`` with the facts of each of its (final) files: kept DICOM from the scan, the rest read.

    A de-identified original's header names its replaced UIDs, not the scan's originals.
    """
    header = original_header(first)
    if pseudonym is not None:
        for key in ("study_instance_uid", "series_instance_uid"):
            header[key] = pseudonym.uid(str(header[key]))
    for suffix, path in staged.files.items():
        if suffix.endswith(".dcm"):
            staged.facts[suffix] = describe_dicom(path, header)
        else:  # the converter's own output (or a sidecar we rewrote)
            staged.facts[suffix] = describe(path, path.name, verify_length=False)
    return staged


def original_header(inst: Instance) -> dict[str, Any]:
    """The ``files`` header of a kept DICOM file of the series whose first instance is ``inst``."""
    return {
        "modality": inst.modality or None,
        "sop_class_uid": inst.sop_class or None,
        "study_instance_uid": inst.study_uid,
        "series_instance_uid": inst.series_uid,
        "rows": inst.rows,
        "n_frames": inst.frames,
        "series_description": inst.series_description or None,
    }
