// The ROI tool's pens on a voxel grid: paint/erase discs and spheres, the thresholding pens (Higher /
// Lower and their connected "RGrow" variants), the magic pen (unconnected and connected) and region
// growing. Every pen writes through a ChangeRecorder, so each stroke is one undoable change. A `fixed`
// axis (0, 1, 2) keeps a pen in one voxel slice (a 2D viewport); null paints in 3D.

import { type Grid, index, inside, type RoiVolume, type Vec3 } from "./grid";
import type { ChangeRecorder } from "./history";

export type Axis = 0 | 1 | 2 | null;
export type Image = ArrayLike<number>;

export interface Stamp {
  centre: Vec3; // voxel
  radius: number; // voxels (0: the centre voxel only)
  fixed: Axis;
}

/** The voxel indices of a disc (in the slice through the centre normal to `fixed`) or a sphere. */
export function stampVoxels(grid: Grid, s: Stamp): number[] {
  const r = Math.max(0, s.radius);
  const ri = Math.floor(r);
  const out: number[] = [];
  const [ci, cj, ck] = s.centre;
  const span = (axis: 0 | 1 | 2) => (s.fixed === axis ? 0 : ri);
  for (let dk = -span(2); dk <= span(2); dk++)
    for (let dj = -span(1); dj <= span(1); dj++)
      for (let di = -span(0); di <= span(0); di++) {
        if (di * di + dj * dj + dk * dk > r * r + 1e-9) continue;
        const i = ci + di, j = cj + dj, k = ck + dk;
        if (inside(grid, i, j, k)) out.push(index(grid, i, j, k));
      }
  return out;
}

/** Left button paints (value 1), right button erases (0). */
export function paint(roi: RoiVolume, rec: ChangeRecorder, s: Stamp, value: 0 | 1): void {
  for (const v of stampVoxels(roi.grid, s)) rec.set(v, value);
}

/** Neighbours (faces) of a voxel index, within the slice when `fixed` is set. */
function* neighbours(grid: Grid, v: number, fixed: Axis): Generator<number> {
  const [nx, ny, nz] = grid.dims;
  const i = v % nx, j = Math.floor(v / nx) % ny, k = Math.floor(v / (nx * ny));
  if (fixed !== 0) {
    if (i > 0) yield v - 1;
    if (i < nx - 1) yield v + 1;
  }
  if (fixed !== 1) {
    if (j > 0) yield v - nx;
    if (j < ny - 1) yield v + nx;
  }
  if (fixed !== 2) {
    if (k > 0) yield v - nx * ny;
    if (k < nz - 1) yield v + nx * ny;
  }
}

/** The voxels of `candidates` connected (faces) to `start` through candidates only. */
function connectedWithin(grid: Grid, start: number, candidates: Set<number>, fixed: Axis): number[] {
  if (!candidates.has(start)) return [];
  const seen = new Set<number>([start]);
  const queue = [start];
  for (let q = 0; q < queue.length; q++) {
    for (const n of neighbours(grid, queue[q] ?? 0, fixed)) {
      if (candidates.has(n) && !seen.has(n)) {
        seen.add(n);
        queue.push(n);
      }
    }
  }
  return queue;
}

export interface ThresholdPen {
  mode: "higher" | "lower";
  threshold: number;
  connected: boolean; // NORA's "Higher RGrow" / "Lower RGrow"
}

/** The voxels the thresholding pen takes: within the stamp, those at or above (higher) / below (lower) the threshold. */
export function thresholdVoxels(grid: Grid, image: Image, s: Stamp, pen: ThresholdPen): number[] {
  const take = (x: number) => (pen.mode === "higher" ? x >= pen.threshold : x <= pen.threshold);
  return matchingVoxels(grid, image, s, take, pen.connected);
}

/** The thresholding pen: within the stamp, voxels above (higher) or below (lower) the threshold. */
export function thresholdPen(roi: RoiVolume, rec: ChangeRecorder, image: Image, s: Stamp, pen: ThresholdPen, value: 0 | 1): void {
  for (const v of thresholdVoxels(roi.grid, image, s, pen)) rec.set(v, value);
}

