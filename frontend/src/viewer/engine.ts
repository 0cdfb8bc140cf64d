/**
 * The viewer engine: one niivue instance per viewport, the objects shown in them, the crosshair linked
 * in world coordinates, loading with a byte cache, and everything the keyboard and mouse do. React
 * components render its snapshot (`subscribe`/`snapshot`) and call its methods.
 */
import { DRAG_MODE, NVImage, NVMesh, Niivue, SLICE_TYPE } from "@niivue/niivue";
import { fetchBytes } from "./api";
import { attachGestures, type Gesture, type PanStart } from "./gestures";
import {
  DEFAULT_LIM_PRESETS,
  LAYOUTS,
  MAX_VIEWPORTS,
  MOSAIC_COLUMNS,
  defaultLook,
  effectiveLook,
  itemState,
  lookFromState,
  mosaicRows,
  mosaicString,
  readerName,
  viewportCount,
  type ItemKind,
  type LimPresets,
  type LayoutName,
  type Look,
  type Role,
  type SliceName,
  type Source,
  type ViewerState,
} from "./model";

export interface Entry {
  key: string;
  role: Role;
  override: Partial<Look>;
  vol: NVImage | null;
  mesh: NVMesh | null;
}

export interface Item {
  source: Source;
  look: Look;
  range: [number, number];
  frames: number;
}

export interface ValueAt {
  key: string;
  name: string;
  value: number | null;
  vox: number[] | null;
}

/** A time-series pin: the values of a 4D image over all frames at one world position. */
export interface Pin {
  index: number;
  key: string;
  name: string;
  mm: [number, number, number];
  vox: number[];
  values: number[];
}

export interface Snapshot {
  layout: LayoutName;
  slices: SliceName[];
  entries: { key: string; role: Role; look: Look; override: boolean }[][];
  items: Record<string, Item>;
  loading: number;
  crosshairMM: [number, number, number] | null;
  values: ValueAt[];
  messages: { id: number; text: string }[];
  scrollSpeed: number;
  active: number;
  limPresets: LimPresets;
  pin: Pin | null;
  version: number;
}

const SLICE_TYPES: Record<SliceName, SLICE_TYPE> = {
  axial: SLICE_TYPE.AXIAL,
  coronal: SLICE_TYPE.CORONAL,
  sagittal: SLICE_TYPE.SAGITTAL,
  render: SLICE_TYPE.RENDER,
  multiplanar: SLICE_TYPE.MULTIPLANAR,
  mosaic: SLICE_TYPE.AXIAL,
};
const AXIS: Partial<Record<SliceName, 0 | 1 | 2>> = { sagittal: 0, coronal: 1, axial: 2, mosaic: 2 };
/** Slicings whose view niivue pans and zooms (mosaic tiles and the 3D render ignore pan2Dxyzmm). */
const PANNABLE: SliceName[] = ["axial", "coronal", "sagittal", "multiplanar"];
const CACHE_BYTES = 1.5 * 1024 ** 3;

class Viewport {
  nv: Niivue;
  canvas: HTMLCanvasElement | null = null;
  slice: SliceName;
  entries: Entry[] = [];
  ready: Promise<void> | null = null;
  mosaicColumns = MOSAIC_COLUMNS.initial;

  constructor(slice: SliceName) {
    this.slice = slice;
    this.nv = new Niivue({
      backColor: [0.07, 0.07, 0.08, 1],
      crosshairColor: [0.2, 0.9, 0.3, 1],
      crosshairWidthUnit: "mm",
      crosshairWidth: 0.6,
      show3Dcrosshair: true,
      isOrientationTextVisible: true,
      dragAndDropEnabled: false,
      loadingText: "",
      isColorbar: false,
      multiplanarShowRender: 0,
    } as ConstructorParameters<typeof Niivue>[0]);
  }
}

/** Byte cache: switching cases and loading one file into several viewports fetch it once. */
class ByteCache {
  private entries = new Map<string, { promise: Promise<ArrayBuffer>; size: number }>();
  private total = 0;

