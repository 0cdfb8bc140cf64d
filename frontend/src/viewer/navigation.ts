/**
 * Moving around: the crosshair linked between viewports in world millimetres, slice stepping, zoom and
 * pan, the wheel, the left-button gestures of gestures.ts (pan, time-series pin), 4D frames, mosaic
 * columns and the values under the crosshair. Functions on the scene (scene.ts); the ViewerEngine
 * (engine.ts) exposes them as methods.
 */
import type { NVImage } from "@niivue/niivue";
import type { Gesture, PanStart } from "./gestures";
import { setLook } from "./looks";
import { MOSAIC_COLUMNS, effectiveLook, viewportCount } from "./model";
import type { NavScene, Scene, ValueAt } from "./scene";
import { AXIS, PANNABLE, applySlice, fourD, type Viewport } from "./viewport";

// ------------------------------------------------------------------ crosshair

/** niivue moved the crosshair in viewport `index`: take its world position to every other viewport. */
export function crosshairMoved(engine: NavScene, index: number) {
  const vp = engine.viewports[index];
  if (!vp || vp.nv.volumes.length + vp.nv.meshes.length === 0) return;
  const mm = vp.nv.frac2mm(vp.nv.scene.crosshairPos, 0, true);
  engine.crosshairMM = [mm[0]!, mm[1]!, mm[2]!];
  for (const other of engine.viewports) if (other !== vp) syncCrosshairTo(engine, other);
  engine.changed();
}

/** Put `vp`'s crosshair at the engine's world position (or take it from `vp` when there is none yet). */
export function syncCrosshairTo(engine: NavScene, vp: Viewport) {
  if (!engine.crosshairMM || !vp.canvas || vp.nv.volumes.length + vp.nv.meshes.length === 0) {
    if (vp.nv.volumes.length > 0 && !engine.crosshairMM) {
      const mm = vp.nv.frac2mm(vp.nv.scene.crosshairPos, 0, true);
      engine.crosshairMM = [mm[0]!, mm[1]!, mm[2]!];
    }
    return;
  }
  const frac = vp.nv.mm2frac(engine.crosshairMM as unknown as Float32Array, 0, true);
  vp.nv.scene.crosshairPos = frac;
  vp.nv.drawScene();
}

export function setCrosshairMM(engine: NavScene, mm: [number, number, number]) {
  engine.crosshairMM = mm;
  for (const vp of engine.viewports) syncCrosshairTo(engine, vp);
  engine.changed();
}

export function resetCrosshair(engine: NavScene) {
  const index = engine.viewports.findIndex((v) => v.nv.volumes.length > 0);
  if (index >= 0) centreCrosshair(engine, index);
}

/** Put the crosshair in the middle of viewport `index`'s background, in every viewport. */
export function centreCrosshair(engine: NavScene, index: number) {
  const vp = engine.viewports[index];
  if (!vp || vp.nv.volumes.length === 0) return;
  vp.nv.scene.crosshairPos = [0.5, 0.5, 0.5] as unknown as typeof vp.nv.scene.crosshairPos;
  crosshairMoved(engine, index);
}

/** Voxel indices of world position `mm` in `vol`, or null outside its grid. */
export function voxelAt(vol: NVImage, mm: [number, number, number]): number[] | null {
  const vox = Array.from(vol.mm2vox(mm as unknown as number[]));
  const dims = (vol.dimsRAS ?? vol.dims ?? []).map(Number);
  return vox.every((v, i) => v >= 0 && v < (dims[i + 1] ?? Number.POSITIVE_INFINITY)) ? vox : null;
}

/** Whether world position `mm` (none: no) lies in `vol`'s grid. */
export function inside(vol: NVImage, mm: [number, number, number] | null): boolean {
  return mm !== null && voxelAt(vol, mm) !== null;
}

