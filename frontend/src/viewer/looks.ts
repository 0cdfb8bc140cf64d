/**
 * How objects look (the viewbar): colormap, colour limits, opacity, visibility, 4D frame and outline,
 * shared by every viewport or overridden in one, their order, and the colour-limit presets. Functions
 * on the scene (scene.ts); the ViewerEngine (engine.ts) exposes them as methods.
 */
import type { NVImage } from "@niivue/niivue";
import { effectiveLook, type LimPreset, type LimPresets, type Look } from "./model";
import type { Item, LookScene, Scene } from "./scene";
import { presetsFor, sortedSample, valueAt, type WindowKind } from "./windows";
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
    const outlined = vp.slotOutline || vp.entries.some((e) => e.role === "overlay" && effectiveLook(engine.items.get(e.key)!.look, e.override).outline);
    vp.nv.overlayOutlineWidth = outlined ? 2 : 0;
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

/**
 * Apply the preset on `key` to every background image, each from the table that fits it (windows.ts);
 * false when no background has a preset on that key.
 */
export function applyLimPreset(engine: LookScene, key: string): boolean {
  let applied = false;
  for (const [index, vp] of engine.viewports.entries()) {
    const back = vp.entries.find((e) => e.vol !== null && e.role === "background");
    const item = back ? engine.items.get(back.key) : undefined;
    const preset = item ? presetsFor(engine.limPresets, item.window)[key] : undefined;
    if (!back?.vol || !item || !preset) continue;
    setLook(engine, index, back.key, limitsOf(preset, back.vol, item), false);
    applied = true;
  }
  return applied;
}

/** A preset's limits on an image: fixed, its values at two percentiles, or its robust range. */
function limitsOf(preset: LimPreset, vol: NVImage, item: Item): Pick<Look, "calMin" | "calMax"> {
  const robust = { calMin: Number(vol.robust_min ?? item.range[0]), calMax: Number(vol.robust_max ?? item.range[1]) };
  if (preset.limits) return { calMin: preset.limits[0], calMax: preset.limits[1] };
  if (!preset.percentiles || !vol.img) return robust;
  const slope = Number(vol.hdr?.scl_slope) || 1;
  const inter = Number(vol.hdr?.scl_inter) || 0;
  item.sample ??= sortedSample(vol.img, Number(vol.nVox3D ?? vol.img.length), slope, inter);
  const [lo, hi] = preset.percentiles.map((p) => valueAt(item.sample!, p)) as [number, number];
  return Number.isFinite(lo) && Number.isFinite(hi) && hi > lo ? { calMin: lo, calMax: hi } : robust;
}

/** The presets the toolbar lists: those fitting the active viewport's background (else the first one's). */
export function shownPresets(engine: LookScene, active: number): { kind: WindowKind | null; presets: LimPresets } {
  const backs = engine.viewports.map((vp) => vp.entries.find((e) => e.vol !== null && e.role === "background"));
  const back = backs[active] ?? backs.find((b) => b !== undefined);
  const item = back ? engine.items.get(back.key) : undefined;
  const kind = item?.window ?? null;
  return { kind, presets: presetsFor(engine.limPresets, kind ?? "CT") };
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
