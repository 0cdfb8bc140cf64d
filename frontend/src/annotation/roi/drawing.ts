/**
 * Drawing on the current ROI in the 2D viewports (the viewer's tool hook, gestures.ts's ViewportTool):
 * left paints, right erases, with the workspace's pen; Alt + drag sets the pen size, Shift + wheel too;
 * Shift held suspends drawing (the viewer's Shift gestures work). A press maps to the ROI's voxel under
 * the pointer in the plane of that viewport's tile; a stroke stamps every voxel on the line between two
 * pointer positions (fast moves leave no gaps) and writes the mask in place, one undoable change per
 * stroke. The pens that read the image use the viewport's background when it is on the ROI's grid.
 */
import type { Niivue, NVImage } from "@niivue/niivue";
import type { ViewerEngine } from "../../viewer/engine";
import { canvasXY, mmPerPixel, type ToolDrag, type ViewportTool } from "../../viewer/gestures";
import { surfacePoint } from "../../viewer/pick";
import { effectiveLook } from "../../viewer/model";
import { type Grid, index as voxelIndex, type Vec3, worldToVoxel, worldToVoxelNear } from "../grid";
import { ChangeRecorder, type Change } from "../history";
import { type Axis, grownRegion, type Image, magicVoxels, regionGrow, type Stamp, stampVoxels, thresholdVoxels } from "../pens";
import { volumeGrid, volumeScale } from "./volume";
import type { OpenRoi, Pen, PenKind, RoiWorkspace, Stroke } from "./workspace";

const PLANES = ["axial", "coronal", "sagittal", "multiplanar", "mosaic"];
/** niivue's tile orientation (axial, coronal, sagittal) -> the world axis normal to it */
const NORMAL = [2, 1, 0] as const;

export interface Hit {
  voxel: Vec3;
  fixed: Axis;
  tile: number;
}

/** The voxel axis closest to world axis `world` (the one a slice of that orientation keeps fixed). */
export function fixedAxis(grid: Grid, world: 0 | 1 | 2): 0 | 1 | 2 {
  const row = [0, 1, 2].map((a) => Math.abs(grid.affine[world * 4 + a] ?? 0));
  return row.indexOf(Math.max(...row)) as 0 | 1 | 2;
}

/** The voxels on the line from `a` to `b` (both ends included). */
export function line(a: Vec3, b: Vec3): Vec3[] {
  const n = Math.max(...[0, 1, 2].map((i) => Math.abs(b[i]! - a[i]!)));
  const out: Vec3[] = [];
  for (let s = 0; s <= n; s++) {
    const t = n === 0 ? 0 : s / n;
    out.push([0, 1, 2].map((i) => Math.round(a[i]! + (b[i]! - a[i]!) * t)) as Vec3);
  }
  return out;
}

/** The background's values and colour limits when it lies on the ROI's grid. */
export interface Background {
  image: Image;
  limits: [number, number];
}

const scaledCache = new WeakMap<NVImage, Float32Array>();

function onGrid(vol: NVImage, grid: Grid): boolean {
  const g = volumeGrid(vol);
  return g.dims.every((d, a) => d === grid.dims[a]) && g.affine.every((x, i) => Math.abs(x - (grid.affine[i] ?? NaN)) <= 1e-3);
}

function values(vol: NVImage): Image {
  const img = vol.img as ArrayLike<number> | undefined;
  if (!img) return [];
  const { slope, inter } = volumeScale(vol);
  if (slope === 1 && inter === 0) return img;
  let scaled = scaledCache.get(vol);
  if (!scaled) {
    scaled = new Float32Array(img.length);
    for (let i = 0; i < img.length; i++) scaled[i] = (img[i] ?? 0) * slope + inter;
    scaledCache.set(vol, scaled);
  }
  return scaled;
}

/**
 * The canvas position (device pixels) of world point `mm` in tile `tile` of a niivue instance: the tile's
 * own screen-to-world mapping (gestures.ts's mmPerPixel at its centre) inverted; null outside a 2D tile.
 */
export function screenOf(nv: Niivue, tile: number, mm: Vec3): [number, number] | null {
  return tileProjection(nv, tile)?.(mm) ?? null;
}

