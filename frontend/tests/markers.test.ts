/** The marker tool's logic: which markers a 2D tile shows and where, hit tests, 3D meshes, the workspace. */
import { describe, expect, it } from "vitest";
import { depthAxis, inSlice, markerMesh, nearest, onTile, rgb, type Tile } from "../src/annotation/markers/geometry";
import { MarkerWorkspace, complete, freeName, nameProblem } from "../src/annotation/markers/workspace";

// An axial tile 200 x 200 px at (10, 20) showing x -100..100, y -100..100 mm, the slice at z = 5 mm.
const axial: Tile = { axCorSag: 0, leftTopMM: [-100, -100], fovMM: [200, 200], leftTopWidthHeight: [10, 20, 200, 200], AxyzMxy: [0, 0, 5, 0, 0] };
// A coronal tile: screen x = R, screen y = S, depth = A; the slice at y (A) = -10 mm.
const coronal: Tile = { axCorSag: 1, leftTopMM: [-100, -50], fovMM: [200, 100], leftTopWidthHeight: [0, 0, 400, 200], AxyzMxy: [0, 0, -10, 0, 0] };

describe("markers in a slice", () => {
  it("places a point on an axial tile, y up, with its distance from the slice", () => {
    const p = onTile(axial, [0, 0, 5])!;
    expect([p.x, p.y, p.depth, p.scale]).toEqual([110, 120, 0, 1]);
    const q = onTile(axial, [50, 100, 6.5])!;
    expect([q.x, q.y, q.depth]).toEqual([160, 20, 1.5]);
    expect(onTile(axial, [150, 0, 5])).toBeNull(); // outside the field of view
  });

  it("is drawn only within half a slice thickness", () => {
    expect(inSlice(0, 1)).toBe(true);
    expect(inSlice(0.5, 1)).toBe(true);
    expect(inSlice(-0.5, 1)).toBe(true);
    expect(inSlice(0.51, 1)).toBe(false);
    expect(inSlice(1.4, 3)).toBe(true); // 3 mm slices
    expect(inSlice(onTile(axial, [0, 0, 6.5])!.depth, 2)).toBe(false);
    expect(inSlice(onTile(axial, [0, 0, 5.9])!.depth, 2)).toBe(true);
  });

  it("uses the tile's axes: coronal looks along A, sagittal along R", () => {
    expect([depthAxis(0), depthAxis(1), depthAxis(2)]).toEqual([2, 1, 0]);
    const p = onTile(coronal, [50, -10.2, 25])!;
    expect(p.x).toBeCloseTo(300);
    expect(p.y).toBeCloseTo(50); // S = 25 of -50..50: a quarter from the top
    expect(p.depth).toBeCloseTo(-0.2);
    expect(p.scale).toBe(2);
  });

  it("mirrors x in radiological tiles (negative width)", () => {
    const mirrored = { ...axial, leftTopWidthHeight: [210, 20, -200, 200] };
    expect(onTile(mirrored, [50, 0, 5])!.x).toBe(60);
  });

  it("finds the nearest drawn marker within the radius", () => {
    const drawn = [{ x: 10, y: 10, index: 0 }, { x: 30, y: 10, index: 1 }];
    expect(nearest(drawn, 27, 12, 10)).toBe(1);
    expect(nearest(drawn, 60, 60, 10)).toBeNull();
  });

  it("builds spheres per point and tubes between a freeline's waypoints", () => {
    const one = markerMesh([[0, 0, 0]], 4, false);
    const maxR = Math.max(...Array.from({ length: one.pts.length / 3 }, (_, i) => Math.hypot(one.pts[3 * i]!, one.pts[3 * i + 1]!, one.pts[3 * i + 2]!)));
    expect(maxR).toBeCloseTo(2);
    const line = markerMesh([[0, 0, 0], [10, 0, 0], [10, 10, 0]], 4, true);
    const spheres = markerMesh([[0, 0, 0], [10, 0, 0], [10, 10, 0]], 4, false);
    expect(line.tris.length).toBeGreaterThan(spheres.tris.length);
    expect(Math.max(...line.tris)).toBeLessThan(line.pts.length / 3);
    expect(rgb("#ff8000")).toEqual([255, 128, 0]);
  });
});

describe("marker workspace", () => {
  it("makes sets per patient, adds named points, renames, deletes, marks changes", () => {
    const ws = new MarkerWorkspace();
    expect(ws.create("pointset")).toBeNull(); // no case
    ws.setPatient("P1");
    const a = ws.create("pointset", "landmarks")!;
    expect(ws.create("freeline", "landmarks")!.doc.name).toBe("landmarks_2");
    ws.setCurrent(a.id);
    ws.addPoint([1.23456, 2, 3]);
    ws.addPoint([4, 5, 6]);
    expect(a.doc.points.map((p) => p.name)).toEqual(["P1", "P2"]);
    expect(a.doc.points[0]!.x).toBe(1.235);
    ws.renamePoint(a.id, 0, "AC");
    ws.deletePoint(a.id, 1);
    expect(a.doc.points).toEqual([{ name: "AC", x: 1.235, y: 2, z: 3 }]);
    expect(ws.dirty("P1").length).toBe(2);
    ws.setSize(a.id, 1000);
    expect(a.doc.size).toBe(100);
    ws.setPatient("P2");
    expect(ws.shown()).toEqual([]);
    expect(ws.currentSet()).toBeNull();
    ws.setPatient("P1");
    expect(ws.shown().length).toBe(2); // kept while the page lives
  });

  it("opens a saved set with its version and checks names", () => {
    const ws = new MarkerWorkspace();
    ws.setPatient("P1");
    const out = { id: 3, kind: "markers", name: "lm", path: "annotations/lm.json", current: 4, created_by: "u", file_id: 9, url: null, markers: { name: "lm", points: [{ x: 1, y: 2, z: 3 }] } };
    const set = ws.opened("P1", out)!;
    expect([set.base, set.dirty, set.doc.color, set.doc.points[0]!.name]).toEqual([4, false, "#ffcc00", ""]);
    expect(complete({ name: "x" }).type).toBe("pointset");
    expect(freeName(["a", "a_2"], "a")).toBe("a_3");
    expect(nameProblem("ok_name-1.v2")).toBeNull();
    expect(nameProblem("bad name")).not.toBeNull();
    expect(nameProblem("")).not.toBeNull();
  });

  it("opens an earlier version as a copy beside the set (new, unsaved, its own points)", () => {
    const ws = new MarkerWorkspace();
    ws.setPatient("P1");
    const out = { id: 3, kind: "markers", name: "lm", path: "annotations/lm.json", current: 4, created_by: "u", file_id: 9, url: null, markers: { name: "lm", points: [{ x: 1, y: 2, z: 3 }] } };
    const saved = ws.opened("P1", out)!;
    const old = complete({ name: "lm", type: "freeline", color: "#00ff00", points: [{ name: "A", x: 5, y: 6, z: 7 }] });
    const copy = ws.openCopy("P1", old, "lm_v2")!;
    expect([copy.doc.name, copy.doc.type, copy.doc.color, copy.base, copy.dirty]).toEqual(["lm_v2", "freeline", "#00ff00", 0, true]);
    expect(copy.doc.points).toEqual([{ name: "A", x: 5, y: 6, z: 7 }]);
    copy.doc.points[0]!.x = 9;
    expect(old.points[0]!.x).toBe(5); // a copy, not the version's own arrays
    expect(saved.doc.points).toEqual([{ name: "", x: 1, y: 2, z: 3 }]);
    expect(ws.openCopy("P1", old, "lm_v2")!.doc.name).toBe("lm_v2_2");
  });
});