export interface MagicPen {
  similarity: number; // a fraction of the window width (calMax - calMin)
  window: [number, number]; // the current colour limits
  connected: boolean;
}

/** The voxels the magic pen takes: within the stamp, those similar to the centre voxel (centre ± similarity × window). */
export function magicVoxels(grid: Grid, image: Image, s: Stamp, pen: MagicPen): number[] {
  const c = image[index(grid, ...s.centre)] ?? 0;
  const tol = Math.abs(pen.window[1] - pen.window[0]) * pen.similarity;
  return matchingVoxels(grid, image, s, (x) => Math.abs(x - c) <= tol, pen.connected);
}

/** The magic pen: within the stamp, voxels similar to the centre voxel (centre ± similarity × window). */
export function magicPen(roi: RoiVolume, rec: ChangeRecorder, image: Image, s: Stamp, pen: MagicPen, value: 0 | 1): void {
  for (const v of magicVoxels(roi.grid, image, s, pen)) rec.set(v, value);
}

function matchingVoxels(grid: Grid, image: Image, s: Stamp, take: (x: number) => boolean, connected: boolean): number[] {
  const voxels = stampVoxels(grid, s).filter((v) => take(image[v] ?? 0));
  return connected ? connectedWithin(grid, index(grid, ...s.centre), new Set(voxels), s.fixed) : voxels;
}

/**
 * Region growing from a seed: the face-connected voxels with low <= value <= high (in the slice when
 * `fixed` is set, else in 3D, unconstrained). A breadth-first fill on typed arrays (no per-voxel objects).
 */
export function regionGrow(roi: RoiVolume, rec: ChangeRecorder, image: Image, seed: Vec3, low: number, high: number, fixed: Axis, value: 0 | 1 = 1): number {
  const { voxels, count } = grownRegion(roi.grid, image, seed, low, high, fixed);
  if (count > 0) rec.setMany(voxels, count, value);
  return count;
}

/** The voxels region growing takes (the first `count` of `voxels`): regionGrow without writing them. */
export function grownRegion(grid: Grid, image: Image, seed: Vec3, low: number, high: number, fixed: Axis): { voxels: Int32Array; count: number } {
  const [nx, ny, nz] = grid.dims;
  const start = index(grid, ...seed);
  const v0 = image[start] ?? NaN;
  if (!(v0 >= low && v0 <= high)) return { voxels: new Int32Array(0), count: 0 };
  const total = nx * ny * nz;
  // in one slice (the pen preview, every pointer move) the arrays are the slice's size, not the grid's
  const queue = new Int32Array(fixed === null ? total : total / grid.dims[fixed]);
  let head = 0, tail = 0;
  queue[tail++] = start;
  const plane = nx * ny;
  const take = (n: number) => {
    const x = image[n] ?? NaN;
    if (x >= low && x <= high) queue[tail++] = n;
  };
  let ok: (n: number) => void;
  if (fixed === null) {
    const visited = new Uint8Array(total);
    visited[start] = 1;
    ok = (n) => {
      if (visited[n]) return;
      visited[n] = 1;
      take(n);
    };
  } else {
    const visited = new Set<number>([start]);
    ok = (n) => {
      if (visited.has(n)) return;
      visited.add(n);
      take(n);
    };
  }
  while (head < tail) {
    const v = queue[head++] ?? 0;
    const i = v % nx, j = ((v - i) / nx) % ny, k = (v - i - j * nx) / plane;
    if (fixed !== 0) {
      if (i > 0) ok(v - 1);
      if (i < nx - 1) ok(v + 1);
    }
    if (fixed !== 1) {
      if (j > 0) ok(v - nx);
      if (j < ny - 1) ok(v + nx);
    }
    if (fixed !== 2) {
      if (k > 0) ok(v - plane);
      if (k < nz - 1) ok(v + plane);
    }
  }
  return { voxels: queue, count: tail };
}
