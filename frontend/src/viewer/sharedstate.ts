/**
 * The viewer's state as saved in shared links and presets (model.ts's ViewerState): taking it from the
 * engine and reopening it, plus the live probe the browser tests read. Functions on the scene
 * (scene.ts); the ViewerEngine (engine.ts) exposes them as methods.
 */
import { applyLook } from "./looks";
import { defaultLook, effectiveLook, itemState, lookFromState, MOSAIC_COLUMNS, viewportCount, type ItemKind, type Look, type Source, type ViewerState } from "./model";
import type { RestoreTarget, Scene } from "./scene";
import { applySlice, reorderTo } from "./viewport";

/** The state of the shown viewports, and the names of objects a state cannot name (local files). */
export function state(engine: Scene & { readonly crosshairMM: [number, number, number] | null }, pid: string | null, sid: string | null): { state: ViewerState; skipped: string[] } {
  const n = viewportCount(engine.layout);
  const skipped: string[] = [];
  const viewports = engine.viewports.slice(0, n).map((vp) => {
    const items = vp.entries.flatMap((e) => {
      const item = engine.items.get(e.key);
      if (!item) return [];
      const s = itemState(item.source, e.role, effectiveLook(item.look, e.override));
      if (s === null) skipped.push(item.source.name);
      return s === null ? [] : [s];
    });
    const p = vp.nv.scene.pan2Dxyzmm;
    return {
      slice: vp.slice,
      items,
      zoom: Number(p[3] ?? 1),
      pan: [Number(p[0] ?? 0), Number(p[1] ?? 0), Number(p[2] ?? 0)] as [number, number, number],
      azimuth: Number(vp.nv.scene.renderAzimuth ?? 0),
      elevation: Number(vp.nv.scene.renderElevation ?? 0),
      mosaic_columns: vp.slice === "mosaic" ? vp.mosaicColumns : null,
    };
  });
  // measurements (viewer/measure) and ROIs (annotation/roi/links.ts) are added by the caller that shares (useSharedLinks)
  return { state: { layout: engine.layout, crosshair_mm: engine.crosshairMM, viewports, pid, sid, measurements: [], rois: [] }, skipped };
}

/** Reopen a saved state; `sourceOf` turns an item into something loadable. */
export async function restore(engine: RestoreTarget, state: ViewerState, sourceOf: (fileId: number, name: string, series: boolean, kind: ItemKind) => Source) {
  engine.clearAll();
  const generation = engine.newGeneration();
  engine.setLayout(state.layout);
  state.viewports.forEach((vs, i) => {
    const vp = engine.viewports[i];
    if (vp) {
      vp.slice = vs.slice;
      vp.mosaicColumns = vs.mosaic_columns ?? MOSAIC_COLUMNS.initial;
      applySlice(vp);
    }
  });
  const jobs = state.viewports.flatMap((vs, i) =>
    vs.items.map(async (it) => {
      const source = sourceOf(it.file_id, it.name, it.series, it.kind);
      return { i, it, ok: await engine.load(source, i, it.role, lookFromState(it, defaultLook(it.role, 0)), generation) };
    }),
  );
  // Backgrounds first, so overlays land on top of them.
  const results = await Promise.all(jobs);
  for (const { i, it } of results) {
    const vp = engine.viewports[i]!;
    const e = vp.entries.find((x) => x.key === `file:${it.file_id}`);
    const item = engine.items.get(`file:${it.file_id}`);
    if (e && item) {
      const wanted = lookFromState(it, item.look);
      const diff: Partial<Look> = {};
      for (const k of Object.keys(wanted) as (keyof Look)[]) {
        // NaN limits are "automatic" (saved as null): they never make a viewport's own look
        if (Number.isNaN(wanted[k])) continue;
        if (!Object.is(wanted[k], item.look[k])) (diff as Record<string, unknown>)[k] = wanted[k];
      }
      e.override = diff;
      applyLook(engine, vp, e);
    }
  }
  for (const vp of engine.viewports) {
    const bg = vp.entries.findIndex((e) => e.role === "background" && e.vol);
    if (bg > 0) reorderTo(vp, bg);
  }
  state.viewports.forEach((vs, i) => {
    const vp = engine.viewports[i];
    if (!vp) return;
    vp.nv.setPan2Dxyzmm([vs.pan[0], vs.pan[1], vs.pan[2], vs.zoom]);
    if (vs.azimuth !== null && vs.elevation !== null) vp.nv.setRenderAzimuthElevation(vs.azimuth, vs.elevation);
  });
  if (state.crosshair_mm) engine.setCrosshairMM(state.crosshair_mm);
  engine.changed();
}

/** Live viewport state for tests: zoom, pan, slice and each volume's limits, colormap and frame. */
export function debug(engine: Scene) {
  return engine.viewports.slice(0, viewportCount(engine.layout)).map((vp) => ({
    slice: vp.slice,
    zoom: vp.nv.scene.pan2Dxyzmm[3],
    pan: Array.from(vp.nv.scene.pan2Dxyzmm).slice(0, 3),
    mosaic: vp.slice === "mosaic" ? vp.nv.sliceMosaicString : null,
    volumes: vp.nv.volumes.map((v) => ({ name: v.name, colormap: v.colormap, cal_min: v.cal_min, cal_max: v.cal_max, opacity: v.opacity, frame: v.frame4D ?? 0 })),
    meshes: vp.nv.meshes.length,
    crosshair: Array.from(vp.nv.scene.crosshairPos),
  }));
}
