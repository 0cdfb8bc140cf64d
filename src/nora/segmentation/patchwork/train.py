"""Training: fresh random patch trees every iteration (a ``foreground`` fraction of finest centres on a
label, a random frame per tree when augmenting), binary cross-entropy plus soft Dice at every level, Adam.

After every epoch (``params.epoch`` iterations, and at the end) the weights and ``model_patchwork.json``
are written atomically (weights first), with the epoch's mean loss and the Dice of the held-out subjects
(predicted exactly as the apply job predicts), so stopping the job leaves the last epoch's model.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from nora.core.atomic import atomic_write
from nora.segmentation.modelfile import WEIGHTS_FILE, ModelDoc, PatchworkParams, write_model
from nora.segmentation.patchwork import tree
from nora.segmentation.patchwork.data import Subject
from nora.segmentation.patchwork.infer import build, device, dice, predict
from nora.segmentation.patchwork.net import Patchwork

Say = Callable[[str], None]
#: (fraction done, what to show): :class:`nora.core.progress.Progress` in a job
Report = Callable[[float, str], None]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def new_doc(
    name: str,
    contrasts: Sequence[str],
    labels: Sequence[str],
    params: PatchworkParams,
    subjects: Sequence[Subject],
    validation: Sequence[Subject],
    creator: str = "",
) -> ModelDoc:
    extent = np.max(np.stack([s.extent_mm for s in subjects]), axis=0)
    widths = tree.level_widths(extent, params.depth, params.patch, params.voxel_mm)
    return ModelDoc(
        name=name,
        contrasts=list(contrasts),
        labels=list(labels),
        params=params,
        widths_mm=widths,
        training=[s.name for s in subjects],
        validation=[s.name for s in validation],
        creator=creator,
        created=_now(),
    )


def loss_of(outs: Sequence[torch.Tensor], targets: Sequence[torch.Tensor]) -> torch.Tensor:
    """BCE + (1 - soft Dice) summed over the levels."""
    total = torch.zeros((), device=outs[0].device)
    for logits, target in zip(outs, targets, strict=True):
        prob = torch.sigmoid(logits)
        inter = (prob * target).sum(dim=(2, 3, 4))
        soft = (2 * inter + 1) / (prob.sum(dim=(2, 3, 4)) + target.sum(dim=(2, 3, 4)) + 1)
        total = total + F.binary_cross_entropy_with_logits(logits, target) + (1 - soft.mean())
    return total


def _foreground(subjects: Sequence[Subject]) -> list[torch.Tensor | None]:
    found: list[torch.Tensor | None] = []
    for s in subjects:
        found.append(None if s.labels is None else torch.nonzero(s.labels.amax(dim=0) > 0))
    return found


def save(folder: Path, net: Patchwork, doc: ModelDoc) -> None:
    """Weights, then the JSON naming them (each atomically)."""
    buffer = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in net.state_dict().items()}, buffer)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / WEIGHTS_FILE, buffer.getvalue())
    doc.updated = _now()
    write_model(folder, doc)


def validation_dice(net: Patchwork, doc: ModelDoc, subjects: Sequence[Subject]) -> list[float]:
    """Mean Dice over the labels of each subject (probability >= 0.5), as apply predicts."""
    net.eval()
    scores = []
    for s in subjects:
        assert s.labels is not None
        prob = predict(net, doc, s)
        truth = s.labels.numpy() > 0.5
        scores.append(float(np.mean([dice(prob[i] >= 0.5, truth[i]) for i in range(len(doc.labels))])))
    net.train()
    return scores


def train(
    doc: ModelDoc,
    subjects: Sequence[Subject],
    validation: Sequence[Subject],
    folder: Path,
    *,
    say: Say = print,
    progress: Report | None = None,
    until: float | None = None,
) -> tuple[ModelDoc, Patchwork]:
    """Train ``doc``'s network on ``subjects``, saving into ``folder`` after every epoch; the final model.

    ``progress`` hears the fraction of the iterations done with the iteration, the running loss and the last
    validation Dice. ``until``: a ``time.monotonic()`` deadline (the benchmark's equal time budgets):
    training ends there."""
    p = doc.params
    torch.manual_seed(p.seed)
    gen = torch.Generator().manual_seed(p.seed)
    dev = device()
    net = build(doc).to(dev).train()
    opt = torch.optim.Adam(net.parameters(), lr=p.learning_rate)
    fg = _foreground(subjects)
    widths = tuple(doc.widths_mm)
    say(
        f"patchwork: {len(subjects)} training and {len(validation)} held-out studies, {p.depth} levels of "
        f"{p.patch}^3 voxels, widths {', '.join(f'{w:.0f}' for w in widths)} mm, on {dev}"
    )
    losses: list[float] = []
    started = time.monotonic()
    for it in range(1, p.iterations + 1):
        k = int(torch.randint(len(subjects), (1,), generator=gen))
        s = subjects[k]
        assert s.labels is not None
        finest = tree.random_finest(s.shape, p.batch, p.foreground, fg[k], gen)
        if p.augment:
            frames = tree.random_frames(p.batch, p.rotate_deg, p.scale, p.flip, gen)
        else:
            frames = torch.eye(3).expand(p.batch, 3, 3).clone()
        trees = tree.sample_trees(s.shape, s.zooms, widths, finest, frames, gen)
        image, labels = s.image.to(dev), s.labels.to(dev)
        outs = net(image, trees, p.patch, s.zooms)
        targets = [tree.sample(labels, trees, lv, p.patch, s.zooms) for lv in range(p.depth)]
        loss = loss_of(outs, targets)
        opt.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
        losses.append(float(loss.detach()))
        out_of_time = until is not None and time.monotonic() >= until
        if it % p.epoch == 0 or it == p.iterations or out_of_time:
            _end_epoch(doc, net, validation, folder, it, losses, started, say)
            losses = []
        if progress is not None:
            progress(it / p.iterations, _status(doc, it, losses))
        if out_of_time:
            break
    return doc, net


def _status(doc: ModelDoc, iteration: int, losses: list[float]) -> str:
    """The job monitor's line: iteration, the loss of the epoch so far (else the last epoch's), the last Dice."""
    last = doc.history[-1] if doc.history else {}
    loss = float(np.mean(losses)) if losses else last.get("loss")
    text = f"iteration {iteration} of {doc.params.iterations}"
    if loss is not None:
        text += f", loss {loss:.4f}"
    if last.get("dice") is not None:
        text += f", validation Dice {last['dice']:.3f} (epoch {last['epoch']})"
    return text


def _end_epoch(
    doc: ModelDoc,
    net: Patchwork,
    validation: Sequence[Subject],
    folder: Path,
    iteration: int,
    losses: list[float],
    started: float,
    say: Say,
) -> None:
    scores = validation_dice(net, doc, validation) if validation else []
    doc.version += 1
    figures = {
        "epoch": doc.version,
        "iteration": iteration,
        "loss": round(float(np.mean(losses)), 5),
        "dice": round(float(np.mean(scores)), 4) if scores else None,
        "seconds": round(time.monotonic() - started, 1),
    }
    doc.history.append(figures)
    save(folder, net, doc)
    shown = f", validation Dice {figures['dice']:.3f}" if scores else ""
    say(f"epoch {doc.version}: iteration {iteration}, loss {figures['loss']:.4f}{shown} (saved {folder.name})")
