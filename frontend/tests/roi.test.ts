import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { centreOfGravity, countInside, emptyRoi, type Grid, index, worldToVoxel, worldToVoxelNear } from "../src/annotation/grid";
import { ChangeRecorder, History } from "../src/annotation/history";
import { decodeRoi, encodeRoi } from "../src/annotation/nifti";
import { grownRegion, magicPen, paint, regionGrow, stampVoxels, thresholdPen } from "../src/annotation/pens";
import { percentile, roiStats, statsCsv } from "../src/annotation/stats";

const GRID: Grid = { dims: [20, 24, 16], affine: [2, 0, 0, -20, 0, 2, 0, -24, 0, 0, 3, -10, 0, 0, 0, 1] };

function image(grid: Grid, f: (i: number, j: number, k: number) => number): Float32Array {
  const [nx, ny, nz] = grid.dims;
  const out = new Float32Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) out[index(grid, i, j, k)] = f(i, j, k);
  return out;
}

describe("pens", () => {
  it("paint a disc in one slice, a sphere in 3D, and erase", () => {
    const roi = emptyRoi(GRID);
    const rec = new ChangeRecorder(roi);
    paint(roi, rec, { centre: [10, 10, 8], radius: 2, fixed: 2 }, 1);
    expect(countInside(roi)).toBe(13); // radius 2 disc: 13 voxels
    paint(roi, rec, { centre: [10, 10, 8], radius: 1, fixed: null }, 1);
    expect(countInside(roi)).toBe(13 + 2); // the sphere adds the voxels above and below
    paint(roi, rec, { centre: [10, 10, 8], radius: 0, fixed: 2 }, 0);
    expect(countInside(roi)).toBe(14);
    expect(stampVoxels(GRID, { centre: [0, 0, 0], radius: 3, fixed: 2 }).length).toBeLessThan(29); // clipped at the border
  });

  it("threshold pens take voxels above or below, connected ones only for RGrow", () => {
    const img = image(GRID, (i) => (i === 10 ? 0 : 100)); // a dark line splits the disc
    const roi = emptyRoi(GRID);
    thresholdPen(roi, new ChangeRecorder(roi), img, { centre: [8, 10, 8], radius: 4, fixed: 2 }, { mode: "higher", threshold: 50, connected: false }, 1);
    const all = countInside(roi);
    const roi2 = emptyRoi(GRID);
    thresholdPen(roi2, new ChangeRecorder(roi2), img, { centre: [8, 10, 8], radius: 4, fixed: 2 }, { mode: "higher", threshold: 50, connected: true }, 1);
    expect(countInside(roi2)).toBeLessThan(all);
    expect(roi2.data[index(GRID, 11, 10, 8)]).toBe(0);
    const roi3 = emptyRoi(GRID);
    thresholdPen(roi3, new ChangeRecorder(roi3), img, { centre: [8, 10, 8], radius: 4, fixed: 2 }, { mode: "lower", threshold: 50, connected: false }, 1);
    expect(countInside(roi3)).toBe(7); // the line's voxels in the disc: i = 10, |j - 10| <= 3
  });

  it("the magic pen takes voxels similar to the centre", () => {
    const img = image(GRID, (i) => i * 10);
    const roi = emptyRoi(GRID);
    magicPen(roi, new ChangeRecorder(roi), img, { centre: [10, 10, 8], radius: 5, fixed: 2 }, { similarity: 0.05, window: [0, 200], connected: true }, 1);
    const xs = new Set<number>();
    roi.data.forEach((v, n) => v && xs.add(n % 20));
    expect([...xs].sort((a, b) => a - b)).toEqual([9, 10, 11]); // |10 i - 100| <= 10
  });

  it("region growing is face-connected, in 3D or in a slice", () => {
    const img = image(GRID, (i, j, k) => (i >= 5 && i < 15 && j >= 5 && j < 15 && k >= 4 && k < 12 ? 100 : i < 2 && j < 2 ? 100 : 0));
    const roi = emptyRoi(GRID);
    const rec = new ChangeRecorder(roi);
    expect(regionGrow(roi, rec, img, [8, 8, 8], 50, 150, null)).toBe(800);
    expect(roi.data[index(GRID, 0, 0, 0)]).toBe(0);
    const flat = emptyRoi(GRID);
    expect(regionGrow(flat, new ChangeRecorder(flat), img, [8, 8, 8], 50, 150, 2)).toBe(100);
    // the other slice orientations (their own slice-sized queues): 10 x 8 voxels each
    expect(grownRegion(GRID, img, [8, 8, 8], 50, 150, 0).count).toBe(80);
    expect(grownRegion(GRID, img, [8, 8, 8], 50, 150, 1).count).toBe(80);
    expect(regionGrow(flat, new ChangeRecorder(flat), img, [0, 10, 0], 50, 150, null)).toBe(0);
  });
});

describe("undo and redo", () => {
  it("have no fixed depth and undo exactly what a stroke changed", () => {
    const roi = emptyRoi(GRID);
    const history = new History();
    for (let n = 0; n < 50; n++) {
      const rec = new ChangeRecorder(roi);
      paint(roi, rec, { centre: [n % 20, 2 + 5 * Math.floor(n / 20), 8], radius: 1, fixed: 2 }, 1);
      history.push(rec.finish());
    }
    const full = countInside(roi);
    expect(history.depth).toBe(50);
    let undone = 0;
    while (history.undo(roi)) undone++;
    expect(undone).toBe(50);
    expect(countInside(roi)).toBe(0);
    for (let n = 0; n < 50; n++) history.redo(roi);
    expect(countInside(roi)).toBe(full);
    history.undo(roi);
    const rec = new ChangeRecorder(roi);
    paint(roi, rec, { centre: [1, 1, 1], radius: 0, fixed: 2 }, 1);
    history.push(rec.finish());
    expect(history.canRedo).toBe(false);
  });
});