/** Step slices in viewport `index` by `steps` times the scroll speed. */
export function step(engine: NavScene, index: number, steps: number) {
  const vp = engine.viewports[index];
  if (!vp || vp.nv.volumes.length === 0) return;
  const axis = AXIS[vp.slice];
  if (axis === undefined) return;
  const d = [0, 0, 0];
  d[axis] = steps * engine.scrollSpeed;
  vp.nv.moveCrosshairInVox(d[0]!, d[1]!, d[2]!);
  crosshairMoved(engine, index);
}

/** Value of every loaded image at the crosshair (each object once). */
export function values(engine: NavScene): ValueAt[] {
  const out: ValueAt[] = [];
  const seen = new Set<string>();
  if (!engine.crosshairMM) return out;
  for (const vp of engine.viewports.slice(0, viewportCount(engine.layout))) {
    for (const e of vp.entries) {
      if (seen.has(e.key) || !e.vol) continue;
      seen.add(e.key);
      const vol = e.vol;
      const vox = voxelAt(vol, engine.crosshairMM);
      const raw = vox ? Number(vol.getValue(vox[0]!, vox[1]!, vox[2]!, vol.frame4D)) : Number.NaN;
      const value = Number.isFinite(raw) ? raw : null;
      out.push({ key: e.key, name: engine.items.get(e.key)?.source.name ?? e.key, value, vox });
    }
  }
  return out;
}

// ------------------------------------------------------------------ zoom and pan

export function zoom(engine: Scene, index: number, factor: number) {
  const vp = engine.viewports[index];
  if (!vp) return;
  const p = vp.nv.scene.pan2Dxyzmm;
  vp.nv.setPan2Dxyzmm([p[0]!, p[1]!, p[2]!, Math.max(0.2, Math.min(20, p[3]! * factor))]);
  engine.changed();
}

export function resetView(engine: Scene, index: number) {
  const vp = engine.viewports[index];
  if (!vp) return;
  vp.nv.setPan2Dxyzmm([0, 0, 0, 1]);
  vp.nv.drawScene();
  engine.changed();
}

/** Centre viewport `index` on the crosshair at its current zoom. */
export function centre(engine: Scene, index: number) {
  const vp = engine.viewports[index];
  const back = vp?.nv.volumes[0];
  if (!vp || !back || !PANNABLE.includes(vp.slice)) return;
  // niivue shows [(lo - pan) / zoom, (hi - pan) / zoom] of the volume's extent (in the same mm space as
  // frac2mm without forcing world mm): the crosshair p is centred when pan = centre - zoom * p.
  const p = vp.nv.frac2mm(vp.nv.scene.crosshairPos);
  const [lo, hi] = [back.extentsMinOrtho, back.extentsMaxOrtho];
  if (!lo || !hi) return;
  const zoom = vp.nv.scene.pan2Dxyzmm[3]!;
  const pan = [0, 1, 2].map((i) => (lo[i]! + hi[i]!) / 2 - zoom * p[i]!);
  vp.nv.setPan2Dxyzmm([pan[0]!, pan[1]!, pan[2]!, zoom]);
  engine.changed();
}

// ------------------------------------------------------------------ left-button gestures (gestures.ts)

export function accepts(engine: Scene, index: number, gesture: Gesture): boolean {
  const vp = engine.viewports[index];
  if (gesture === "window") return !!vp?.entries.some((e) => e.vol !== null && e.role === "background");
  if (!vp || vp.nv.volumes.length === 0 || vp.slice === "render") return false;
  if (gesture === "pin") return fourD(vp) !== null;
  return PANNABLE.includes(vp.slice);
}

/** The 2D viewports a pan moves: this one, or (`all`) every pannable one with an image. */
export function panStart(engine: Scene, index: number, all: boolean): PanStart {
  const start: PanStart = new Map();
  engine.viewports.slice(0, viewportCount(engine.layout)).forEach((vp, i) => {
    if (i === index || (all && vp.nv.volumes.length > 0 && PANNABLE.includes(vp.slice))) {
      const p = vp.nv.scene.pan2Dxyzmm;
      start.set(i, [p[0]!, p[1]!, p[2]!, p[3]!]);
    }
  });
  return start;
}