  get(url: string): Promise<ArrayBuffer> {
    const hit = this.entries.get(url);
    if (hit) {
      this.entries.delete(url);
      this.entries.set(url, hit);
      return hit.promise;
    }
    const promise = fetchBytes(url);
    const entry = { promise, size: 0 };
    this.entries.set(url, entry);
    promise.then(
      (buf) => {
        entry.size = buf.byteLength;
        this.total += buf.byteLength;
        this.evict();
      },
      () => this.entries.delete(url),
    );
    return promise;
  }

  private evict() {
    for (const [url, e] of this.entries) {
      if (this.total <= CACHE_BYTES) break;
      this.entries.delete(url);
      this.total -= e.size;
    }
  }
}

let messageId = 0;

export class ViewerEngine {
  layout: LayoutName = "single";
  viewports: Viewport[] = [];
  items = new Map<string, Item>();
  messages: { id: number; text: string }[] = [];
  crosshairMM: [number, number, number] | null = null;
  scrollSpeed = 1;
  active = 0;
  loading = 0;
  shift = false;
  limPresets: LimPresets = DEFAULT_LIM_PRESETS;
  pin: Pin | null = null;
  private cache = new ByteCache();
  private listeners = new Set<() => void>();
  private version = 0;
  private snap: Snapshot | null = null;
  private generation = 0;
  /** Resolved when a first frame with an image was drawn after the latest load (benchmarks, tests). */
  onFirstFrame: ((name: string) => void) | null = null;

  constructor() {
    for (let i = 0; i < MAX_VIEWPORTS; i++) this.viewports.push(new Viewport(LAYOUTS["2x2"].slices[i] ?? "axial"));
    this.viewports[0]!.slice = "axial";
  }

  // ------------------------------------------------------------------ subscription

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  snapshot = (): Snapshot => {
    if (this.snap === null || this.snap.version !== this.version) {
      const n = viewportCount(this.layout);
      this.snap = {
        layout: this.layout,
        slices: this.viewports.slice(0, n).map((v) => v.slice),
        entries: this.viewports.slice(0, n).map((v) =>
          v.entries.map((e) => ({
            key: e.key,
            role: e.role,
            look: effectiveLook(this.items.get(e.key)?.look ?? defaultLook(e.role, 0), e.override),
            override: Object.keys(e.override).length > 0,
          })),
        ),
        items: Object.fromEntries(this.items),
        loading: this.loading,
        crosshairMM: this.crosshairMM,
        values: this.values(),
        messages: [...this.messages],
        scrollSpeed: this.scrollSpeed,
        active: this.active,
        limPresets: this.limPresets,
        pin: this.pin,
        version: this.version,
      };
    }
    return this.snap;
  };

  private changed() {
    this.version += 1;
    for (const fn of this.listeners) fn();
  }

  /** Show a message; the same text again moves to the end instead of stacking (an autoloader walk). */
  message(text: string) {
    const others = this.messages.filter((m) => m.text !== text);
    this.messages = [...others.slice(-4), { id: ++messageId, text }];
    this.changed();
  }

  dismiss(id: number) {
    this.messages = this.messages.filter((m) => m.id !== id);
    this.changed();
  }

  // ------------------------------------------------------------------ canvases and layout

  async attach(index: number, canvas: HTMLCanvasElement) {
    const vp = this.viewports[index];
    if (!vp || vp.canvas === canvas) return;
    vp.canvas = canvas;
    vp.ready = (async () => {
      await vp.nv.attachToCanvas(canvas);
      vp.nv.setMouseEventConfig({
        leftButton: { primary: DRAG_MODE.crosshair },
        rightButton: DRAG_MODE.pan,
        centerButton: DRAG_MODE.windowing,
      });
      vp.nv.onLocationChange = () => this.crosshairMoved(index);
      vp.nv.onIntensityChange = (vol: NVImage) => this.windowChanged(index, vol);
      this.applySlice(vp);
      canvas.addEventListener("wheel", (e) => this.wheel(index, e), { capture: true, passive: false });
      attachGestures(this, index, vp.nv, canvas);
      canvas.addEventListener("pointerenter", () => this.setActive(index));
    })();
    await vp.ready;
  }

  setActive(index: number) {
    if (this.active !== index) {
      this.active = index;
      this.changed();
    }
  }

