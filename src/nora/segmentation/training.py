"""The Patchwork 3D training job: load every study's contrasts and labels, hold out a fraction, train.

Runs in the job's process (torch imported here); writes only into the model folder, after every epoch.
"""

from __future__ import annotations

import contextlib
import random
from typing import Any

from nora.core.errors import InvalidInput, NoraError
from nora.core.progress import job_progress
from nora.processing.catalog import Values
from nora.segmentation.jobs import CONTRASTS, LABELS, given, model_folder, params_of, use_threads
from nora.segmentation.modelfile import model_json, read_model


def _say(text: str) -> None:
    print(f"[patchwork] {text}", flush=True)


def split(studies: list[str], fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Indices of the training and held-out studies (at least one of each when there are two or more)."""
    order = list(range(len(studies)))
    random.Random(seed).shuffle(order)
    held = 0 if len(studies) < 2 or fraction <= 0 else min(len(studies) - 1, max(1, round(fraction * len(studies))))
    return sorted(order[held:]), sorted(order[:held])


def _per_study(values: Values, names: list[str], count: int) -> list[list[str]]:
    columns = [values[n] for n in names]
    for name, column in zip(names, columns, strict=True):
        if not isinstance(column, list) or len(column) != count:
            raise InvalidInput(f"{name}: a cohort job needs one file per study (launch the batch at the cohort level)")
    return [[str(column[i]) for column in columns] for i in range(count)]


def run(values: Values) -> None:
    """Train; the job monitor shows the iteration, loss and last validation Dice (``progress.json``)."""
    use_threads(values)

    from nora.segmentation.patchwork import data, train

    params = params_of(values)
    folder = model_folder(values)
    studies = [str(s) for s in values.get("_studies") or []]
    contrasts, labels = given(values, CONTRASTS), given(values, LABELS)
    inputs = _per_study(values, contrasts, len(studies))
    targets = _per_study(values, labels, len(studies))
    patterns: dict[str, Any] = values.get("_patterns") or {}
    subjects = []
    for i, name in enumerate(studies):
        subjects.append(data.load_subject(inputs[i], targets[i], name=name))
        _say(f"loaded {name}: matrix {list(subjects[-1].shape)}, {len(contrasts)} contrast(s), {len(labels)} label(s)")
    train_ix, val_ix = split(studies, params.validation, params.seed)
    doc = train.new_doc(
        folder.name,
        [str(patterns.get(n, n)) for n in contrasts],
        [str(patterns.get(n, n)) for n in labels],
        params,
        [subjects[i] for i in train_ix],
        [subjects[i] for i in val_ix],
        creator=str(values.get("_user") or ""),
    )
    if model_json(folder).is_file():  # retrained in place: versions go on counting
        with contextlib.suppress(NoraError):
            doc.version = read_model(folder).version
    progress = job_progress()
    progress(0.0, f"loaded {len(subjects)} studies: training", force=True)
    train.train(
        doc, [subjects[i] for i in train_ix], [subjects[i] for i in val_ix], folder, say=_say, progress=progress
    )