/** screenOf's mapping of one tile, worked out once for many points (the pen preview's voxels). */
export function tileProjection(nv: Niivue, tile: number): ((mm: Vec3) => [number, number]) | null {
  const box = nv.screenSlices[tile]?.leftTopWidthHeight;
  if (!box) return null;
  const cx = (box[0] ?? 0) + (box[2] ?? 0) / 2;
  const cy = (box[1] ?? 0) + (box[3] ?? 0) / 2;
  const o = nv.screenXY2mm(cx, cy, tile);
  const scale = mmPerPixel(nv, cx, cy);
  if (!scale || !Number.isFinite(o[0]!)) return null;
  const { ux, uy } = scale;
  const dot = (a: number[], b: number[]) => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
  const [a, b, c] = [dot(ux, ux), dot(ux, uy), dot(uy, uy)];
  const det = a * c - b * b;
  if (Math.abs(det) < 1e-12) return null;
  return (mm) => {
    const r = [0, 1, 2].map((i) => mm[i]! - o[i]!);
    const [p, q] = [dot(ux, r), dot(uy, r)];
    return [cx + (c * p - b * q) / det, cy + (a * q - b * p) / det];
  };
}

/**
 * The voxels a stamp of `pen` takes (what a press paints or erases; the preview shows them): the disc,
 * or the thresholding / magic pens' choice within it when the background lies on the ROI's grid.
 */
export function penSelection(grid: Grid, s: Stamp, pen: Pen, back: Background | null): number[] {
  const k = pen.kind;
  const thresholding = k === "higher" || k === "lower" || k === "higherGrow" || k === "lowerGrow";
  if (!back || (!thresholding && k !== "magic" && k !== "magicConnected")) return stampVoxels(grid, s);
  if (k === "magic" || k === "magicConnected") {
    return magicVoxels(grid, back.image, s, { similarity: pen.similarity, window: back.limits, connected: k === "magicConnected" });
  }
  const higher = k === "higher" || k === "higherGrow";
  const threshold = pen.threshold ?? (higher ? back.limits[0] : back.limits[1]);
  return thresholdVoxels(grid, back.image, s, { mode: higher ? "higher" : "lower", threshold, connected: k.endsWith("Grow") });
}

/** The in-slice part of what 3D region growing from `seed` takes (the preview; a press grows through the volume). */
export function growSelection(grid: Grid, seed: Vec3, fixed: Axis, similarity: number, back: Background): number[] {
  const { low, high } = growRange(grid, seed, similarity, back);
  const { voxels, count } = grownRegion(grid, back.image, seed, low, high, fixed);
  return Array.from(voxels.subarray(0, count));
}

function growRange(grid: Grid, seed: Vec3, similarity: number, back: Background): { low: number; high: number } {
  const value = back.image[voxelIndex(grid, ...seed)] ?? 0;
  const tol = similarity * (Math.abs(back.limits[1] - back.limits[0]) || 1);
  return { low: value - tol, high: value + tol };
}

export class RoiDrawing implements ViewportTool {
  /** The assistant pen's presses (annotation/assistant/gestures.ts). */
  assist: ((index: number, e: MouseEvent) => ToolDrag | null) | null = null;

  constructor(private readonly engine: ViewerEngine, private readonly ws: RoiWorkspace) {}

  wheel(_index: number, e: WheelEvent): boolean {
    if (!e.shiftKey || !this.ws.drawing || this.ws.current === null) return false;
    e.preventDefault();
    e.stopImmediatePropagation();
    const up = (e.deltaY || e.deltaX) < 0;
    this.ws.setPen({ radius: this.ws.pen.radius + (up ? 1 : -1) });
    return true;
  }

  press(index: number, e: MouseEvent): ToolDrag | null {
    const vp = this.engine.viewports[index];
    const roi = this.ws.target(e.shiftKey);
    if (!vp?.canvas || !roi || (e.button !== 0 && e.button !== 2) || e.ctrlKey || e.metaKey) return null;
    if (vp.slice === "render" && this.engine.hasBackground(index)) {
      return e.altKey ? this.resize(index, e) : this.press3D(index, e, roi, e.button === 0 ? 1 : 0);
    }
    if (!this.drawsIn(index)) return null;
    if (e.altKey) return this.resize(index, e);
    const hit = this.hit(index, e, roi, -1);
    if (!hit) return null;
    // the press keeps the focus where it was (a pen field): the keys (Ctrl+Z, Space) must reach the page
    if (document.activeElement instanceof HTMLElement && document.activeElement !== document.body) document.activeElement.blur();
    const value: 0 | 1 = e.button === 0 ? 1 : 0;
    const pen = this.ws.pen;
    if (pen.kind === "polygon") return this.polygonPress(index, e, roi, hit);
    if (pen.kind === "assistant") return this.assist?.(index, e) ?? null;
    const back = this.background(index, roi);
    if (pen.kind !== "paint" && !back) {
      this.engine.message(`${roi.name}: the ${pen.kind} pen reads the background, which is not on the ROI's grid; the plain pen works`);
      return null;
    }
    if (pen.kind === "grow3d") return this.grow(index, e, roi, hit, back!, value);
    const stroke = this.ws.begin(roi);
    let last = hit.voxel;
    this.apply(stroke, { centre: last, radius: pen.radius, fixed: hit.fixed }, pen, back, value);
    stroke.update();
    return {
      move: (m) => {
        const next = this.hit(index, m, roi, hit.tile);
        if (!next) return;
        for (const v of line(last, next.voxel).slice(1)) this.apply(stroke, { centre: v, radius: pen.radius, fixed: hit.fixed }, pen, back, value);
        last = next.voxel;
        stroke.update();
      },
      end: () => void stroke.finish(),
    };
  }