  setLayout(layout: LayoutName) {
    if (layout === this.layout) return;
    this.layout = layout;
    const defaults = LAYOUTS[layout].slices;
    this.viewports.forEach((vp, i) => {
      const wanted = defaults[i];
      if (wanted !== undefined && (layout === "mpr" || layout === "mosaic" || vp.slice === "mosaic" || vp.entries.length === 0)) {
        vp.slice = wanted;
        this.applySlice(vp);
      }
    });
    this.changed();
    requestAnimationFrame(() => this.resizeAll());
  }

  resizeAll() {
    for (const vp of this.viewports.slice(0, viewportCount(this.layout))) {
      if (vp.canvas) {
        vp.nv.resizeListener();
        if (vp.slice === "mosaic") this.applySlice(vp);
        vp.nv.drawScene();
      }
    }
  }

  setSlice(index: number, slice: SliceName) {
    const vp = this.viewports[index];
    if (!vp) return;
    vp.slice = slice;
    this.applySlice(vp);
    this.changed();
  }

  private applySlice(vp: Viewport) {
    if (!vp.canvas) return;
    const nv = vp.nv;
    if (vp.slice === "mosaic") {
      const back = nv.volumes[0];
      const [lo, hi] = [back?.extentsMinOrtho ?? [-80, -110, -50], back?.extentsMaxOrtho ?? [80, 80, 80]];
      const tile = (hi[0]! - lo[0]!) / (hi[1]! - lo[1]! || 1);
      const aspect = vp.canvas.clientHeight > 0 ? vp.canvas.clientWidth / vp.canvas.clientHeight : 1;
      const rows = mosaicRows(vp.mosaicColumns, aspect, tile);
      nv.setSliceMosaicString(mosaicString(lo[2]!, hi[2]!, vp.mosaicColumns, rows));
    } else {
      nv.setSliceMosaicString("");
    }
    nv.setSliceType(SLICE_TYPES[vp.slice]);
  }

  // ------------------------------------------------------------------ loading

  /** Show `source` in viewport `index` as background, overlay or in 3D. */
  async load(source: Source, index: number, role: Role, look?: Partial<Look>, generation = this.generation): Promise<boolean> {
    const vp = this.viewports[index];
    if (!vp) {
      this.message(`Viewport ${index + 1} does not exist in this layout; ${source.name} was not loaded`);
      return false;
    }
    this.loading += 1;
    this.changed();
    try {
      await vp.ready;
      const bytes = source.local ? await source.local.arrayBuffer() : await this.cache.get(source.url ?? "");
      if (generation !== this.generation) return false;
      const item = this.items.get(source.key);
      if (source.kind === "volume") {
        await this.addVolume(vp, source, bytes, role, look, item);
      } else {
        await this.addMesh(vp, source, bytes, role);
      }
      if (generation !== this.generation) {
        this.removeFrom(index, source.key);
        return false;
      }
      this.syncCrosshairTo(vp);
      vp.nv.drawScene();
      this.onFirstFrame?.(source.name);
      return true;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.message(`Could not show ${source.name}: ${reason || "the file could not be read"}`);
      return false;
    } finally {
      this.loading -= 1;
      this.changed();
    }
  }

