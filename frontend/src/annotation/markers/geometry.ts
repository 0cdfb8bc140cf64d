/**
 * Where markers are drawn: a world point on one of niivue's 2D tiles (its screen position and its distance
 * from the tile's slice plane, so a marker shows only in the slice that holds it, within half a slice
 * thickness), the nearest drawn marker to a click, and the triangle meshes (spheres, tubes) of the 3D view.
 * Pure functions on numbers: no niivue instance, no DOM.
 */

export type Vec3 = [number, number, number];

/** The part of niivue's screen slice (`nv.screenSlices[i]`) that places a 2D tile on the canvas. */
export interface Tile {
  /** 0 axial, 1 coronal, 2 sagittal (higher: not a 2D tile) */
  axCorSag: number;
  /** the tile's left-top corner and extent in its in-plane mm (screen x, screen y) */
  leftTopMM: ArrayLike<number>;
  fovMM: ArrayLike<number>;
  /** canvas pixels: left, top, width (negative when mirrored, radiological), height */
  leftTopWidthHeight: ArrayLike<number>;
  /** the slice plane: a point (x, y, z in tile axes) and the plane's slopes along x and y */
  AxyzMxy: ArrayLike<number>;
}

/** The world axis (0 R, 1 A, 2 S) a tile looks along. */
export function depthAxis(axCorSag: number): 0 | 1 | 2 {
  return axCorSag === 2 ? 0 : axCorSag === 1 ? 1 : 2;
}

/** RAS mm into a tile's axes: screen x, screen y, depth (niivue's swizzle). */
function tileAxes(axCorSag: number, mm: Vec3): Vec3 {
  if (axCorSag === 1) return [mm[0], mm[2], mm[1]]; // coronal: R, S, A
  if (axCorSag === 2) return [mm[1], mm[2], mm[0]]; // sagittal: A, S, R
  return [mm[0], mm[1], mm[2]];
}

export interface OnTile {
  /** canvas pixels */
  x: number;
  y: number;
  /** mm between the point and the tile's slice plane (signed) */
  depth: number;
  /** canvas pixels per mm on this tile */
  scale: number;
}

/**
 * Where point `mm` (in the space niivue draws slices in) falls on `tile`: null when it is not a 2D tile
 * or the point lies outside the tile's field of view.
 */
export function onTile(tile: Tile, mm: Vec3): OnTile | null {
  if (tile.axCorSag < 0 || tile.axCorSag > 2 || tile.AxyzMxy.length < 5) return null;
  const [x, y, z] = tileAxes(tile.axCorSag, mm);
  const v = tile.AxyzMxy;
  const plane = v[2]! + v[4]! * (y - v[1]!) - v[3]! * (x - v[0]!);
  const fx = (x - tile.leftTopMM[0]!) / tile.fovMM[0]!;
  const fy = (y - tile.leftTopMM[1]!) / tile.fovMM[1]!;
  if (!(fx >= 0 && fx <= 1 && fy >= 0 && fy <= 1)) return null;
  let [left, top, width, height] = [0, 1, 2, 3].map((i) => tile.leftTopWidthHeight[i]!) as [number, number, number, number];
  let sx = fx;
  if (width < 0) {
    left += width;
    width = -width;
    sx = 1 - fx;
  }
  return { x: left + sx * width, y: top + (1 - fy) * height, depth: z - plane, scale: width / Math.abs(tile.fovMM[0]!) };
}

/** Whether a marker `depth` mm from a slice of `thickness` mm lies in it (half a thickness either side). */
export function inSlice(depth: number, thickness: number): boolean {
  return Math.abs(depth) <= Math.max(thickness, 1e-3) / 2 + 1e-6;
}

/** The nearest of `points` (canvas pixels) to (x, y) within `radius` pixels, or null. */
export function nearest(points: readonly { x: number; y: number; index: number }[], x: number, y: number, radius: number): number | null {
  let best: number | null = null;
  let bestD = radius * radius;
  for (const p of points) {
    const d = (p.x - x) ** 2 + (p.y - y) ** 2;
    if (d <= bestD) {
      bestD = d;
      best = p.index;
    }
  }
  return best;
}

/** `#rrggbb` as [r, g, b] 0-255 (yellow for anything else). */
export function rgb(color: string): Vec3 {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  return m ? [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)] : [255, 204, 0];
}

/** Triangles: vertex positions (x, y, z per vertex) and vertex indices (three per triangle). */
export interface Mesh {
  pts: number[];
  tris: number[];
}

/** Add a sphere of `radius` mm at `centre` (latitude/longitude rings: small and closed). */
export function addSphere(mesh: Mesh, centre: Vec3, radius: number, rings = 8, segments = 12) {
  const first = mesh.pts.length / 3;
  for (let i = 0; i <= rings; i++) {
    const theta = (Math.PI * i) / rings;
    for (let j = 0; j < segments; j++) {
      const phi = (2 * Math.PI * j) / segments;
      mesh.pts.push(
        centre[0] + radius * Math.sin(theta) * Math.cos(phi),
        centre[1] + radius * Math.sin(theta) * Math.sin(phi),
        centre[2] + radius * Math.cos(theta),
      );
    }
  }
  for (let i = 0; i < rings; i++) {
    for (let j = 0; j < segments; j++) {
      const a = first + i * segments + j;
      const b = first + i * segments + ((j + 1) % segments);
      const c = a + segments;
      const d = b + segments;
      mesh.tris.push(a, c, b, b, c, d);
    }
  }
}

/** Add an open tube of `radius` mm from `a` to `b` (a freeline's segment). */
export function addTube(mesh: Mesh, a: Vec3, b: Vec3, radius: number, segments = 8) {
  const axis: Vec3 = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
  const length = Math.hypot(...axis);
  if (length === 0) return;
  const n = axis.map((v) => v / length) as Vec3;
  // two unit vectors perpendicular to the axis
  const helper: Vec3 = Math.abs(n[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const cross = (p: Vec3, q: Vec3): Vec3 => [p[1] * q[2] - p[2] * q[1], p[2] * q[0] - p[0] * q[2], p[0] * q[1] - p[1] * q[0]];
  const u0 = cross(n, helper);
  const ul = Math.hypot(...u0);
  const u = u0.map((v) => v / ul) as Vec3;
  const w = cross(n, u);
  const first = mesh.pts.length / 3;
  for (const end of [a, b]) {
    for (let j = 0; j < segments; j++) {
      const phi = (2 * Math.PI * j) / segments;
      const [c, s] = [Math.cos(phi) * radius, Math.sin(phi) * radius];
      mesh.pts.push(end[0] + c * u[0] + s * w[0], end[1] + c * u[1] + s * w[1], end[2] + c * u[2] + s * w[2]);
    }
  }
  for (let j = 0; j < segments; j++) {
    const p = first + j;
    const q = first + ((j + 1) % segments);
    mesh.tris.push(p, q, p + segments, q, q + segments, p + segments);
  }
}

/** The 3D mesh of a marker set: a sphere of its size per point, and tubes joining a freeline's waypoints. */
export function markerMesh(points: readonly Vec3[], size: number, freeline: boolean): Mesh {
  const mesh: Mesh = { pts: [], tris: [] };
  const radius = Math.max(size, 0.1) / 2;
  for (const p of points) addSphere(mesh, p, radius);
  if (freeline) for (let i = 1; i < points.length; i++) addTube(mesh, points[i - 1]!, points[i]!, radius / 3);
  return mesh;
}
