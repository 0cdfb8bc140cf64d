"""The patchwork backend: a project's trained patchwork model proposes the initial mask, the interactions
refine it with the built-in method.

The model runs once, when the session opens, through the Apply Patchwork job's own code
(:func:`nora.segmentation.applying.run`) in a child process (``python -m
nora.segmentation.assistant.patchwork``), so PyTorch is imported there and never in the server process.
Its output mask is the session's *prior*: a mask interaction before every other, which Reset keeps
(Reset forgets the user's interactions, not the model's proposal) and undo never takes away.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nora.core.errors import InvalidInput, Unavailable
from nora.imaging.roi import Affine, Mask
from nora.segmentation.assistant.builtin import BuiltinSession
from nora.segmentation.assistant.interactions import VoxelInteraction, mask_interaction

#: the most characters of the child's error output a message quotes
TAIL = 600


def model_prior(
    analysis: Path, folder: str, image: Path, shape: tuple[int, int, int], affine: Affine, timeout_s: float
) -> Mask:
    """The model ``folder`` (relative to the project's analysis folder) applied to ``image``: its mask on
    the image grid. A model that fails (wrong inputs, broken weights) is :class:`InvalidInput` with the
    job's message; one that runs past ``timeout_s`` is :class:`Unavailable`."""
    from nora.segmentation.assistant.backends import model_output

    with tempfile.TemporaryDirectory(prefix="nora-assistant-") as tmp:
        out = Path(tmp) / "prior.nii.gz"
        command = [
            sys.executable,
            "-m",
            "nora.segmentation.assistant.patchwork",
            str(analysis),
            folder,
            str(image),
            str(out),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise Unavailable(
                f"the model {folder} took longer than {timeout_s:.0f} s on this image ([assistant] prior_timeout_s)"
            ) from None
        if done.returncode != 0 or not out.is_file():
            said = (done.stderr or done.stdout).strip().splitlines()
            reason = said[-1] if said else f"exit status {done.returncode}"
            raise InvalidInput(f"the model {folder} could not segment this image: {reason[-TAIL:]}")
        return model_output(out, shape, affine)


class PatchworkSession:
    """The built-in refinement with the model's output as a standing first step."""

    def __init__(self, image: np.ndarray, prior: Mask) -> None:
        self.inner = BuiltinSession(image)
        self.prior: list[VoxelInteraction] = [mask_interaction(prior, True)]
        self.result = self.inner.add(self.prior)

    @property
    def nbytes(self) -> int:
        return self.inner.nbytes

    def add(self, step: Sequence[VoxelInteraction]) -> Mask:
        return self.inner.add(step)

    def undo(self) -> Mask:
        if len(self.inner.steps) > 1:
            return self.inner.undo()
        return self.inner.result

    def reset(self) -> Mask:
        self.inner.reset()
        return self.inner.add(self.prior)

    def close(self) -> None:
        self.inner.close()


def main(argv: Sequence[str]) -> int:
    """``ANALYSIS FOLDER IMAGE OUT``: the Apply Patchwork job's run on one image, its mask written to OUT."""
    if len(argv) != 4:
        print("usage: python -m nora.segmentation.assistant.patchwork ANALYSIS MODEL IMAGE OUT", file=sys.stderr)
        return 2
    from nora.core.errors import NoraError
    from nora.segmentation import applying

    analysis, folder, image, out = argv
    values = {"_analysis_dir": analysis, "model": folder, "contrast1": image, "output": out, "output_type": "mask"}
    try:
        applying.run(values)
    except NoraError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