  private async addVolume(vp: Viewport, source: Source, bytes: ArrayBuffer, role: Role, look: Partial<Look> | undefined, item: Item | undefined) {
    const name = readerName(source);
    const vol = await NVImage.loadFromUrl({ url: name, name, buffer: bytes.slice(0) });
    if (!vol || !vol.img || vol.img.length === 0) throw new Error("not an image niivue can read");
    const hasBack = vp.entries.some((e) => e.vol !== null && e.role === "background");
    const actualRole: Role = role === "3d" ? "background" : role === "overlay" && !hasBack ? "background" : role;
    if (actualRole === "background") {
      for (const e of vp.entries.filter((x) => x.vol !== null && x.role === "background")) this.removeEntry(vp, e);
    }
    const overlays = vp.entries.filter((e) => e.role === "overlay").length;
    const base = item?.look ?? { ...defaultLook(actualRole, overlays), ...(look ?? {}) };
    if (!item) {
      const range: [number, number] = [Number(vol.global_min ?? vol.cal_min), Number(vol.global_max ?? vol.cal_max)];
      if (!Number.isFinite(base.calMin)) base.calMin = Number(vol.cal_min);
      if (!Number.isFinite(base.calMax)) base.calMax = Number(vol.cal_max);
      this.items.set(source.key, { source, look: base, range, frames: Number(vol.nFrame4D ?? 1) || 1 });
    }
    const entry: Entry = { key: source.key, role: actualRole, override: {}, vol, mesh: null };
    // Every GL volume update is costly (seconds with software WebGL): set the look first, update once.
    const look0 = this.items.get(source.key)!.look;
    vol.colormap = look0.colormap;
    if (Number.isFinite(look0.calMin)) vol.cal_min = look0.calMin;
    if (Number.isFinite(look0.calMax)) vol.cal_max = look0.calMax;
    vol.opacity = look0.visible ? look0.opacity : 0;
    const alone = vp.nv.volumes.length === 0;
    if (actualRole === "background") vp.entries.unshift(entry);
    else vp.entries.push(entry);
    if (alone || actualRole !== "background") {
      vp.nv.addVolume(vol);
    } else {
      vp.nv.volumes.unshift(vol);
      vp.nv.setVolume(vol, 0);
    }
    if (look0.frame > 0) this.applyLook(vp, entry);
    if (vp.slice === "mosaic") this.applySlice(vp);
    if (role === "3d") this.setSlice(this.viewports.indexOf(vp), "render");
  }

  private async addMesh(vp: Viewport, source: Source, bytes: ArrayBuffer, role: Role) {
    const name = readerName(source);
    const mesh = await NVMesh.loadFromUrl({ url: name, name, buffer: bytes.slice(0), gl: vp.nv.gl });
    if (!mesh || !mesh.pts || mesh.pts.length === 0) throw new Error("not a mesh or tract niivue can read");
    vp.nv.addMesh(mesh);
    if (!this.items.has(source.key)) {
      this.items.set(source.key, { source, look: { ...defaultLook("3d", 0) }, range: [0, 1], frames: 1 });
    }
    const entry: Entry = { key: source.key, role: "3d", override: {}, vol: null, mesh };
    vp.entries.push(entry);
    this.applyLook(vp, entry);
    if (role === "3d") this.setSlice(this.viewports.indexOf(vp), "render");
  }

