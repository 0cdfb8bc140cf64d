/**
 * Putting objects into viewports and taking them out: volumes and meshes read by niivue from cached
 * bytes, the items they share between viewports, and a generation that drops loads begun before a
 * case switch. Functions on the scene (scene.ts); the ViewerEngine (engine.ts) exposes them as methods.
 */
import { NVImage, NVMesh } from "@niivue/niivue";
import { applyLook } from "./looks";
import { defaultLook, readerName, type Look, type Role, type Source } from "./model";
import { centreCrosshair, inside, syncCrosshairTo } from "./navigation";
import type { Item, LoadScene, Scene } from "./scene";
import { applySlice, keepSlotsOnTop, removeEntry, type Entry, type Viewport } from "./viewport";
import { windowKind } from "./windows";

/** Show `source` in viewport `index` as background, overlay or in 3D; false when it was not shown. */
export async function load(engine: LoadScene, source: Source, index: number, role: Role, look: Partial<Look> | undefined, generation: number): Promise<boolean> {
  const vp = engine.viewports[index];
  if (!vp) {
    engine.message(`Viewport ${index + 1} does not exist in this layout; ${source.name} was not loaded`);
    return false;
  }
  engine.loading += 1;
  engine.changed();
  try {
    await vp.ready;
    const bytes = source.local ? await source.local.arrayBuffer() : await engine.cache.get(source.url ?? "");
    if (generation !== engine.generation) return false;
    const item = engine.items.get(source.key);
    // Any other image shown (the same one in other viewports does not count) keeps the crosshair.
    const alone = !engine.viewports.some((v) => v.entries.some((e) => e.vol !== null && e.key !== source.key));
    if (source.kind === "volume") {
      await addVolume(engine, vp, source, bytes, role, look, item);
    } else {
      await addMesh(engine, vp, source, bytes, role);
    }
    if (generation !== engine.generation) {
      removeFrom(engine, index, source.key);
      return false;
    }
    const back = vp.entries[0];
    if (source.kind === "volume" && back?.key === source.key && back.vol && (alone || !inside(back.vol, engine.crosshairMM))) {
      centreCrosshair(engine, index); // a new background (after Clear, or elsewhere in space) is seen at once
    }
    syncCrosshairTo(engine, vp);
    vp.nv.drawScene();
    engine.onFirstFrame?.(source.name);
    return true;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    engine.message(`Could not show ${source.name}: ${reason || "the file could not be read"}`);
    return false;
  } finally {
    engine.loading -= 1;
    engine.changed();
  }
}

async function addVolume(engine: LoadScene, vp: Viewport, source: Source, bytes: ArrayBuffer, role: Role, look: Partial<Look> | undefined, item: Item | undefined) {
  const name = readerName(source);
  const vol = await NVImage.loadFromUrl({ url: name, name, buffer: bytes.slice(0) });
  if (!vol || !vol.img || vol.img.length === 0) throw new Error("not an image niivue can read");
  const hasBack = vp.entries.some((e) => e.vol !== null && e.role === "background");
  const actualRole: Role = role === "3d" ? "background" : role === "overlay" && !hasBack ? "background" : role;
  if (actualRole === "background") {
    for (const e of vp.entries.filter((x) => x.vol !== null && x.role === "background")) removeEntry(vp, e);
  }
  const overlays = vp.entries.filter((e) => e.role === "overlay").length;
  const base = item?.look ?? { ...defaultLook(actualRole, overlays), ...(look ?? {}) };
  if (!item) {
    const range: [number, number] = [Number(vol.global_min ?? vol.cal_min), Number(vol.global_max ?? vol.cal_max)];
    if (!Number.isFinite(base.calMin)) base.calMin = Number(vol.cal_min);
    if (!Number.isFinite(base.calMax)) base.calMax = Number(vol.cal_max);
    const window = windowKind(source.modality, range[0]);
    engine.items.set(source.key, { source, look: base, range, frames: Number(vol.nFrame4D ?? 1) || 1, window });
  }
  const entry: Entry = { key: source.key, role: actualRole, override: {}, vol, mesh: null };
  // Every GL volume update is costly (seconds with software WebGL): set the look first, update once.
  const look0 = engine.items.get(source.key)!.look;
  vol.colormap = look0.colormap;
  if (Number.isFinite(look0.calMin)) vol.cal_min = look0.calMin;
  if (Number.isFinite(look0.calMax)) vol.cal_max = look0.calMax;
  vol.opacity = look0.visible ? look0.opacity : 0;
  const alone = vp.nv.volumes.length === 0;
  if (actualRole === "background") vp.entries.unshift(entry);
  else vp.entries.push(entry);
  if (alone || actualRole !== "background") {
    vp.nv.addVolume(vol);
    keepSlotsOnTop(vp);
  } else {
    vp.nv.volumes.unshift(vol);
    vp.nv.setVolume(vol, 0);
  }
  if (look0.frame > 0) applyLook(engine, vp, entry);
  if (vp.slice === "mosaic") applySlice(vp);
  if (role === "3d") showIn3D(vp);
}

