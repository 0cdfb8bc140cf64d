// ROI operations in the page, with the server's definitions (nora.imaging.roi, scipy.ndimage): erosion,
// dilation, opening and closing with the face neighbourhood of the grid's axes longer than one voxel
// (a 2D ROI keeps its slice), outside the grid counting as outside; closing on the grid extended by its
// border voxels (no border effect); union / intersection / difference; Remove Salt (face-connected
// components smaller than a size removed); fill holes (outside regions not touching the grid's border of
// those axes). Pure functions on the mask bytes: each returns a new array, the inputs stay as they were.

import type { Grid, Vec3 } from "./grid";

export type Morphology = "erode" | "dilate" | "open" | "close";
export type SetOperation = "union" | "intersection" | "difference";
export type Operation = Morphology | SetOperation | "remove_salt" | "fill_holes";

/** Index steps to the face neighbours along each axis that is longer than one voxel. */
function axes(dims: Vec3): { axis: 0 | 1 | 2; stride: number; size: number }[] {
  const strides = [1, dims[0], dims[0] * dims[1]];
  return ([0, 1, 2] as const).filter((a) => dims[a] > 1).map((a) => ({ axis: a, stride: strides[a]!, size: dims[a] }));
}

function coord(v: number, dims: Vec3, axis: 0 | 1 | 2): number {
  if (axis === 0) return v % dims[0];
  if (axis === 1) return Math.floor(v / dims[0]) % dims[1];
  return Math.floor(v / (dims[0] * dims[1]));
}

/** One step of erosion (value 1) or dilation (value 0 grows to 1): scipy's binary_erosion/dilation, border 0. */
function step(data: Uint8Array, dims: Vec3, erode: boolean): Uint8Array {
  const out = new Uint8Array(data.length);
  const ax = axes(dims);
  for (let v = 0; v < data.length; v++) {
    const self = data[v] ? 1 : 0;
    if (erode ? !self : self) {
      out[v] = self;
      continue;
    }
    // erode: inside stays inside when every neighbour is inside (outside the grid is outside);
    // dilate: outside becomes inside when a neighbour is inside
    let hit = !erode ? 0 : 1;
    for (const { axis, stride, size } of ax) {
      const c = coord(v, dims, axis);
      const lo = c > 0 ? (data[v - stride] ? 1 : 0) : 0;
      const hi = c < size - 1 ? (data[v + stride] ? 1 : 0) : 0;
      if (erode && (!lo || !hi)) {
        hit = 0;
        break;
      }
      if (!erode && (lo || hi)) {
        hit = 1;
        break;
      }
    }
    out[v] = hit;
  }
  return out;
}

function repeat(data: Uint8Array, dims: Vec3, erode: boolean, iterations: number): Uint8Array {
  let cur = data;
  for (let n = 0; n < iterations; n++) cur = step(cur, dims, erode);
  return cur === data ? Uint8Array.from(data) : cur;
}

/** The mask extended by `pad` voxels of its own border along the axes longer than one (numpy's pad "edge"). */
function padEdge(data: Uint8Array, dims: Vec3, pad: number): { data: Uint8Array; dims: Vec3; offset: Vec3 } {
  const offset = dims.map((d) => (d > 1 ? pad : 0)) as Vec3;
  const pd = dims.map((d, a) => d + 2 * offset[a]!) as Vec3;
  const out = new Uint8Array(pd[0] * pd[1] * pd[2]);
  const clamp = (x: number, n: number) => Math.min(Math.max(x, 0), n - 1);
  for (let k = 0; k < pd[2]; k++)
    for (let j = 0; j < pd[1]; j++)
      for (let i = 0; i < pd[0]; i++) {
        const si = clamp(i - offset[0], dims[0]), sj = clamp(j - offset[1], dims[1]), sk = clamp(k - offset[2], dims[2]);
        out[i + pd[0] * (j + pd[1] * k)] = data[si + dims[0] * (sj + dims[1] * sk)] ? 1 : 0;
      }
  return { data: out, dims: pd, offset };
}