describe("NIfTI and geometry", () => {
  it("an ROI survives encode and decode, affine included", async () => {
    const roi = emptyRoi(GRID);
    paint(roi, new ChangeRecorder(roi), { centre: [3, 4, 5], radius: 2, fixed: null }, 1);
    const back = await decodeRoi(await encodeRoi(roi));
    expect(back.grid.dims).toEqual(GRID.dims);
    expect(back.grid.affine).toEqual(GRID.affine);
    expect(Array.from(back.data)).toEqual(Array.from(roi.data));
  });

  it("world positions map to the nearest voxel and back", () => {
    expect(worldToVoxel(GRID, [-20 + 2 * 3, -24 + 2 * 4, -10 + 3 * 5])).toEqual([3, 4, 5]);
    expect(worldToVoxel(GRID, [1000, 0, 0])).toBeNull();
    // a 3D view's depth pick on the volume's outer face: half a voxel outside, clamped onto the border
    expect(worldToVoxel(GRID, [-20 - 1.1, -24, -10])).toBeNull();
    expect(worldToVoxelNear(GRID, [-20 - 1.1, -24 + 2 * 4, -10 + 3 * 5])).toEqual([0, 4, 5]);
    expect(worldToVoxelNear(GRID, [-20 + 2 * 20, -24, -10])).toEqual([19, 0, 0]);
    expect(worldToVoxelNear(GRID, [-20 - 2 * 3, -24, -10])).toBeNull(); // three voxels out: not near
    const roi = emptyRoi(GRID);
    roi.data[index(GRID, 1, 2, 3)] = 1;
    expect(centreOfGravity(roi)).toEqual([-18, -20, -1]);
  });
});

describe("ROIstats agree with the server's numbers", () => {
  it("percentiles are numpy's linear ones", () => {
    const s = Float64Array.from([1, 2, 3, 4, 10]);
    expect(percentile(s, 25)).toBe(2);
    expect(percentile(s, 50)).toBe(3);
    expect(percentile(s, 90)).toBeCloseTo(7.6, 12);
  });

  it("on the same grid and resampled, with nora.imaging.roi computing the same arrays", async () => {
    const img = image(GRID, (i, j, k) => Math.sin(i * 0.7) * 100 + j * 3.3 + k * k * 0.25);
    const roi = emptyRoi(GRID);
    paint(roi, new ChangeRecorder(roi), { centre: [9, 11, 7], radius: 4.5, fixed: null }, 1);
    const coarse: Grid = { dims: [10, 12, 8], affine: [4, 0, 0, -19, 0, 4, 0, -23, 0, 0, 6, -8.5, 0, 0, 0, 1] };
    const roi2 = emptyRoi(coarse);
    paint(roi2, new ChangeRecorder(roi2), { centre: [5, 5, 4], radius: 3, fixed: null }, 1);
    const flat: Grid = { dims: [20, 24, 1], affine: [2, 0, 0, -20, 0, 2, 0, -24, 0, 0, 3, -10 + 3 * 6, 0, 0, 0, 1] };
    const roi3 = emptyRoi(flat);
    paint(roi3, new ChangeRecorder(roi3), { centre: [8, 8, 0], radius: 5, fixed: 2 }, 1);
    const ours = [roi, roi2, roi3].map((r) => roiStats({ grid: GRID, data: img }, r));
    const dir = mkdtempSync(join(tmpdir(), "roistats-"));
    writeFileSync(join(dir, "in.json"), JSON.stringify({
      image: Array.from(img), dims: GRID.dims, affine: GRID.affine,
      rois: [roi, roi2, roi3].map((r) => ({ data: Array.from(r.data), dims: r.grid.dims, affine: r.grid.affine })),
    }));
    const python = resolve(__dirname, "../../.venv/bin/python");
    const script = `
import json, sys, numpy as np
from nora.imaging.roi import roi_stats
d = json.load(open(sys.argv[1]))
def vol(data, dims): return np.asarray(data, dtype=np.float32 if len(data) == len(d["image"]) and data is d["image"] else np.uint8).reshape(dims[::-1]).transpose(2, 1, 0)
img = np.asarray(d["image"], dtype=np.float32).reshape(d["dims"][::-1]).transpose(2, 1, 0)
aff = np.asarray(d["affine"], dtype=float).reshape(4, 4)
rows = []
for r in d["rois"]:
    m = np.asarray(r["data"], dtype=np.uint8).reshape(r["dims"][::-1]).transpose(2, 1, 0) > 0
    rows.append(roi_stats(img, aff, m, np.asarray(r["affine"], dtype=float).reshape(4, 4)).row())
json.dump(rows, open(sys.argv[2], "w"))
`;
    execFileSync(python, ["-c", script, join(dir, "in.json"), join(dir, "out.json")]);
    const server = JSON.parse(readFileSync(join(dir, "out.json"), "utf8")) as Record<string, number | null>[];
    ours.forEach((s, n) => {
      const theirs = server[n]!;
      expect(s.voxels).toBe(theirs["voxels"]);
      for (const key of ["volume_ml", "area_cm2", "mean", "std", "median", "p25", "p75", "min", "max"] as const) {
        const a = s[key], b = theirs[key] ?? null;
        if (a === null || b === null) expect(a).toBe(b);
        else expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b)));
      }
    });
    expect(ours[2]!.area_cm2).toBeCloseTo((countInside(roi3) * 4) / 100, 12);
    expect(statsCsv([{ roi: "a,b", image: "t1", stats: ours[0]! }]).split("\n")[1]!.startsWith('"a,b",t1,')).toBe(true);
  });
});
