/**
 * How objects look (the viewbar): colormap, colour limits, opacity, visibility, 4D frame and outline,
 * shared by every viewport or overridden in one, their order, and the colour-limit presets. Functions
 * on the scene (scene.ts); the ViewerEngine (engine.ts) exposes them as methods.
 */
import type { NVImage } from "@niivue/niivue";
import { effectiveLook, type Look } from "./model";
import type { LookScene, Scene } from "./scene";
import type { Entry, Viewport } from "./viewport";

/** Give niivue the look of `entry` in `vp` (its item's look with the viewport's override). */
export function applyLook(engine: Scene, vp: Viewport, entry: Entry) {
  const item = engine.items.get(entry.key);
  if (!item) return;
  const look = effectiveLook(item.look, entry.override);
  if (entry.vol) {
    const vol = entry.vol;
    vol.colormap = look.colormap;
    if (Number.isFinite(look.calMin)) vol.cal_min = look.calMin;
    if (Number.isFinite(look.calMax)) vol.cal_max = look.calMax;
    vol.opacity = look.visible ? look.opacity : 0;
    if ((vol.nFrame4D ?? 1) > 1 && vol.frame4D !== look.frame) vp.nv.setFrame4D(vol.id, look.frame);
    vp.nv.overlayOutlineWidth = vp.entries.some((e) => e.role === "overlay" && effectiveLook(engine.items.get(e.key)!.look, e.override).outline) ? 2 : 0;
    vp.nv.updateGLVolume();
  } else if (entry.mesh) {
    const idx = vp.nv.meshes.indexOf(entry.mesh);
    if (idx >= 0) {
      entry.mesh.opacity = look.visible ? look.opacity : 0;
      entry.mesh.visible = look.visible;
      entry.mesh.updateMesh(vp.nv.gl);
    }
    vp.nv.drawScene();
  }
}

/** Change a property of an object: everywhere, or (`onlyHere`) only in viewport `index`. */
export function setLook(engine: Scene, index: number, key: string, change: Partial<Look>, onlyHere: boolean) {
  const item = engine.items.get(key);
  if (!item) return;
  if (onlyHere) {
    for (const e of engine.viewports[index]?.entries ?? []) if (e.key === key) e.override = { ...e.override, ...change };
  } else {
    // A change for every viewport wins over what a viewport had of its own (NORA: viewbar properties
    // apply everywhere); only Shift keeps a viewport apart.
    item.look = { ...item.look, ...change };
    for (const vp of engine.viewports) for (const e of vp.entries) if (e.key === key) e.override = withoutKeys(e.override, change);
  }
  for (const vp of engine.viewports) for (const e of vp.entries) if (e.key === key) applyLook(engine, vp, e);
  engine.changed();
}

function withoutKeys(override: Partial<Look>, change: Partial<Look>): Partial<Look> {
  const out: Partial<Look> = { ...override };
  for (const k of Object.keys(change) as (keyof Look)[]) delete out[k];
  return out;
}

/** Move an object one place up (towards the top overlay) or down in viewport `index`. */
export function reorder(engine: Scene, index: number, key: string, delta: 1 | -1) {
  const vp = engine.viewports[index];
  if (!vp) return;
  const vols = vp.entries.filter((e) => e.vol !== null);
  const at = vols.findIndex((e) => e.key === key);
  const to = at + delta;
  if (at < 0 || to < 0 || to >= vols.length) return;
  const moving = vols[at]!;
  const other = vols[to]!;
  vp.nv.setVolume(moving.vol!, to);
  [moving.role, other.role] = [other.role, moving.role];
  const a = vp.entries.indexOf(moving);
  const b = vp.entries.indexOf(other);
  vp.entries[a] = other;
  vp.entries[b] = moving;
  for (const e of vp.entries) applyLook(engine, vp, e);
  engine.changed();
}

/** Apply the colour-limit preset on `key` to every background image; false when the key has none. */
export function applyLimPreset(engine: LookScene, key: string): boolean {
  const preset = engine.limPresets[key];
  if (!preset) return false;
  for (const [index, vp] of engine.viewports.entries()) {
    const back = vp.entries.find((e) => e.vol !== null && e.role === "background");
    if (!back) continue;
    const item = engine.items.get(back.key)!;
    const [calMin, calMax] = preset.limits ?? [Number(back.vol!.robust_min ?? item.range[0]), Number(back.vol!.robust_max ?? item.range[1])];
    setLook(engine, index, back.key, { calMin, calMax }, false);
  }
  return true;
}

/**
 * Window/level by middle drag, from the limits `start` when the button went down: right widens the
 * window, up raises the level, one canvas width or height spans the image's whole range. Goes through
 * setLook like the viewbar, so every viewport, the viewbar and shared links follow while dragging.
 */
export function windowFrom(engine: LookScene, index: number, key: string, start: [number, number], moved: [number, number]) {
  const item = engine.items.get(key);
  if (!item) return;
  const span = Math.max(item.range[1] - item.range[0], Number.EPSILON);
  const level = (start[0] + start[1]) / 2 - moved[1] * span;
  const width = Math.max(span / 1000, start[1] - start[0] + moved[0] * span);
  setLook(engine, index, key, { calMin: level - width / 2, calMax: level + width / 2 }, engine.shift);
}

/** niivue changed the limits of `vol` itself (its reset on a double tap): take them into the look. */
export function windowChanged(engine: LookScene, index: number, vol: NVImage) {
  const entry = engine.viewports[index]?.entries.find((e) => e.vol === vol);
  if (entry) setLook(engine, index, entry.key, { calMin: vol.cal_min, calMax: vol.cal_max }, engine.shift);
}
