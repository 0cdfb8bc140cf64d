"""Pixels of a Playwright screenshot as a numpy array, decoded by the browser itself.

The test environment has no imaging library for PNG; the page decodes the screenshot (createImageBitmap
on a 2D canvas, independent of niivue's WebGL canvas) and hands back its RGB bytes.
"""

from __future__ import annotations

import base64

import numpy as np
from playwright.sync_api import Locator, Page

_DECODE = """async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext("2d");
    ctx.drawImage(bitmap, 0, 0);
    const rgba = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    let text = "";
    for (let i = 0; i < rgba.length; i += 4) text += String.fromCharCode(rgba[i], rgba[i + 1], rgba[i + 2]);
    return [bitmap.width, bitmap.height, btoa(text)];
}"""


def screenshot_rgb(page: Page, target: Locator) -> np.ndarray:
    """What `target` shows on the screen now, as an (height, width, 3) uint8 array."""
    png = target.screenshot()
    width, height, b64 = page.evaluate(_DECODE, base64.b64encode(png).decode())
    return np.frombuffer(base64.b64decode(b64), dtype=np.uint8).reshape(int(height), int(width), 3)


def line_widths(coverage: np.ndarray, floor: float = 0.1) -> list[float]:
    """Widths of a line crossing the rows of `coverage` (0..1 per pixel): the summed coverage of the one
    run above `floor` in each row that has exactly one (anti-aliased edges count by their share)."""
    widths = []
    for row in coverage:
        edges = np.flatnonzero(np.diff(np.concatenate(([0], (row > floor).astype(np.int8), [0]))))
        if len(edges) == 2:
            widths.append(float(row[edges[0] : edges[1]].sum()))
    return widths
