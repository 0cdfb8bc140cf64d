// NORA's ROIstats in the page, computed exactly as the server's nora.imaging.roi.roi_stats: values of the
// image inside the ROI (the image sampled trilinearly at the ROI's voxel centres when its grid differs,
// values outside the image left out), population std, numpy's default linear percentiles.

import { apply, type Grid, invert, is2d, type Mat4, type RoiVolume, voxelVolumeMm3 } from "./grid";
import { csvText } from "../lib/csv";

export interface ImageVolume {
  grid: Grid;
  data: ArrayLike<number>; // the first frame of a 4D image
}

export interface RoiStats {
  voxels: number;
  volume_ml: number;
  area_cm2: number | null;
  mean: number | null;
  std: number | null;
  median: number | null;
  p25: number | null;
  p75: number | null;
  min: number | null;
  max: number | null;
}

export const STAT_COLUMNS: (keyof RoiStats)[] = ["voxels", "volume_ml", "area_cm2", "mean", "std", "median", "p25", "p75", "min", "max"];

const TOLERANCE = 1e-4;

export function sameGrid(a: Grid, b: Grid): boolean {
  return a.dims.every((d, n) => d === b.dims[n]) && a.affine.every((x, n) => Math.abs(x - (b.affine[n] ?? NaN)) <= TOLERANCE);
}