/** Move every viewport of `start` by the same world distance `delta` (mm), at its own zoom. */
export function panFrom(engine: Scene, start: PanStart, delta: [number, number, number]) {
  for (const [i, p] of start) {
    const zoom = p[3];
    engine.viewports[i]!.nv.setPan2Dxyzmm([p[0] + zoom * delta[0], p[1] + zoom * delta[1], p[2] + zoom * delta[2], zoom]);
  }
}

/** Pin the time series of the viewport's 4D image at canvas pixel (x, y). */
export function pinAt(engine: NavScene, index: number, x: number, y: number) {
  const vp = engine.viewports[index];
  const entry = vp ? fourD(vp) : null;
  if (!vp || !entry?.vol) return;
  const frac = vp.nv.canvasPos2frac([x, y]);
  if (!(frac[0]! >= 0)) return;
  const world = vp.nv.frac2mm(frac, 0, true);
  const mm: [number, number, number] = [world[0]!, world[1]!, world[2]!];
  const vol = entry.vol;
  const vox = voxelAt(vol, mm);
  if (vox === null) return;
  const frames = Number(vol.nFrame4D ?? 1);
  const values = Array.from({ length: frames }, (_, t) => Number(vol.getValue(vox[0]!, vox[1]!, vox[2]!, t)));
  engine.pin = { index, key: entry.key, name: engine.items.get(entry.key)?.source.name ?? entry.key, mm, vox, values };
  engine.changed();
}

// ------------------------------------------------------------------ wheel

/** The next / previous time point of the viewport's 4D image (every viewport showing it). */
export function stepFrame(engine: NavScene, index: number, delta: number) {
  const vp = engine.viewports[index];
  const entry = vp ? fourD(vp) : null;
  const item = entry ? engine.items.get(entry.key) : undefined;
  if (!vp || !entry || !item) return;
  const look = effectiveLook(item.look, entry.override);
  const frame = Math.max(0, Math.min(item.frames - 1, look.frame + delta));
  if (frame !== look.frame) setLook(engine, index, entry.key, { frame }, entry.override.frame !== undefined);
}

/** More or fewer columns in mosaic slicing. */
export function mosaicColumns(engine: Scene, index: number, delta: number) {
  const vp = engine.viewports[index];
  if (!vp || vp.slice !== "mosaic") return;
  vp.mosaicColumns = Math.max(MOSAIC_COLUMNS.min, Math.min(MOSAIC_COLUMNS.max, vp.mosaicColumns + delta));
  applySlice(vp);
  vp.nv.drawScene();
  engine.changed();
}

/** The wheel on viewport `index`'s canvas, before niivue: slices, Ctrl zoom, Shift frames or columns. */
export function wheel(engine: NavScene, index: number, e: WheelEvent) {
  const vp = engine.viewports[index];
  if (!vp || vp.slice === "render" || vp.slice === "multiplanar") {
    if (e.ctrlKey) e.preventDefault();
    return; // niivue's own wheel: zoom the 3D camera
  }
  e.preventDefault();
  e.stopImmediatePropagation();
  // Chromium turns a Shift + wheel into a horizontal scroll: deltaX then carries it.
  const up = (e.deltaY || e.deltaX) < 0;
  if (e.shiftKey && vp.slice === "mosaic") mosaicColumns(engine, index, up ? 1 : -1);
  else if (e.shiftKey) stepFrame(engine, index, up ? 1 : -1);
  else if (e.ctrlKey && vp.slice === "mosaic") return; // niivue draws mosaic tiles unzoomed
  else if (e.ctrlKey) zoom(engine, index, up ? 1.15 : 1 / 1.15);
  else step(engine, index, up ? 1 : -1);
}