  private apply(stroke: Stroke, s: Stamp, pen: Pen, back: Background | null, value: 0 | 1): void {
    for (const v of penSelection(stroke.target.roi.grid, s, pen, back)) stroke.rec.set(v, value);
  }

  /**
   * Drawing in a 3D viewport: the pen is a sphere (radius in voxels) at the rendered surface under the
   * pointer (niivue's depth picking, which moves the crosshair there, so the 2D views show the painted
   * place); a drag stamps along the surface, one pick a frame. A press off the image leaves the view to
   * rotate. The polygon, 3D region growing and the assistant are 2D-viewport pens.
   */
  private press3D(index: number, e: MouseEvent, roi: OpenRoi, value: 0 | 1): ToolDrag | null {
    const vp = this.engine.viewports[index]!;
    const nv = vp.nv;
    const pen = this.ws.pen;
    const only2d: Partial<Record<PenKind, string>> = { polygon: "polygon", grow3d: "3D region growing", assistant: "assistant" };
    const name = only2d[pen.kind];
    if (name !== undefined) {
      this.engine.message(`${roi.name}: the ${name} pen draws in the 2D viewports`, "info");
      return null;
    }
    const back = this.background(index, roi);
    if (pen.kind !== "paint" && !back) {
      this.engine.message(`${roi.name}: the ${pen.kind} pen reads the background, which is not on the ROI's grid; the plain pen works`);
      return null;
    }
    const voxelAt = (m: MouseEvent): Vec3 | null => {
      const mm = surfacePoint(nv, ...canvasXY(nv, vp.canvas!, m));
      return mm ? worldToVoxelNear(roi.roi.grid, mm) : null;
    };
    const first = voxelAt(e);
    if (!first) return null;
    if (document.activeElement instanceof HTMLElement && document.activeElement !== document.body) document.activeElement.blur();
    const stroke = this.ws.begin(roi);
    const stamp = (v: Vec3) => this.apply(stroke, { centre: v, radius: pen.radius, fixed: null }, pen, back, value);
    let last = first;
    stamp(first);
    stroke.update();
    let pending: MouseEvent | null = null;
    let frame = 0;
    const step = () => {
      frame = 0;
      const m = pending;
      pending = null;
      const v = m ? voxelAt(m) : null;
      if (!v) return;
      for (const p of line(last, v).slice(1)) stamp(p);
      last = v;
      stroke.update();
    };
    return {
      move: (m) => {
        pending = m;
        if (frame === 0) frame = requestAnimationFrame(step);
      },
      end: () => {
        if (frame) {
          cancelAnimationFrame(frame);
          step();
        }
        void stroke.finish();
      },
    };
  }

  /** Unconstrained 3D region growing from the pressed voxel; dragging right widens the similarity. */
  private grow(index: number, e: MouseEvent, roi: OpenRoi, hit: Hit, back: Background, value: 0 | 1): ToolDrag {
    const vp = this.engine.viewports[index]!;
    const x0 = e.clientX;
    let done: Change | null = null;
    let frame = 0;
    let similarity = this.ws.pen.similarity;
    const run = () => {
      frame = 0;
      if (done) for (let n = 0; n < done.indices.length; n++) roi.roi.data[done.indices[n]!] = done.before[n]!;
      const rec = new ChangeRecorder(roi.roi);
      const { low, high } = growRange(roi.roi.grid, hit.voxel, similarity, back);
      regionGrow(roi.roi, rec, back.image, hit.voxel, low, high, null, value);
      done = rec.finish();
      this.ws.touched(roi, false);
    };
    run();
    return {
      move: (m) => {
        const w = vp.canvas?.clientWidth || 400;
        similarity = Math.max(0, Math.min(1, this.ws.pen.similarity + (m.clientX - x0) / w));
        if (frame === 0) frame = requestAnimationFrame(run);
      },
      end: () => {
        if (frame) {
          cancelAnimationFrame(frame);
          run();
        }
        if (done) roi.history.push(done);
        this.ws.setPen({ similarity });
        this.ws.touched(roi);
      },
    };
  }

