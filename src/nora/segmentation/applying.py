"""The Apply Patchwork job: load the model, check the study's inputs against it, predict, write the output.

A mask is written as an ROI file (NIfTI uint8 on the first contrast's grid); the engine then registers it
as an ROI of the study (:mod:`nora.segmentation.roioutput`). A probability map is float32 NIfTI.
"""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import numpy as np

from nora.core.atomic import atomic_write
from nora.core.progress import job_progress
from nora.processing.catalog import Values
from nora.segmentation.jobs import CONTRASTS, check_inputs, given, model_folder, use_threads


def _say(text: str) -> None:
    print(f"[patchwork] {text}", flush=True)


def write_output(prob: np.ndarray, affine: np.ndarray, path: str, output_type: str, threshold: float) -> None:
    import nibabel as nib

    if output_type == "mask":
        from nora.annotation.rois import Roi, encode

        atomic_write(Path(path), encode(Roi(prob >= threshold, np.asarray(affine, dtype=np.float64))))
        return
    img = nib.Nifti1Image(prob.astype(np.float32), affine)  # type: ignore[no-untyped-call]
    img.header["descrip"] = b"nora patchwork probability"
    raw = img.to_bytes()
    atomic_write(Path(path), gzip.compress(raw, compresslevel=6, mtime=0) if path.endswith(".gz") else raw)


def run(values: Values) -> None:
    use_threads(values)
    from nora.segmentation.patchwork import data, infer

    started = time.monotonic()
    doc, net = infer.load(model_folder(values))
    names = given(values, CONTRASTS)
    check_inputs(doc, names, "this job")
    subject = data.load_subject([str(values[n]) for n in names], name=str(values.get("_psid") or ""))
    label = int(float(values.get("label") or 1))
    _say(f"model {doc.name} version {doc.version} on {infer.device()}: matrix {list(subject.shape)}")
    prob = infer.predict(
        net,
        doc,
        subject,
        overlap=float(values.get("overlap") or 0.0),
        random_trees=int(float(values.get("trees") or 0)),
        progress=job_progress(),
    )[label - 1]
    output_type = str(values.get("output_type") or "mask")
    write_output(prob, subject.affine, str(values["output"]), output_type, float(values.get("threshold") or 0.5))
    _say(f"{output_type} of label {doc.labels[label - 1]} written in {time.monotonic() - started:.1f} s")