  private applyLook(vp: Viewport, entry: Entry) {
    const item = this.items.get(entry.key);
    if (!item) return;
    const look = effectiveLook(item.look, entry.override);
    if (entry.vol) {
      const vol = entry.vol;
      vol.colormap = look.colormap;
      if (Number.isFinite(look.calMin)) vol.cal_min = look.calMin;
      if (Number.isFinite(look.calMax)) vol.cal_max = look.calMax;
      vol.opacity = look.visible ? look.opacity : 0;
      if ((vol.nFrame4D ?? 1) > 1 && vol.frame4D !== look.frame) vp.nv.setFrame4D(vol.id, look.frame);
      vp.nv.overlayOutlineWidth = vp.entries.some((e) => e.role === "overlay" && effectiveLook(this.items.get(e.key)!.look, e.override).outline) ? 2 : 0;
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

  private removeEntry(vp: Viewport, entry: Entry) {
    if (entry.vol) vp.nv.removeVolume(entry.vol);
    if (entry.mesh) vp.nv.removeMesh(entry.mesh);
    vp.entries = vp.entries.filter((e) => e !== entry);
  }

  removeFrom(index: number, key: string) {
    const vp = this.viewports[index];
    if (!vp) return;
    for (const e of vp.entries.filter((x) => x.key === key)) this.removeEntry(vp, e);
    if (vp.entries.length > 0 && vp.entries[0]!.role === "overlay") vp.entries[0]!.role = "background";
    this.forget();
    vp.nv.drawScene();
    this.changed();
  }

  /** Drop items no viewport shows any more. */
  private forget() {
    const shown = new Set(this.viewports.flatMap((v) => v.entries.map((e) => e.key)));
    for (const key of [...this.items.keys()]) if (!shown.has(key)) this.items.delete(key);
    if (this.pin && !this.shows(this.pin.index, this.pin.key)) this.pin = null;
  }

  /** Keep only the objects `keys` in viewport `index` (switching cases reuses what stays). */
  retain(index: number, keys: Set<string>) {
    const vp = this.viewports[index];
    if (!vp) return;
    for (const e of vp.entries.filter((x) => !keys.has(x.key))) this.removeEntry(vp, e);
    this.forget();
    vp.nv.drawScene();
    this.changed();
  }

  shows(index: number, key: string): boolean {
    return (this.viewports[index]?.entries ?? []).some((e) => e.key === key);
  }

  /** Apply per-viewport (Shift-like) settings for an object, as an autoloader intent does. */
  override(index: number, key: string, change: Partial<Look>) {
    this.setLook(index, key, change, true);
  }

  clearAll() {
    this.generation += 1;
    for (const vp of this.viewports) {
      for (const e of [...vp.entries]) this.removeEntry(vp, e);
      vp.nv.drawScene();
    }
    this.items.clear();
    this.pin = null;
    this.changed();
  }

  newGeneration(): number {
    this.generation += 1;
    return this.generation;
  }

  /** The next viewport without a background (or the active one), for double-click loading. */
  nextFreeViewport(): number {
    const n = viewportCount(this.layout);
    for (let i = 0; i < n; i++) if (this.viewports[i]!.entries.length === 0) return i;
    return Math.min(this.active, n - 1);
  }

  hasBackground(index: number): boolean {
    return (this.viewports[index]?.entries ?? []).some((e) => e.vol !== null);
  }

  // ------------------------------------------------------------------ appearance (viewbar)

  /** Change a property of an object: everywhere, or (Shift) only in viewport `index`. */
  setLook(index: number, key: string, change: Partial<Look>, onlyHere = this.shift) {
    const item = this.items.get(key);
    if (!item) return;
    if (onlyHere) {
      for (const e of this.viewports[index]?.entries ?? []) if (e.key === key) e.override = { ...e.override, ...change };
    } else {
      item.look = { ...item.look, ...change };
    }
    for (const vp of this.viewports) for (const e of vp.entries) if (e.key === key) this.applyLook(vp, e);
    this.changed();
  }

  /** Move an object one place up (towards the top overlay) or down in viewport `index`. */
  reorder(index: number, key: string, delta: 1 | -1) {
    const vp = this.viewports[index];
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
    for (const e of vp.entries) this.applyLook(vp, e);
    this.changed();
  }

  /** The project's colour-limit presets (keys 0-8). */
  setLimPresets(presets: LimPresets) {
    this.limPresets = presets;
    this.changed();
  }

  /** Apply the colour-limit preset on `key` to every background image; false when the key has none. */
  applyLimPreset(key: string): boolean {
    const preset = this.limPresets[key];
    if (!preset) return false;
    for (const [index, vp] of this.viewports.entries()) {
      const back = vp.entries.find((e) => e.vol !== null && e.role === "background");
      if (!back) continue;
      const item = this.items.get(back.key)!;
      const [calMin, calMax] = preset.limits ?? [Number(back.vol!.robust_min ?? item.range[0]), Number(back.vol!.robust_max ?? item.range[1])];
      this.setLook(index, back.key, { calMin, calMax }, false);
    }
    return true;
  }

  private windowChanged(index: number, vol: NVImage) {
    const entry = this.viewports[index]?.entries.find((e) => e.vol === vol);
    if (entry) this.setLook(index, entry.key, { calMin: vol.cal_min, calMax: vol.cal_max });
  }

  // ------------------------------------------------------------------ crosshair and navigation

  private crosshairMoved(index: number) {
    const vp = this.viewports[index];
    if (!vp || vp.nv.volumes.length + vp.nv.meshes.length === 0) return;
    const mm = vp.nv.frac2mm(vp.nv.scene.crosshairPos, 0, true);
    this.crosshairMM = [mm[0]!, mm[1]!, mm[2]!];
    for (const other of this.viewports) if (other !== vp) this.syncCrosshairTo(other);
    this.changed();
  }

  private syncCrosshairTo(vp: Viewport) {
    if (!this.crosshairMM || !vp.canvas || vp.nv.volumes.length + vp.nv.meshes.length === 0) {
      if (vp.nv.volumes.length > 0 && !this.crosshairMM) {
        const mm = vp.nv.frac2mm(vp.nv.scene.crosshairPos, 0, true);
        this.crosshairMM = [mm[0]!, mm[1]!, mm[2]!];
      }
      return;
    }
    const frac = vp.nv.mm2frac(this.crosshairMM as unknown as Float32Array, 0, true);
    vp.nv.scene.crosshairPos = frac;
    vp.nv.drawScene();
  }

  /** Put the crosshair at a world position (mm) in every viewport. */
  setCrosshairMM(mm: [number, number, number]) {
    this.crosshairMM = mm;
    for (const vp of this.viewports) this.syncCrosshairTo(vp);
    this.changed();
  }

  /** Step slices in viewport `index` (X/Y/Z keys, mouse wheel) by `steps` times the scroll speed. */
  step(index: number, steps: number) {
    const vp = this.viewports[index];
    if (!vp || vp.nv.volumes.length === 0) return;
    const axis = AXIS[vp.slice];
    if (axis === undefined) return;
    const d = [0, 0, 0];
    d[axis] = steps * this.scrollSpeed;
    vp.nv.moveCrosshairInVox(d[0]!, d[1]!, d[2]!);
    this.crosshairMoved(index);
  }

  setScrollSpeed(speed: number) {
    this.scrollSpeed = Math.max(1, Math.min(20, Math.round(speed)));
    this.changed();
  }

  zoom(index: number, factor: number) {
    const vp = this.viewports[index];
    if (!vp) return;
    const p = vp.nv.scene.pan2Dxyzmm;
    vp.nv.setPan2Dxyzmm([p[0]!, p[1]!, p[2]!, Math.max(0.2, Math.min(20, p[3]! * factor))]);
    this.changed();
  }

  resetView(index: number) {
    const vp = this.viewports[index];
    if (!vp) return;
    vp.nv.setPan2Dxyzmm([0, 0, 0, 1]);
    vp.nv.drawScene();
    this.changed();
  }

  /** Centre viewport `index` on the crosshair at its current zoom (NORA's "centralize", key C). */
  centre(index: number) {
    const vp = this.viewports[index];
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
    this.changed();
  }

  // ------------------------------------------------------------------ left-button gestures (gestures.ts)

  accepts(index: number, gesture: Gesture): boolean {
    const vp = this.viewports[index];
    if (!vp || vp.nv.volumes.length === 0 || vp.slice === "render") return false;
    if (gesture === "pin") return this.fourD(vp) !== null;
    return PANNABLE.includes(vp.slice);
  }

  /** The 2D viewports a pan moves: this one, or (Ctrl) every pannable one with an image. */
  panStart(index: number, all: boolean): PanStart {
    const start: PanStart = new Map();
    this.viewports.slice(0, viewportCount(this.layout)).forEach((vp, i) => {
      if (i === index || (all && vp.nv.volumes.length > 0 && PANNABLE.includes(vp.slice))) {
        const p = vp.nv.scene.pan2Dxyzmm;
        start.set(i, [p[0]!, p[1]!, p[2]!, p[3]!]);
      }
    });
    return start;
  }

  /** Move every viewport of `start` by the same world distance `delta` (mm), at its own zoom. */
  panFrom(_index: number, start: PanStart, delta: [number, number, number]) {
    for (const [i, p] of start) {
      const zoom = p[3];
      this.viewports[i]!.nv.setPan2Dxyzmm([p[0] + zoom * delta[0], p[1] + zoom * delta[1], p[2] + zoom * delta[2], zoom]);
    }
  }

  /** The first 4D volume of a viewport (the background before overlays). */
  private fourD(vp: Viewport): Entry | null {
    return vp.entries.find((e) => e.vol !== null && Number(e.vol.nFrame4D ?? 1) > 1) ?? null;
  }

  /** Pin the time series of the viewport's 4D image at canvas pixel (x, y). */
  pinAt(index: number, x: number, y: number) {
    const vp = this.viewports[index];
    const entry = vp ? this.fourD(vp) : null;
    if (!vp || !entry?.vol) return;
    const frac = vp.nv.canvasPos2frac([x, y]);
    if (!(frac[0]! >= 0)) return;
    const world = vp.nv.frac2mm(frac, 0, true);
    const mm: [number, number, number] = [world[0]!, world[1]!, world[2]!];
    const vol = entry.vol;
    const vox = Array.from(vol.mm2vox(mm as unknown as number[]));
    const dims = (vol.dimsRAS ?? vol.dims ?? []).map(Number);
    if (!vox.every((v, i) => v >= 0 && v < (dims[i + 1] ?? 0))) return;
    const frames = Number(vol.nFrame4D ?? 1);
    const values = Array.from({ length: frames }, (_, t) => Number(vol.getValue(vox[0]!, vox[1]!, vox[2]!, t)));
    this.pin = { index, key: entry.key, name: this.items.get(entry.key)?.source.name ?? entry.key, mm, vox, values };
    this.changed();
  }

  closePin() {
    if (this.pin === null) return;
    this.pin = null;
    this.changed();
  }

  /** Shift + wheel: the next / previous time point of the viewport's 4D image (every viewport showing it). */
  stepFrame(index: number, delta: number) {
    const vp = this.viewports[index];
    const entry = vp ? this.fourD(vp) : null;
    const item = entry ? this.items.get(entry.key) : undefined;
    if (!vp || !entry || !item) return;
    const look = effectiveLook(item.look, entry.override);
    const frame = Math.max(0, Math.min(item.frames - 1, look.frame + delta));
    if (frame !== look.frame) this.setLook(index, entry.key, { frame }, entry.override.frame !== undefined);
  }

  /** Shift + wheel in mosaic slicing: more or fewer columns. */
  mosaicColumns(index: number, delta: number) {
    const vp = this.viewports[index];
    if (!vp || vp.slice !== "mosaic") return;
    vp.mosaicColumns = Math.max(MOSAIC_COLUMNS.min, Math.min(MOSAIC_COLUMNS.max, vp.mosaicColumns + delta));
    this.applySlice(vp);
    vp.nv.drawScene();
    this.changed();
  }

  resetCrosshair() {
    const vp = this.viewports.find((v) => v.nv.volumes.length > 0);
    if (!vp) return;
    vp.nv.scene.crosshairPos = [0.5, 0.5, 0.5] as unknown as typeof vp.nv.scene.crosshairPos;
    this.crosshairMoved(this.viewports.indexOf(vp));
  }

  private wheel(index: number, e: WheelEvent) {
    const vp = this.viewports[index];
    if (!vp || vp.slice === "render" || vp.slice === "multiplanar") {
      if (e.ctrlKey) e.preventDefault();
      return; // niivue's own wheel: zoom the 3D camera
    }
    e.preventDefault();
    e.stopImmediatePropagation();
    // Chromium turns a Shift + wheel into a horizontal scroll: deltaX then carries it.
    const up = (e.deltaY || e.deltaX) < 0;
    if (e.shiftKey && vp.slice === "mosaic") this.mosaicColumns(index, up ? 1 : -1);
    else if (e.shiftKey) this.stepFrame(index, up ? 1 : -1);
    else if (e.ctrlKey && vp.slice === "mosaic") return; // niivue draws mosaic tiles unzoomed
    else if (e.ctrlKey) this.zoom(index, up ? 1.15 : 1 / 1.15);
    else this.step(index, up ? 1 : -1);
  }

  /** Value of every loaded image at the crosshair (each object once). */
  values(): ValueAt[] {
    const out: ValueAt[] = [];
    const seen = new Set<string>();
    if (!this.crosshairMM) return out;
    for (const vp of this.viewports.slice(0, viewportCount(this.layout))) {
      for (const e of vp.entries) {
        if (seen.has(e.key) || !e.vol) continue;
        seen.add(e.key);
        const vol = e.vol;
        const vox = Array.from(vol.mm2vox(this.crosshairMM as unknown as number[]));
        const dims = (vol.dimsRAS ?? vol.dims ?? []).map(Number);
        const inside = vox.every((v, i) => v >= 0 && v < (dims[i + 1] ?? Number.POSITIVE_INFINITY));
        const raw = inside ? Number(vol.getValue(vox[0]!, vox[1]!, vox[2]!, vol.frame4D)) : Number.NaN;
        const value = Number.isFinite(raw) ? raw : null;
        out.push({ key: e.key, name: this.items.get(e.key)?.source.name ?? e.key, value, vox: inside ? vox : null });
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ shared state

  state(pid: string | null, sid: string | null): { state: ViewerState; skipped: string[] } {
    const n = viewportCount(this.layout);
    const skipped: string[] = [];
    const viewports = this.viewports.slice(0, n).map((vp) => {
      const items = vp.entries.flatMap((e) => {
        const item = this.items.get(e.key);
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
      };
    });
    return { state: { layout: this.layout, crosshair_mm: this.crosshairMM, viewports, pid, sid }, skipped };
  }

  /** Reopen a saved state; `sourceOf` turns an item into something loadable. */
  async restore(state: ViewerState, sourceOf: (fileId: number, name: string, series: boolean, kind: ItemKind) => Source) {
    this.clearAll();
    const generation = this.newGeneration();
    this.setLayout(state.layout);
    state.viewports.forEach((vs, i) => {
      const vp = this.viewports[i];
      if (vp) {
        vp.slice = vs.slice;
        this.applySlice(vp);
      }
    });
    const jobs = state.viewports.flatMap((vs, i) =>
      vs.items.map(async (it) => {
        const source = sourceOf(it.file_id, it.name, it.series, it.kind);
        return { i, it, ok: await this.load(source, i, it.role, lookFromState(it, defaultLook(it.role, 0)), generation) };
      }),
    );
    // Backgrounds first, so overlays land on top of them.
    const results = await Promise.all(jobs);
    for (const { i, it } of results) {
      const vp = this.viewports[i]!;
      const e = vp.entries.find((x) => x.key === `file:${it.file_id}`);
      const item = this.items.get(`file:${it.file_id}`);
      if (e && item) {
        const wanted = lookFromState(it, item.look);
        const diff: Partial<Look> = {};
        for (const k of Object.keys(wanted) as (keyof Look)[]) {
          if (!Object.is(wanted[k], item.look[k])) (diff as Record<string, unknown>)[k] = wanted[k];
        }
        e.override = diff;
        this.applyLook(vp, e);
      }
    }
    for (const vp of this.viewports) {
      const bg = vp.entries.findIndex((e) => e.role === "background" && e.vol);
      if (bg > 0) this.reorderTo(vp, bg);
    }
    state.viewports.forEach((vs, i) => {
      const vp = this.viewports[i];
      if (!vp) return;
      vp.nv.setPan2Dxyzmm([vs.pan[0], vs.pan[1], vs.pan[2], vs.zoom]);
      if (vs.azimuth !== null && vs.elevation !== null) vp.nv.setRenderAzimuthElevation(vs.azimuth, vs.elevation);
    });
    if (state.crosshair_mm) this.setCrosshairMM(state.crosshair_mm);
    this.changed();
  }

  private reorderTo(vp: Viewport, from: number) {
    const e = vp.entries[from]!;
    vp.entries.splice(from, 1);
    vp.entries.unshift(e);
    if (e.vol) vp.nv.setVolume(e.vol, 0);
  }

  /** Live viewport state for tests: zoom, pan, slice and each volume's limits, colormap and frame. */
  debug() {
    return this.viewports.slice(0, viewportCount(this.layout)).map((vp) => ({
      slice: vp.slice,
      zoom: vp.nv.scene.pan2Dxyzmm[3],
      pan: Array.from(vp.nv.scene.pan2Dxyzmm).slice(0, 3),
      mosaic: vp.slice === "mosaic" ? vp.nv.sliceMosaicString : null,
      volumes: vp.nv.volumes.map((v) => ({ name: v.name, colormap: v.colormap, cal_min: v.cal_min, cal_max: v.cal_max, opacity: v.opacity, frame: v.frame4D ?? 0 })),
      meshes: vp.nv.meshes.length,
      crosshair: Array.from(vp.nv.scene.crosshairPos),
    }));
  }
}
