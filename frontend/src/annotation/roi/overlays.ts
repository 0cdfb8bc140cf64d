/**
 * The open ROIs as niivue overlays: one NVImage per ROI in every viewport that shows a background, kept
 * in the viewport's slots (on top of its objects, not in the viewbar). Each NVImage's voxel array IS the
 * ROI's mask (no copy): a stroke writes the mask and the overlay is re-uploaded at most once per frame
 * (niivue's updateGLVolume), never rebuilt from bytes. Colour: a one-colour colormap per ROI colour
 * (0 transparent, 1 the colour); opacity and visibility through the volume's opacity; outlines through
 * the viewport's outline width.
 */
import { NVImage, type Niivue } from "@niivue/niivue";
import type { ViewerEngine } from "../../viewer/engine";
import { effectiveLook, MAX_VIEWPORTS } from "../../viewer/model";
import type { Viewport } from "../../viewer/viewport";
import { encodeNifti } from "../nifti";
import type { OpenRoi, RoiView, RoiWorkspace } from "./workspace";

interface Shown {
  vol: NVImage;
  roi: OpenRoi;
}

/** The colormap name of an ROI colour, registered with niivue the first time. */
const registered = new Set<string>();
export function colormapOf(nvAdd: (key: string, cmap: { R: number[]; G: number[]; B: number[]; A: number[]; I: number[] }) => void, colour: string): string {
  const hex = /^#[0-9a-f]{6}$/i.test(colour) ? colour.slice(1).toLowerCase() : "ff0000";
  const name = `roi_${hex}`;
  if (!registered.has(name)) {
    const c = [0, 2, 4].map((o) => parseInt(hex.slice(o, o + 2), 16));
    nvAdd(name, { R: [0, c[0]!], G: [0, c[1]!], B: [0, c[2]!], A: [0, 255], I: [0, 255] });
    registered.add(name);
  }
  return name;
}

/**
 * Re-render the overlay layers of a viewport, not its background (layer 0 is unchanged by a stroke):
 * niivue's updateGLVolume re-uploads and re-renders every layer, the background included.
 */
export function refreshOverlays(nv: Niivue): void {
  const vols = nv.volumes;
  if (vols.length < 2 || !vols[0]?.toRAS) {
    nv.updateGLVolume();
    return;
  }
  let layer = 1;
  for (const vol of vols.slice(1)) if (vol.toRAS) nv.refreshLayers(vol, layer++);
  nv.drawScene();
}

export class RoiOverlays implements RoiView {
  /** per viewport: ROI id -> its overlay there */
  private readonly shown: Map<number, Shown>[] = Array.from({ length: MAX_VIEWPORTS }, () => new Map());
  private readonly pending = new Set<string>();
  private dirty = new Set<number>();
  private frame = 0;
  private readonly detach: () => void;
  private readonly unsubscribe: () => void;

  constructor(private readonly engine: ViewerEngine, private readonly ws: RoiWorkspace) {
    this.detach = ws.attach(this);
    // a viewport that gets (or loses) a background gets (or loses) the ROIs
    this.unsubscribe = engine.subscribe(() => this.sync());
  }

  dispose(): void {
    this.detach();
    this.unsubscribe();
    for (let i = 0; i < MAX_VIEWPORTS; i++) for (const id of [...this.shown[i]!.keys()]) this.drop(i, id);
  }

  added(): void {
    this.sync();
  }

  removed(roi: OpenRoi): void {
    for (let i = 0; i < MAX_VIEWPORTS; i++) this.drop(i, roi.id);
  }

  data(roi: OpenRoi): void {
    for (let i = 0; i < MAX_VIEWPORTS; i++) if (this.shown[i]!.has(roi.id)) this.dirty.add(i);
    if (this.frame === 0) this.frame = requestAnimationFrame(() => this.flush());
  }

  look(roi: OpenRoi): void {
    for (let i = 0; i < MAX_VIEWPORTS; i++) {
      const s = this.shown[i]!.get(roi.id);
      if (s) this.style(this.engine.viewports[i]!, s);
    }
    for (let i = 0; i < MAX_VIEWPORTS; i++) if (this.shown[i]!.has(roi.id)) this.dirty.add(i);
    this.flush();
  }

  /** The overlay volume of ROI `id` in viewport `index` (tests, the ROIstats window). */
  volumeIn(index: number, id: number): NVImage | null {
    return this.shown[index]?.get(id)?.vol ?? null;
  }

  private flush(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    const todo = this.dirty;
    this.dirty = new Set();
    for (const i of todo) {
      const vp = this.engine.viewports[i];
      if (vp?.canvas) refreshOverlays(vp.nv);
    }
  }

  private style(vp: Viewport, s: Shown): void {
    s.vol.colormap = colormapOf((k, c) => vp.nv.addColormap(k, c), s.roi.colour);
    s.vol.cal_min = 0;
    s.vol.cal_max = 1;
    s.vol.opacity = this.ws.shown(s.roi) ? s.roi.opacity : 0;
    vp.slotOutline = [...this.shown[this.engine.viewports.indexOf(vp)]!.values()].some((x) => x.roi.outline && this.ws.shown(x.roi));
    const entries = vp.entries.some((e) => {
      const item = this.engine.items.get(e.key);
      return e.role === "overlay" && !!item && effectiveLook(item.look, e.override).outline;
    });
    vp.nv.overlayOutlineWidth = vp.slotOutline || entries ? 2 : 0;
  }

  private drop(index: number, id: number): void {
    const s = this.shown[index]!.get(id);
    if (!s) return;
    this.shown[index]!.delete(id);
    const vp = this.engine.viewports[index]!;
    vp.slots = vp.slots.filter((v) => v !== s.vol);
    if (vp.nv.volumes.includes(s.vol)) vp.nv.removeVolume(s.vol);
  }

  /** Every viewport with a background shows every open ROI; the others none. */
  sync(): void {
    for (let i = 0; i < MAX_VIEWPORTS; i++) {
      const vp = this.engine.viewports[i]!;
      const wanted = vp.canvas !== null && this.engine.hasBackground(i);
      for (const id of [...this.shown[i]!.keys()]) if (!wanted || !this.ws.byId(id)) this.drop(i, id);
      if (!wanted) continue;
      for (const roi of this.ws.rois) if (!this.shown[i]!.has(roi.id)) void this.add(i, roi);
    }
  }

  private async add(index: number, roi: OpenRoi): Promise<void> {
    const key = `${index}:${roi.id}`;
    if (this.pending.has(key)) return;
    this.pending.add(key);
    try {
      const vp = this.engine.viewports[index]!;
      const name = `roi_${roi.id}.nii`;
      const bytes = encodeNifti(roi.roi);
      const vol = await NVImage.loadFromUrl({ url: name, name, buffer: bytes.buffer as ArrayBuffer });
      if (!this.ws.byId(roi.id) || !this.engine.hasBackground(index) || this.shown[index]!.has(roi.id)) return;
      vol.img = roi.roi.data; // the overlay reads the mask itself: strokes write it in place
      const s: Shown = { vol, roi };
      this.shown[index]!.set(roi.id, s);
      vp.slots = [...vp.slots, vol];
      this.style(vp, s);
      vp.nv.addVolume(vol);
    } catch (err) {
      this.engine.message(`ROI ${roi.name}: could not be shown (${err instanceof Error ? err.message : String(err)})`);
    } finally {
      this.pending.delete(key);
    }
  }
}
