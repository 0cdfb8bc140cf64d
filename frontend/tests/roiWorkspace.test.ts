import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { countInside, type Grid, index } from "../src/annotation/grid";
import { combine, fillHoles, morphology, removeSalt } from "../src/annotation/morphology";
import { paint } from "../src/annotation/pens";
import { fixedAxis, line } from "../src/annotation/roi/drawing";
import { type OpenRoi, type RoiView, RoiWorkspace } from "../src/annotation/roi/workspace";

const GRID: Grid = { dims: [12, 10, 8], affine: [2, 0, 0, -12, 0, 2, 0, -10, 0, 0, 3, -12, 0, 0, 0, 1] };
const REF = { fileId: 7, path: "t1/s001.nii" };
const CASE = { pid: "P1", sid: "S1" };

function recorder(): RoiView & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    added: (r: OpenRoi) => log.push(`added ${r.name}`),
    data: (r: OpenRoi) => log.push(`data ${r.name}`),
    look: (r: OpenRoi, shown: boolean) => log.push(`look ${r.name} ${shown}`),
    removed: (r: OpenRoi) => log.push(`removed ${r.name}`),
  };
}

describe("ROI workspace", () => {
  it("strokes are undoable steps, redo comes back, a new edit drops the redos", () => {
    const ws = new RoiWorkspace();
    const view = recorder();
    ws.attach(view);
    const r = ws.open("lesion", GRID, REF, CASE);
    expect(ws.current).toBe(r);
    const s1 = ws.begin(r);
    paint(r.roi, s1.rec, { centre: [5, 5, 4], radius: 2, fixed: 2 }, 1);
    s1.update();
    paint(r.roi, s1.rec, { centre: [6, 5, 4], radius: 2, fixed: 2 }, 1);
    s1.finish();
    const afterFirst = r.voxels;
    expect(afterFirst).toBe(countInside(r.roi));
    expect(afterFirst).toBeGreaterThan(13);
    const s2 = ws.begin(r);
    paint(r.roi, s2.rec, { centre: [5, 5, 4], radius: 1, fixed: 2 }, 0);
    s2.finish();
    expect(r.voxels).toBe(afterFirst - 5);
    expect(r.dirty).toBe(true);
    expect(ws.undo()).toBe(true);
    expect(r.voxels).toBe(afterFirst);
    expect(ws.undo()).toBe(true);
    expect(r.voxels).toBe(0);
    expect(ws.undo()).toBe(false);
    expect(ws.redo()).toBe(true);
    expect(r.voxels).toBe(afterFirst);
    const s3 = ws.begin(r);
    paint(r.roi, s3.rec, { centre: [1, 1, 1], radius: 0, fixed: 2 }, 1);
    s3.finish();
    expect(ws.redo()).toBe(false); // the erase step is gone
    expect(view.log.filter((l) => l.startsWith("data")).length).toBeGreaterThan(4);
    expect(view.log[0]).toBe("added lesion");
  });

  it("tells who follows the history (the assistant) which change each undo and redo took", () => {
    const ws = new RoiWorkspace();
    const r = ws.open("lesion", GRID, REF, CASE);
    const told: string[] = [];
    ws.onHistory = (roi, change, undo) => told.push(`${roi.name} ${undo ? "undo" : "redo"} ${change.indices.length}`);
    const mask = new Uint8Array(r.roi.data.length);
    mask[index(GRID, 3, 3, 3)] = 1;
    mask[index(GRID, 4, 3, 3)] = 1;
    ws.replace(r, mask);
    const landed = r.history.top;
    expect(landed?.indices.length).toBe(2);
    expect(ws.undo()).toBe(true);
    expect(r.history.top).toBeUndefined();
    expect(ws.redo()).toBe(true);
    expect(r.history.top).toBe(landed);
    expect(ws.undo(99)).toBe(false);
    expect(told).toEqual(["lesion undo 2", "lesion redo 2"]);
  });

  it("more than eight steps of history; clear and operations are undoable too", () => {
    const ws = new RoiWorkspace();
    const r = ws.open("a", GRID, REF, CASE);
    for (let n = 0; n < 20; n++) {
      const s = ws.begin(r);
      paint(r.roi, s.rec, { centre: [n % 12, Math.floor(n / 12), 0], radius: 0, fixed: 2 }, 1);
      s.finish();
    }
    expect(r.voxels).toBe(20);
    ws.morph(r.id, "dilate", 1);
    expect(r.voxels).toBeGreaterThan(20);
    ws.clear(r.id);
    expect(r.voxels).toBe(0);
    ws.undo();
    ws.undo();
    expect(r.voxels).toBe(20);
    for (let n = 0; n < 20; n++) expect(ws.undo()).toBe(true);
    expect(r.voxels).toBe(0);
  });

  it("current, Esc, Space, V, looks and names", () => {
    const ws = new RoiWorkspace();
    const view = recorder();
    ws.attach(view);
    const a = ws.open("roi", GRID, REF, CASE);
    const b = ws.open(ws.freeName("roi", CASE), GRID, REF, CASE);
    expect(b.name).toBe("roi_2");
    expect(ws.freeName("roi", { pid: "P2", sid: "S1" })).toBe("roi"); // another case
    expect(a.colour).not.toBe(b.colour);
    expect(ws.target(false)).toBeNull(); // drawing is off until turned on (the window's New ROI does)
    ws.setDrawing(true);
    expect(ws.target(false)).toBe(b);
    expect(ws.target(true)).toBeNull(); // Shift held suspends drawing
    ws.toggleDrawing();
    expect(ws.target(false)).toBeNull();
    ws.toggleDrawing();
    ws.setCurrent(a.id);
    ws.clearTarget();
    expect(ws.target(false)).toBeNull();
    ws.toggleHideAll();
    expect(view.log).toContain("look roi false");
    expect(view.log).toContain("look roi_2 false");
    ws.toggleHideAll();
    ws.setLook(a.id, { visible: false });
    expect(ws.shown(a)).toBe(false);
    expect(ws.shown(b)).toBe(true);
    ws.setPen({ radius: 500 });
    expect(ws.pen.radius).toBe(50);
    ws.remove(b.id);
    expect(view.log).toContain("removed roi_2");
    expect(ws.rois).toEqual([a]);
  });

  it("set operations need the same grid; saved() clears the unsaved mark", () => {
    const ws = new RoiWorkspace();
    const a = ws.open("a", GRID, REF, CASE, Uint8Array.from({ length: 960 }, (_, i) => (i % 2 ? 1 : 0)));
    const b = ws.open("b", GRID, REF, CASE, Uint8Array.from({ length: 960 }, (_, i) => (i % 3 ? 0 : 1)));
    ws.setOperation(a.id, b.id, "intersection");
    expect(a.voxels).toBe(160); // odd multiples of 3 among 0..959
    const c = ws.open("c", { dims: [4, 4, 4], affine: GRID.affine }, REF, CASE);
    expect(() => ws.setOperation(a.id, c.id, "union")).toThrow(/not on the same grid/);
    expect(ws.unsaved(CASE).map((r) => r.name)).toEqual(["a"]);
    ws.saved(a.id, 3);
    expect(a.base).toBe(3);
    expect(ws.unsaved(CASE)).toEqual([]);
  });

  it("the drawing helpers: gap-free lines and the slice axis of a plane", () => {
    expect(line([0, 0, 0], [3, 1, 0])).toEqual([[0, 0, 0], [1, 0, 0], [2, 1, 0], [3, 1, 0]]);
    expect(fixedAxis(GRID, 2)).toBe(2);
    const swapped: Grid = { dims: [8, 8, 8], affine: [0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1] };
    expect(fixedAxis(swapped, 2)).toBe(1); // world z runs along voxel axis j
    expect(fixedAxis(swapped, 0)).toBe(2);
  });
});