  /**
   * The polygon pen: a click adds a point, a drag adds points along the way, a press on a point moves it,
   * a right click takes the last point away; the ROI window renders the outline into the ROI.
   */
  private polygonPress(index: number, e: MouseEvent, roi: OpenRoi, hit: Hit): ToolDrag {
    const vp = this.engine.viewports[index]!;
    const nv = vp.nv;
    const slice = hit.voxel[hit.fixed!];
    let draft = this.ws.polygon;
    if (!draft || draft.viewport !== index || draft.roiId !== roi.id || draft.fixed !== hit.fixed || draft.slice !== slice) {
      draft = { roiId: roi.id, viewport: index, tile: hit.tile, fixed: hit.fixed as 0 | 1 | 2, slice, points: [] };
    }
    const mmAt = (m: MouseEvent): Vec3 | null => {
      const [x, y] = canvasXY(nv, vp.canvas!, m);
      const mm = nv.screenXY2mm(x, y, draft!.tile);
      return [0, 1, 2].every((i) => Number.isFinite(mm[i]!)) ? [mm[0]!, mm[1]!, mm[2]!] : null;
    };
    if (e.button === 2) {
      this.ws.setPolygon({ ...draft, points: draft.points.slice(0, -1) });
      return { move: () => {}, end: () => {} };
    }
    const [x0, y0] = canvasXY(nv, vp.canvas!, e);
    const near = draft.points.findIndex((p) => {
      const s = screenOf(nv, draft!.tile, p);
      return s !== null && Math.hypot(s[0] - x0, s[1] - y0) <= 8 * (nv.uiData.dpr ?? 1);
    });
    const start = mmAt(e);
    if (near < 0 && start) draft = { ...draft, points: [...draft.points, start] };
    this.ws.setPolygon(draft);
    let last: [number, number] = [x0, y0];
    return {
      move: (m) => {
        const cur = this.ws.polygon;
        const p = mmAt(m);
        if (!cur || !p) return;
        const [x, y] = canvasXY(nv, vp.canvas!, m);
        if (near >= 0) {
          this.ws.setPolygon({ ...cur, points: cur.points.map((q, i) => (i === near ? p : q)) });
        } else if (Math.hypot(x - last[0], y - last[1]) >= 6 * (nv.uiData.dpr ?? 1)) {
          last = [x, y];
          this.ws.setPolygon({ ...cur, points: [...cur.points, p] });
        }
      },
      end: () => {},
    };
  }

  /** Alt + drag: the pen radius follows the horizontal movement (10 pixels a voxel). */
  private resize(_index: number, e: MouseEvent): ToolDrag {
    const r0 = this.ws.pen.radius;
    const x0 = e.clientX;
    return {
      move: (m) => this.ws.setPen({ radius: r0 + Math.round((m.clientX - x0) / 10) }),
      end: () => {},
    };
  }

  /** Whether viewport `index` is drawn in: a 2D slicing with a background shown. */
  drawsIn(index: number): boolean {
    const vp = this.engine.viewports[index];
    return !!vp && PLANES.includes(vp.slice) && this.engine.hasBackground(index);
  }

  /** The ROI voxel under the pointer in viewport `index` (in tile `tile`, or whichever it is over). */
  hit(index: number, e: MouseEvent, roi: OpenRoi, tile: number): Hit | null {
    const vp = this.engine.viewports[index]!;
    const nv = vp.nv;
    const [x, y] = canvasXY(nv, vp.canvas!, e);
    const mm = nv.screenXY2mm(x, y, tile);
    const t = mm[3]!;
    if (![0, 1, 2].every((i) => Number.isFinite(mm[i]!)) || !Number.isFinite(t)) return null;
    const orient = nv.screenSlices[t]?.axCorSag ?? -1;
    if (orient < 0 || orient > 2) return null;
    const voxel = worldToVoxel(roi.roi.grid, [mm[0]!, mm[1]!, mm[2]!]);
    if (!voxel) return null;
    return { voxel, fixed: fixedAxis(roi.roi.grid, NORMAL[orient as 0 | 1 | 2]), tile: t };
  }

  /** The viewport's background as the pens read it, when it lies on the ROI's grid. */
  background(index: number, roi: OpenRoi): Background | null {
    const entry = this.engine.viewports[index]?.entries.find((x) => x.role === "background" && x.vol !== null);
    const item = entry ? this.engine.items.get(entry.key) : undefined;
    if (!entry?.vol || !item || !onGrid(entry.vol, roi.roi.grid)) return null;
    const look = effectiveLook(item.look, entry.override);
    return { image: values(entry.vol), limits: [look.calMin, look.calMax] };
  }
}
