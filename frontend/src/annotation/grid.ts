// An ROI in the page: a binary mask on the voxel grid of its reference image (NIfTI order: x fastest).
// Index of voxel (i, j, k): i + nx * (j + ny * k). The affine is the reference's voxel-to-RAS matrix,
// row-major 4x4. These modules are pure (no niivue, no DOM) so Node tests and benchmarks run them.

export type Vec3 = [number, number, number];
export type Mat4 = number[]; // 16 numbers, row-major

export interface Grid {
  dims: Vec3;
  affine: Mat4;
}

export interface RoiVolume {
  grid: Grid;
  data: Uint8Array; // 0 outside, 1 inside
}

export function voxelCount(grid: Grid): number {
  return grid.dims[0] * grid.dims[1] * grid.dims[2];
}

export function emptyRoi(grid: Grid): RoiVolume {
  return { grid: { dims: [...grid.dims] as Vec3, affine: [...grid.affine] }, data: new Uint8Array(voxelCount(grid)) };
}

export function index(grid: Grid, i: number, j: number, k: number): number {
  return i + grid.dims[0] * (j + grid.dims[1] * k);
}

export function inside(grid: Grid, i: number, j: number, k: number): boolean {
  return i >= 0 && j >= 0 && k >= 0 && i < grid.dims[0] && j < grid.dims[1] && k < grid.dims[2];
}

/** A 2D ROI is one slice of its reference's grid: one dimension is 1. */
export function is2d(grid: Grid): boolean {
  return grid.dims.some((d) => d === 1);
}

export function determinant3(m: Mat4): number {
  const [a, b, c, , d, e, f, , g, h, i] = m as [number, number, number, number, number, number, number, number, number, number, number];
  return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
}

export function voxelVolumeMm3(grid: Grid): number {
  return Math.abs(determinant3(grid.affine));
}

/** The inverse of an affine 4x4 (row-major), for world -> voxel. */
export function invert(m: Mat4): Mat4 {
  const [a, b, c, tx, d, e, f, ty, g, h, i, tz] = m as [
    number, number, number, number, number, number, number, number, number, number, number, number,
  ];
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) throw new Error("the affine is not invertible");
  const r = [
    (e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det,
    (f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det,
    (d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det,
  ] as [number, number, number, number, number, number, number, number, number];
  return [
    r[0], r[1], r[2], -(r[0] * tx + r[1] * ty + r[2] * tz),
    r[3], r[4], r[5], -(r[3] * tx + r[4] * ty + r[5] * tz),
    r[6], r[7], r[8], -(r[6] * tx + r[7] * ty + r[8] * tz),
    0, 0, 0, 1,
  ];
}

export function apply(m: Mat4, p: Vec3): Vec3 {
  return [
    (m[0] ?? 0) * p[0] + (m[1] ?? 0) * p[1] + (m[2] ?? 0) * p[2] + (m[3] ?? 0),
    (m[4] ?? 0) * p[0] + (m[5] ?? 0) * p[1] + (m[6] ?? 0) * p[2] + (m[7] ?? 0),
    (m[8] ?? 0) * p[0] + (m[9] ?? 0) * p[1] + (m[10] ?? 0) * p[2] + (m[11] ?? 0),
  ];
}

/** The nearest voxel of a world position (RAS mm), or null outside the grid. */
export function worldToVoxel(grid: Grid, world: Vec3): Vec3 | null {
  const v = apply(invert(grid.affine), world).map((x) => Math.round(x)) as Vec3;
  return inside(grid, v[0], v[1], v[2]) ? v : null;
}

/**
 * The nearest voxel of a world position within `margin` voxels of the grid (clamped onto its border), or
 * null farther out: a 3D view's depth pick lands on the volume's outer face, half a voxel outside.
 */
export function worldToVoxelNear(grid: Grid, world: Vec3, margin = 1): Vec3 | null {
  const v = apply(invert(grid.affine), world).map((x) => Math.round(x)) as Vec3;
  if (v.some((x, a) => x < -margin || x > grid.dims[a]! - 1 + margin)) return null;
  return v.map((x, a) => Math.min(grid.dims[a]! - 1, Math.max(0, x))) as Vec3;
}

export function countInside(roi: RoiVolume): number {
  let n = 0;
  const d = roi.data;
  for (let x = 0; x < d.length; x++) n += d[x] ? 1 : 0;
  return n;
}

/** Centre of gravity in world mm, or null for an empty ROI. */
export function centreOfGravity(roi: RoiVolume): Vec3 | null {
  const [nx, ny] = roi.grid.dims;
  let si = 0, sj = 0, sk = 0, n = 0;
  const d = roi.data;
  for (let x = 0; x < d.length; x++) {
    if (!d[x]) continue;
    si += x % nx;
    sj += Math.floor(x / nx) % ny;
    sk += Math.floor(x / (nx * ny));
    n++;
  }
  return n ? apply(roi.grid.affine, [si / n, sj / n, sk / n]) : null;
}