/** numpy.percentile(values, p) with the default linear method; `sorted` ascending. */
export function percentile(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  const pos = (p / 100) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const t = pos - lo;
  const a = sorted[lo] ?? NaN, b = sorted[hi] ?? NaN;
  // numpy's _lerp: a + (b - a) * t, computed from the upper end when t >= 0.5
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

/** The in-plane area (mm²) of one voxel of a 2D ROI: |u x v| of its two in-plane axes. */
export function inPlaneAreaMm2(grid: Grid): number {
  const m = grid.affine;
  let axes = [0, 1, 2].filter((a) => grid.dims[a] !== 1).slice(0, 2);
  if (axes.length < 2) axes = [...[0, 1, 2].filter((a) => !axes.includes(a)).slice(0, 2 - axes.length), ...axes];
  const col = (a: number) => [m[a] ?? 0, m[4 + a] ?? 0, m[8 + a] ?? 0];
  const u = col(axes[0] ?? 0), v = col(axes[1] ?? 1);
  const c = [
    (u[1] ?? 0) * (v[2] ?? 0) - (u[2] ?? 0) * (v[1] ?? 0),
    (u[2] ?? 0) * (v[0] ?? 0) - (u[0] ?? 0) * (v[2] ?? 0),
    (u[0] ?? 0) * (v[1] ?? 0) - (u[1] ?? 0) * (v[0] ?? 0),
  ];
  return Math.hypot(c[0] ?? 0, c[1] ?? 0, c[2] ?? 0);
}

/** scipy.ndimage.map_coordinates(order=1, mode="nearest") at one point; NaN more than half a voxel outside. */
function trilinear(img: ImageVolume, p: [number, number, number]): number {
  const [nx, ny, nz] = img.grid.dims;
  if (p[0] < -0.5 || p[1] < -0.5 || p[2] < -0.5 || p[0] > nx - 0.5 || p[1] > ny - 0.5 || p[2] > nz - 0.5) return NaN;
  const clamp = (x: number, n: number) => Math.min(Math.max(x, 0), n - 1);
  const i0 = Math.floor(p[0]), j0 = Math.floor(p[1]), k0 = Math.floor(p[2]);
  const fi = p[0] - i0, fj = p[1] - j0, fk = p[2] - k0;
  let sum = 0;
  for (let dk = 0; dk <= 1; dk++)
    for (let dj = 0; dj <= 1; dj++)
      for (let di = 0; di <= 1; di++) {
        const w = (di ? fi : 1 - fi) * (dj ? fj : 1 - fj) * (dk ? fk : 1 - fk);
        if (w === 0) continue;
        const i = clamp(i0 + di, nx), j = clamp(j0 + dj, ny), k = clamp(k0 + dk, nz);
        sum += w * (img.data[i + nx * (j + ny * k)] ?? 0);
      }
  return sum;
}

/** The image's values at the ROI's inside voxels (NaN/outside values dropped). */
export function valuesInside(image: ImageVolume, roi: RoiVolume): Float64Array {
  const out: number[] = [];
  const d = roi.data;
  if (sameGrid(image.grid, roi.grid)) {
    for (let v = 0; v < d.length; v++) if (d[v]) out.push(Number(image.data[v]));
  } else {
    const toImage: Mat4 = multiply(invert(image.grid.affine), roi.grid.affine);
    const [nx, ny] = roi.grid.dims;
    for (let v = 0; v < d.length; v++) {
      if (!d[v]) continue;
      const i = v % nx, j = Math.floor(v / nx) % ny, k = Math.floor(v / (nx * ny));
      out.push(trilinear(image, apply(toImage, [i, j, k])));
    }
  }
  return Float64Array.from(out.filter((x) => Number.isFinite(x)));
}

export function multiply(a: Mat4, b: Mat4): Mat4 {
  const out = new Array<number>(16).fill(0);
  for (let r = 0; r < 4; r++)
    for (let c = 0; c < 4; c++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += (a[r * 4 + k] ?? 0) * (b[k * 4 + c] ?? 0);
      out[r * 4 + c] = s;
    }
  return out;
}

/** numpy's pairwise summation of float64 (pairwise_sum_DOUBLE: blocks of 128, eight partial sums), so the
 * mean and std are the server's to the last bit. */
function pairwiseSum(x: Float64Array, lo: number, n: number): number {
  if (n < 8) {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[lo + i] ?? 0;
    return s;
  }
  if (n <= 128) {
    const r = new Float64Array(8);
    for (let j = 0; j < 8; j++) r[j] = x[lo + j] ?? 0;
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] = (r[j] ?? 0) + (x[lo + i + j] ?? 0);
    let s = ((r[0]! + r[1]!) + (r[2]! + r[3]!)) + ((r[4]! + r[5]!) + (r[6]! + r[7]!));
    for (; i < n; i++) s += x[lo + i] ?? 0;
    return s;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(x, lo, n2) + pairwiseSum(x, lo + n2, n - n2);
}

export function roiStats(image: ImageVolume, roi: RoiVolume): RoiStats {
  let voxels = 0;
  for (let v = 0; v < roi.data.length; v++) voxels += roi.data[v] ? 1 : 0;
  const volume_ml = (voxels * voxelVolumeMm3(roi.grid)) / 1000;
  const area_cm2 = is2d(roi.grid) ? (inPlaneAreaMm2(roi.grid) * voxels) / 100 : null;
  const values = valuesInside(image, roi);
  if (values.length === 0) return { voxels, volume_ml, area_cm2, mean: null, std: null, median: null, p25: null, p75: null, min: null, max: null };
  const mean = pairwiseSum(values, 0, values.length) / values.length;
  const dev = values.map((x) => (x - mean) * (x - mean));
  const std = Math.sqrt(pairwiseSum(dev, 0, dev.length) / values.length);
  const sorted = Float64Array.from(values).sort();
  return {
    voxels, volume_ml, area_cm2, mean, std,
    median: percentile(sorted, 50), p25: percentile(sorted, 25), p75: percentile(sorted, 75),
    min: sorted[0] ?? null, max: sorted[sorted.length - 1] ?? null,
  };
}

/** ROIstats rows as CSV (the window's "copy as CSV"; names guarded against spreadsheet formulas). */
export function statsCsv(rows: { roi: string; image: string; stats: RoiStats }[]): string {
  return csvText(["roi", "image", ...STAT_COLUMNS], rows.map((r) => [r.roi, r.image, ...STAT_COLUMNS.map((c) => r.stats[c])]));
}