describe("polygon pen", () => {
  it("fills the voxel centres inside the outline on its slice, as one undoable step", () => {
    const ws = new RoiWorkspace();
    const r = ws.open("p", GRID, REF, CASE);
    // voxel (i, j) of slice k = 2 is at world (2i - 12, 2j - 10, -6): a square over i 2..5, j 3..6
    const w = (i: number, j: number): [number, number, number] => [2 * i - 12, 2 * j - 10, -6];
    ws.setPolygon({ roiId: r.id, viewport: 0, tile: 0, fixed: 2, slice: 2, points: [w(1.5, 2.5), w(5.5, 2.5), w(5.5, 6.5), w(1.5, 6.5)] });
    expect(ws.renderPolygon(1)).toBe(16);
    expect(r.voxels).toBe(16);
    expect(r.roi.data[index(GRID, 2, 3, 2)]).toBe(1);
    expect(r.roi.data[index(GRID, 2, 3, 3)]).toBe(0);
    expect(ws.polygon).toBeNull();
    ws.undo();
    expect(r.voxels).toBe(0);
  });
});

describe("ROI operations agree with the server (nora.imaging.roi, scipy)", () => {
  it("erode, dilate, open, close, fill holes, remove salt and the set operations, 3D and 2D", () => {
    const grids: Grid[] = [GRID, { dims: [12, 10, 1], affine: GRID.affine }];
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const cases = grids.map((g) => {
      const [nx, ny, nz] = g.dims;
      const a = new Uint8Array(nx * ny * nz);
      const b = new Uint8Array(nx * ny * nz);
      for (let k = 0; k < nz; k++)
        for (let j = 0; j < ny; j++)
          for (let i = 0; i < nx; i++) {
            const inBlob = (i - 5) ** 2 + (j - 5) ** 2 + (k - 4) ** 2 < 12;
            a[index(g, i, j, k)] = inBlob ? (rand() < 0.9 ? 1 : 0) : rand() < 0.08 ? 1 : 0;
            b[index(g, i, j, k)] = rand() < 0.4 ? 1 : 0;
          }
      a[index(g, 5, 5, Math.min(4, nz - 1))] = 0; // a hole
      const ours: Record<string, number[]> = {};
      for (const op of ["erode", "dilate", "open", "close"] as const) {
        for (const it of [1, 2]) ours[`${op}${it}`] = Array.from(morphology(a, g, op, it));
      }
      ours["fill_holes"] = Array.from(fillHoles(a, g));
      ours["remove_salt"] = Array.from(removeSalt(a, g, 3));
      for (const op of ["union", "intersection", "difference"] as const) ours[op] = Array.from(combine(a, b, op));
      return { dims: g.dims, a: Array.from(a), b: Array.from(b), ours };
    });
    const dir = mkdtempSync(join(tmpdir(), "roiops-"));
    writeFileSync(join(dir, "in.json"), JSON.stringify(cases));
    const python = resolve(__dirname, "../../.venv/bin/python");
    const script = `
import json, sys, numpy as np
from nora.imaging import roi
cases = json.load(open(sys.argv[1]))
out = []
for c in cases:
    dims = c["dims"]
    vol = lambda x: np.asarray(x, dtype=bool).reshape(dims[::-1]).transpose(2, 1, 0)
    flat = lambda m: [int(v) for v in np.asarray(m).transpose(2, 1, 0).ravel()]
    a, b = vol(c["a"]), vol(c["b"])
    r = {}
    for op in ["erode", "dilate", "open", "close"]:
        for it in [1, 2]:
            r[f"{op}{it}"] = flat(roi.morphology(a, op, it))
    r["fill_holes"] = flat(roi.fill_holes(a))
    r["remove_salt"] = flat(roi.remove_salt(a, 3))
    for op in ["union", "intersection", "difference"]:
        r[op] = flat(roi.combine(a, b, op))
    out.append(r)
json.dump(out, open(sys.argv[2], "w"))
`;
    execFileSync(python, ["-c", script, join(dir, "in.json"), join(dir, "out.json")]);
    const server = JSON.parse(readFileSync(join(dir, "out.json"), "utf8")) as Record<string, number[]>[];
    cases.forEach((c, n) => {
      for (const [op, mask] of Object.entries(c.ours)) {
        const theirs = server[n]![op]!;
        expect({ op, dims: c.dims, diff: mask.filter((v, i) => v !== theirs[i]).length }).toEqual({ op, dims: c.dims, diff: 0 });
      }
    });
  });
});