async function addMesh(engine: Scene, vp: Viewport, source: Source, bytes: ArrayBuffer, role: Role) {
  const name = readerName(source);
  const mesh = await NVMesh.loadFromUrl({ url: name, name, buffer: bytes.slice(0), gl: vp.nv.gl });
  if (!mesh || !mesh.pts || mesh.pts.length === 0) throw new Error("not a mesh or tract niivue can read");
  vp.nv.addMesh(mesh);
  if (!engine.items.has(source.key)) {
    engine.items.set(source.key, { source, look: { ...defaultLook("3d", 0) }, range: [0, 1], frames: 1, window: "MR" });
  }
  const entry: Entry = { key: source.key, role: "3d", override: {}, vol: null, mesh };
  vp.entries.push(entry);
  applyLook(engine, vp, entry);
  if (role === "3d") showIn3D(vp);
}

/** A 3D object switches its viewport to the 3D render (the load announces the change when it ends). */
function showIn3D(vp: Viewport) {
  vp.slice = "render";
  applySlice(vp);
}

/** Take object `key` out of viewport `index`; an overlay left alone becomes the background. */
export function removeFrom(engine: LoadScene, index: number, key: string) {
  const vp = engine.viewports[index];
  if (!vp) return;
  for (const e of vp.entries.filter((x) => x.key === key)) removeEntry(vp, e);
  if (vp.entries.length > 0 && vp.entries[0]!.role === "overlay") vp.entries[0]!.role = "background";
  forget(engine);
  vp.nv.drawScene();
  engine.changed();
}

/** Keep only the objects `keys` in viewport `index` (switching cases reuses what stays). */
export function retain(engine: LoadScene, index: number, keys: Set<string>) {
  const vp = engine.viewports[index];
  if (!vp) return;
  for (const e of vp.entries.filter((x) => !keys.has(x.key))) removeEntry(vp, e);
  forget(engine);
  vp.nv.drawScene();
  engine.changed();
}

/** Drop items no viewport shows any more. */
function forget(engine: LoadScene) {
  const shown = new Set(engine.viewports.flatMap((v) => v.entries.map((e) => e.key)));
  for (const key of [...engine.items.keys()]) if (!shown.has(key)) engine.items.delete(key);
  const pin = engine.pin;
  if (pin && !(engine.viewports[pin.index]?.entries ?? []).some((e) => e.key === pin.key)) engine.pin = null;
}

/**
 * Show what is loaded in the viewports of a new layout that are still empty: the background and
 * overlays of `from` (each viewport in its own plane), and in a 3D viewport every mesh and tract too.
 */
export async function fillEmpty(engine: LoadScene, from: number, count: number, generation: number): Promise<void> {
  const source = engine.viewports[from];
  if (!source) return;
  const volumes = source.entries.filter((e) => e.vol !== null);
  const meshes = engine.viewports.slice(0, count).flatMap((vp) => vp.entries.filter((e) => e.mesh !== null));
  await Promise.all(
    engine.viewports.slice(0, count).map(async (vp, index) => {
      if (vp.entries.length > 0) return;
      const wanted = vp.slice === "render" ? [...volumes, ...meshes] : volumes;
      const seen = new Set<string>();
      for (const e of wanted) {
        const item = engine.items.get(e.key);
        if (!item || seen.has(e.key)) continue;
        seen.add(e.key);
        if (!(await load(engine, item.source, index, e.mesh ? "3d" : e.role, undefined, generation))) return;
      }
    }),
  );
}
