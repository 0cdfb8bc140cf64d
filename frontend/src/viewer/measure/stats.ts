/**
 * Statistics of a rectangle or ellipse drawn on one slice of a volume, in its voxel grid: the two
 * corners' voxel indices share the slice axis; the other two axes span the region. No niivue, no DOM.
 */

export interface RegionStats {
  n: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  areaMM2: number;
}

export type Vec3 = [number, number, number];

/**
 * `value(i, j, k)`: the (scaled) voxel value; `dims`: the volume's size; `spacing`: voxel size in mm.
 * The slice axis is the one on which both corners agree (null when the drag did not stay on one slice).
 */
export function regionStats(
  value: (i: number, j: number, k: number) => number,
  start: Vec3,
  end: Vec3,
  dims: Vec3,
  spacing: Vec3,
  shape: "rect" | "ellipse",
): RegionStats | null {
  const a = start.map(Math.round) as Vec3;
  const b = end.map(Math.round) as Vec3;
  const flat = [0, 1, 2].filter((d) => a[d] === b[d]);
  if (flat.length === 0) return null;
  const axis = flat[flat.length === 1 ? 0 : 2]!;
  const [u, v] = [0, 1, 2].filter((d) => d !== axis) as [number, number];
  const lo = (d: number) => Math.max(0, Math.min(a[d]!, b[d]!));
  const hi = (d: number) => Math.min(dims[d]! - 1, Math.max(a[d]!, b[d]!));
  const cu = (a[u]! + b[u]!) / 2;
  const cv = (a[v]! + b[v]!) / 2;
  const ru = (Math.abs(b[u]! - a[u]!) + 1) / 2;
  const rv = (Math.abs(b[v]! - a[v]!) + 1) / 2;
  let n = 0;
  let sum = 0;
  let sq = 0;
  let min = Infinity;
  let max = -Infinity;
  const at: Vec3 = [0, 0, 0];
  at[axis] = a[axis]!;
  if (at[axis]! < 0 || at[axis]! >= dims[axis]!) return null;
  for (let i = lo(u); i <= hi(u); i++) {
    for (let j = lo(v); j <= hi(v); j++) {
      if (shape === "ellipse" && ((i - cu) / ru) ** 2 + ((j - cv) / rv) ** 2 > 1) continue;
      at[u] = i;
      at[v] = j;
      const x = value(at[0], at[1], at[2]);
      if (!Number.isFinite(x)) continue;
      n += 1;
      sum += x;
      sq += x * x;
      min = Math.min(min, x);
      max = Math.max(max, x);
    }
  }
  if (n === 0) return null;
  const mean = sum / n;
  return { n, mean, std: Math.sqrt(Math.max(0, sq / n - mean * mean)), min, max, areaMM2: n * spacing[u]! * spacing[v]! };
}
