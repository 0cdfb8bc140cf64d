"""The networks: one small 3D U-Net per level of the patch tree, and the patchwork that chains them.

Level 0 sees the image channels; every finer level sees the image channels and its parent's output
(probabilities) cropped to its patch. Each level outputs one logit per label (labels may overlap, so a
sigmoid each). At 8 features and 32^3 patches a level has about 20k parameters.
"""

from __future__ import annotations

import torch
from torch import nn

from nora.segmentation.patchwork import tree


def _block(cin: int, cout: int) -> nn.Sequential:
    # no per-patch normalisation (instance/group norm): it removes a patch's intensity level, which is what
    # tells a patch inside white matter from one inside grey matter (measured: fit Dice 0.41/0.61 with
    # instance norm against 0.94/0.93 without, same data and iterations)
    return nn.Sequential(nn.Conv3d(cin, cout, 3, padding=1), nn.LeakyReLU(0.1, inplace=True))


class UNet3d(nn.Module):
    """Two resolution steps (so a patch must be a multiple of 4 voxels)."""

    def __init__(self, cin: int, cout: int, features: int) -> None:
        super().__init__()
        f = features
        self.down0 = nn.Sequential(_block(cin, f), _block(f, f))
        self.down1 = nn.Sequential(_block(f, 2 * f), _block(2 * f, 2 * f))
        self.bottom = nn.Sequential(_block(2 * f, 2 * f))
        self.up1 = nn.Sequential(_block(4 * f, f))
        self.up0 = nn.Sequential(_block(2 * f, f))
        self.out = nn.Conv3d(f, cout, 1)
        self.pool = nn.MaxPool3d(2)
        self.upsample = nn.Upsample(scale_factor=2, mode="trilinear", align_corners=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.down0(x)
        b = self.down1(self.pool(a))
        c = self.bottom(self.pool(b))
        b = self.up1(torch.cat([b, self.upsample(c)], dim=1))
        a = self.up0(torch.cat([a, self.upsample(b)], dim=1))
        out: torch.Tensor = self.out(a)
        return out


class Patchwork(nn.Module):
    """``depth`` level networks; :meth:`forward` runs a batch of trees and returns every level's logits."""

    def __init__(self, channels: int, labels: int, depth: int, features: int) -> None:
        super().__init__()
        self.channels, self.labels = channels, labels
        self.levels = nn.ModuleList(UNet3d(channels + (labels if k else 0), labels, features) for k in range(depth))

    def forward(self, image: torch.Tensor, trees: tree.Trees, patch: int, zooms: torch.Tensor) -> list[torch.Tensor]:
        """Logits ``(n, L, P, P, P)`` of each level for the trees in ``image`` ``(C, X, Y, Z)``."""
        outs: list[torch.Tensor] = []
        for k, net in enumerate(self.levels):
            x = tree.sample(image, trees, k, patch, zooms)
            if k:
                x = torch.cat([x, torch.sigmoid(tree.crop_parent(outs[-1], trees, k, zooms))], dim=1)
            outs.append(net(x))
        return outs


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