function crop(data: Uint8Array, dims: Vec3, padded: Vec3, offset: Vec3): Uint8Array {
  const out = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (let k = 0; k < dims[2]; k++)
    for (let j = 0; j < dims[1]; j++)
      for (let i = 0; i < dims[0]; i++)
        out[i + dims[0] * (j + dims[1] * k)] = data[i + offset[0] + padded[0] * (j + offset[1] + padded[1] * (k + offset[2]))] ?? 0;
  return out;
}

export function morphology(data: Uint8Array, grid: Grid, operation: Morphology, iterations = 1): Uint8Array {
  if (!(iterations >= 1)) throw new Error(`iterations must be at least 1, got ${iterations}`);
  const dims = grid.dims;
  if (operation === "erode") return repeat(data, dims, true, iterations);
  if (operation === "dilate") return repeat(data, dims, false, iterations);
  if (operation === "open") return repeat(repeat(data, dims, true, iterations), dims, false, iterations);
  const p = padEdge(data, dims, iterations);
  const closed = repeat(repeat(p.data, p.dims, false, iterations), p.dims, true, iterations);
  return crop(closed, dims, p.dims, p.offset);
}

export function combine(a: Uint8Array, b: Uint8Array, operation: SetOperation): Uint8Array {
  if (a.length !== b.length) throw new Error("the ROIs have different matrices");
  const out = new Uint8Array(a.length);
  for (let v = 0; v < a.length; v++) {
    const x = a[v] ? 1 : 0, y = b[v] ? 1 : 0;
    out[v] = operation === "union" ? x | y : operation === "intersection" ? x & y : x & (1 - y);
  }
  return out;
}

/**
 * Face-connected components of the voxels equal to `value` (typed-array breadth-first fill): a label per
 * voxel (0: not `value`) and each label's size and whether it touches the grid's border.
 */
export function components(data: Uint8Array, dims: Vec3, value: 0 | 1): { labels: Int32Array; sizes: number[]; border: boolean[] } {
  const labels = new Int32Array(data.length);
  const queue = new Int32Array(data.length);
  const sizes = [0];
  const border = [false];
  const ax = axes(dims);
  let next = 0;
  for (let s = 0; s < data.length; s++) {
    if ((data[s] ? 1 : 0) !== value || labels[s]) continue;
    next++;
    let head = 0, tail = 0, touches = false;
    queue[tail++] = s;
    labels[s] = next;
    while (head < tail) {
      const v = queue[head++]!;
      for (const { axis, stride, size } of ax) {
        const c = coord(v, dims, axis);
        if (c === 0 || c === size - 1) touches = true;
        for (const [ok, n] of [[c > 0, v - stride], [c < size - 1, v + stride]] as const) {
          if (ok && !labels[n] && (data[n] ? 1 : 0) === value) {
            labels[n] = next;
            queue[tail++] = n;
          }
        }
      }
    }
    sizes.push(tail);
    border.push(touches);
  }
  return { labels, sizes, border };
}

export function removeSalt(data: Uint8Array, grid: Grid, minVoxels: number): Uint8Array {
  if (!(minVoxels >= 1)) throw new Error(`the minimum component size must be at least 1 voxel, got ${minVoxels}`);
  const { labels, sizes } = components(data, grid.dims, 1);
  const out = new Uint8Array(data.length);
  for (let v = 0; v < data.length; v++) out[v] = labels[v] && sizes[labels[v]!]! >= minVoxels ? 1 : 0;
  return out;
}

export function fillHoles(data: Uint8Array, grid: Grid): Uint8Array {
  const { labels, border } = components(data, grid.dims, 0);
  const out = new Uint8Array(data.length);
  for (let v = 0; v < data.length; v++) out[v] = data[v] ? 1 : labels[v] && !border[labels[v]!] ? 1 : 0;
  return out;
}
