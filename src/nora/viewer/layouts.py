"""The viewer's layouts and how many viewports each has (the frontend's ``viewer/model.ts`` mirrors it)."""

from __future__ import annotations

from typing import Literal

LayoutName = Literal["single", "1x2", "2x2", "1+3", "mpr", "mosaic"]

VIEWPORTS: dict[str, int] = {"single": 1, "1x2": 2, "2x2": 4, "1+3": 4, "mpr": 3, "mosaic": 2}
MAX_VIEWPORTS = max(VIEWPORTS.values())
SliceName = Literal["axial", "coronal", "sagittal", "render", "multiplanar", "mosaic"]
