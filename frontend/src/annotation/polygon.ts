// The polygon pen's fill: an outline (world mm points on one slice of the ROI grid) rendered into the
// ROI: every voxel of that slice whose centre lies inside the outline (even-odd rule) is set. Pure (no
// niivue), so Node tests run it.

import { apply, type Grid, index, invert, type Vec3 } from "./grid";
import type { ChangeRecorder } from "./history";

export interface Outline {
  /** world mm, in drawing order (closed implicitly) */
  points: Vec3[];
  /** the voxel axis the slice keeps fixed, and that slice's index */
  fixed: 0 | 1 | 2;
  slice: number;
}

/** Even-odd point-in-polygon test of (x, y) against polygon `poly` ([x, y] pairs). */
export function insidePolygon(x: number, y: number, poly: [number, number][]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Set the voxels of the outline's slice inside it to `value`; the number of voxels inside. */
export function fillOutline(grid: Grid, rec: ChangeRecorder, outline: Outline, value: 0 | 1): number {
  if (outline.points.length < 3) return 0;
  const toVoxel = invert(grid.affine);
  const [a, b] = ([0, 1, 2] as const).filter((x) => x !== outline.fixed) as [0 | 1 | 2, 0 | 1 | 2];
  const poly = outline.points.map((p) => {
    const v = apply(toVoxel, p);
    return [v[a], v[b]] as [number, number];
  });
  const lo = (k: 0 | 1) => Math.max(0, Math.floor(Math.min(...poly.map((p) => p[k]))));
  const hi = (k: 0 | 1, n: number) => Math.min(n - 1, Math.ceil(Math.max(...poly.map((p) => p[k]))));
  let count = 0;
  const voxel: Vec3 = [0, 0, 0];
  voxel[outline.fixed] = outline.slice;
  if (outline.slice < 0 || outline.slice >= grid.dims[outline.fixed]) return 0;
  for (let y = lo(1); y <= hi(1, grid.dims[b]); y++)
    for (let x = lo(0); x <= hi(0, grid.dims[a]); x++) {
      if (!insidePolygon(x, y, poly)) continue;
      voxel[a] = x;
      voxel[b] = y;
      rec.set(index(grid, voxel[0], voxel[1], voxel[2]), value);
      count++;
    }
  return count;
}
