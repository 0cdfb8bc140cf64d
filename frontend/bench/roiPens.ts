// Timings of the ROI tool's pens in V8 (the engine of Chromium), run by benchmarks/roi.py under Node:
// a paint stroke and a magic-pen stroke of radius 10 voxels, and 3D region growing, on a 256^3 grid with
// the same smooth image the Python part builds (read from the file given as the first argument).
import { readFileSync } from "node:fs";
import { emptyRoi, type Grid } from "../src/annotation/grid";
import { ChangeRecorder } from "../src/annotation/history";
import { magicPen, paint, regionGrow } from "../src/annotation/pens";

const [file, n, seedText, repeatsText] = process.argv.slice(2);
const size = Number(n);
const grid: Grid = { dims: [size, size, size], affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] };
const buf = readFileSync(file!);
const image = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
const seed = JSON.parse(seedText!) as [number, number, number];
const repeats = Number(repeatsText ?? 5);

function best(fn: () => void): number {
  let t = Infinity;
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    fn();
    t = Math.min(t, performance.now() - start);
  }
  return t;
}

const roi = emptyRoi(grid);
const centre: [number, number, number] = [size / 2, size / 2, size / 2];
const out = {
  paint_disc_ms: best(() => paint(roi, new ChangeRecorder(roi), { centre, radius: 10, fixed: 2 }, 1)),
  paint_sphere_ms: best(() => paint(roi, new ChangeRecorder(roi), { centre, radius: 10, fixed: null }, 1)),
  magic_pen_ms: best(() => magicPen(roi, new ChangeRecorder(roi), image, { centre, radius: 10, fixed: 2 }, { similarity: 0.1, window: [0, 1000], connected: true }, 1)),
  region_grow_ms: 0,
  region_voxels: 0,
  region_grow_all_ms: 0,
  region_all_voxels: 0,
};
out.region_grow_ms = best(() => {
  const r = emptyRoi(grid);
  out.region_voxels = regionGrow(r, new ChangeRecorder(r), image, seed, 600, 1000, null);
});
out.region_grow_all_ms = best(() => {
  const r = emptyRoi(grid);
  out.region_all_voxels = regionGrow(r, new ChangeRecorder(r), image, seed, -1e9, 1e9, null); // the whole grid
});
console.log(JSON.stringify(out));
