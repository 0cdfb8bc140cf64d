/**
 * The viewer engine: one niivue instance per viewport, the objects shown in them, the crosshair linked
 * in world coordinates, loading with a byte cache, and everything the keyboard and mouse do. React
 * components render its snapshot (`subscribe`/`snapshot`) and call its methods.
 *
 * This class holds the state, the subscription, canvases and layout; the work behind its other methods
 * lives in functions taking a narrow view of it (scene.ts's interfaces, which the engine implements):
 * loading.ts (objects in and out of viewports), looks.ts (the viewbar), navigation.ts (crosshair, zoom,
 * pan, wheel, gestures, pins) and sharedstate.ts (saved states); viewport.ts holds one viewport's niivue
 * and cache.ts the downloads. Those modules never import this one.
 */
import { DRAG_MODE, type NVImage } from "@niivue/niivue";
import { ByteCache } from "./cache";
import { attachGestures, type Gesture, type PanStart, type ViewportTool, type WindowStart } from "./gestures";
import { LeftClick } from "./leftclick";
import * as loading from "./loading";
import * as looks from "./looks";
import {
  DEFAULT_LIM_PRESETS,
  LAYOUTS,
  MAX_VIEWPORTS,
  defaultLook,
  effectiveLook,
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
import { MessageLog, type Message } from "./messagelog";
import * as nav from "./navigation";
import type { Item, LoadScene, LookScene, Pin, RestoreTarget, ValueAt } from "./scene";
import * as shared from "./sharedstate";
import { Viewport, applySlice, removeEntry } from "./viewport";
import type { WindowKind } from "./windows";

export type { Entry } from "./viewport";
export { caseKey, type Message } from "./messagelog";
export type { Item, Pin, ValueAt } from "./scene";

/** A button another tool adds to every image's viewbar row (the ROI tool's "ROI from this image"). */
export interface VolumeAction {
  id: string;
  label: string;
  title: string;
  run(index: number, key: string): void;
}

export interface Snapshot {
  layout: LayoutName;
  slices: SliceName[];
  entries: { key: string; role: Role; look: Look; override: boolean }[][];
  items: Record<string, Item>;
  loading: number;
  crosshairMM: [number, number, number] | null;
  values: ValueAt[];
  messages: Message[];
  scrollSpeed: number;
  active: number;
  /** The presets that fit the active viewport's background (the toolbar's list) and which table they are. */
  limPresets: LimPresets;
  windowKind: WindowKind | null;
  pin: Pin | null;
  version: number;
}

export class ViewerEngine implements LoadScene, LookScene, RestoreTarget {
  layout: LayoutName = "single";
  viewports: Viewport[] = [];
  items = new Map<string, Item>();
  readonly log = new MessageLog(() => this.changed());
  crosshairMM: [number, number, number] | null = null;
  scrollSpeed = 1;
  active = 0;
  loading = 0;
  shift = false;
  limPresets: LimPresets = DEFAULT_LIM_PRESETS;
  pin: Pin | null = null;
  /** A tool taking the mouse in the viewports first (the ROI tool's drawing; gestures.ts). */
  tool: ViewportTool | null = null;
  /** Which tool's mode owns the left click in the viewports (leftclick.ts). */
  readonly leftClick = new LeftClick();
  /** Buttons of other tools in each image's viewbar row. */
  volumeActions: VolumeAction[] = [];
  readonly cache = new ByteCache();
  private listeners = new Set<() => void>();
  private version = 0;
  private snap: Snapshot | null = null;
  private gen = 0;
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
      const shown = looks.shownPresets(this, this.active);
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
        messages: this.log.messages,
        scrollSpeed: this.scrollSpeed,
        active: this.active,
        limPresets: shown.presets,
        windowKind: shown.kind,
        pin: this.pin,
        version: this.version,
      };
    }
    return this.snap;
  };

  /** Tell the subscribers that the state changed (every change ends with it). */
  changed() {
    this.version += 1;
    for (const fn of this.listeners) fn();
  }

  /**
   * Show a message in the message area (messages.ts): newest first, information fading, errors kept until
   * dismissed or another case is opened; `forCase` is the case it belongs to (the open one by default).
   */
  message(text: string, level: Message["level"] = "error", forCase: string | null = this.log.currentCase) {
    this.log.add(text, level, forCase);
  }

  dismiss(id: number) {
    this.log.dismiss(id);
  }

  clearMessages() {
    this.log.clear();
  }

  /** Another case is open: the messages of earlier cases go. */
  setCase(key: string | null) {
    this.log.setCase(key);
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
        centerButton: DRAG_MODE.none, // windowing is gestures.ts's, through setLook
      });
      vp.nv.onLocationChange = () => nav.crosshairMoved(this, index);
      vp.nv.onIntensityChange = (vol: NVImage) => looks.windowChanged(this, index, vol);
      applySlice(vp);
      canvas.addEventListener("wheel", (e) => this.tool?.wheel(index, e) || nav.wheel(this, index, e), { capture: true, passive: false });
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
        applySlice(vp);
      }
    });
    this.changed();
    requestAnimationFrame(() => this.resizeAll());
  }

  /**
   * The layout selector: switch and show what is loaded in the new layout's empty viewports (the active
   * viewport's images, else the first viewport's with a background).
   */
  switchLayout(layout: LayoutName): Promise<void> {
    this.setLayout(layout);
    const n = viewportCount(layout);
    const from = this.hasBackground(this.active) && this.active < n ? this.active : this.viewports.slice(0, n).findIndex((_, i) => this.hasBackground(i));
    return from < 0 ? Promise.resolve() : loading.fillEmpty(this, from, n, this.gen);
  }

  resizeAll() {
    for (const vp of this.viewports.slice(0, viewportCount(this.layout))) {
      if (vp.canvas) {
        vp.nv.resizeListener();
        if (vp.slice === "mosaic") applySlice(vp);
        vp.nv.drawScene();
      }
    }
  }

  setSlice(index: number, slice: SliceName) {
    const vp = this.viewports[index];
    if (!vp) return;
    vp.slice = slice;
    applySlice(vp);
    this.changed();
  }

  // ------------------------------------------------------------------ loading (loading.ts)

  /** Loads begun before the latest case switch (`newGeneration`, `clearAll`) are dropped. */
  get generation(): number {
    return this.gen;
  }

  /** Show `source` in viewport `index` as background, overlay or in 3D. */
  load(source: Source, index: number, role: Role, look?: Partial<Look>, generation = this.gen): Promise<boolean> {
    return loading.load(this, source, index, role, look, generation);
  }

  removeFrom(index: number, key: string) {
    loading.removeFrom(this, index, key);
  }

  /** Keep only the objects `keys` in viewport `index` (switching cases reuses what stays). */
  retain(index: number, keys: Set<string>) {
    loading.retain(this, index, keys);
  }

  shows(index: number, key: string): boolean {
    return (this.viewports[index]?.entries ?? []).some((e) => e.key === key);
  }

  clearAll() {
    this.gen += 1;
    for (const vp of this.viewports) {
      for (const e of [...vp.entries]) removeEntry(vp, e);
      vp.nv.drawScene();
    }
    this.items.clear();
    this.pin = null;
    this.crosshairMM = null; // the next background centres it
    this.changed();
  }

  newGeneration(): number {
    this.gen += 1;
    return this.gen;
  }

  /** The next viewport without a background (or the active one), for double-click loading. */
  nextFreeViewport(): number {
    const n = viewportCount(this.layout);
    for (let i = 0; i < n; i++) if (this.viewports[i]!.entries.length === 0) return i;
    return Math.min(this.active, n - 1);
  }

  /**
   * Where a double-clicked object goes: meshes and tracts to the layout's 3D viewport (else the next free
   * one); a volume to every viewport of MPR and mosaic (planes of one image) and of an empty 2×2 or 1+3
   * (planes and 3D of one image), else to the next free viewport (1×2 compares two images).
   */
  openTargets(kind: ItemKind): number[] {
    const n = viewportCount(this.layout);
    const shown = this.viewports.slice(0, n);
    if (kind !== "volume") {
      const render = shown.findIndex((vp) => vp.slice === "render");
      return [render >= 0 ? render : this.nextFreeViewport()];
    }
    const planes = this.layout === "mpr" || this.layout === "mosaic";
    const all = planes || ((this.layout === "2x2" || this.layout === "1+3") && shown.every((vp) => vp.entries.length === 0));
    return all ? shown.map((_, i) => i) : [this.nextFreeViewport()];
  }

  hasBackground(index: number): boolean {
    return (this.viewports[index]?.entries ?? []).some((e) => e.vol !== null);
  }

  // ------------------------------------------------------------------ appearance, the viewbar (looks.ts)

  /** Change a property of an object: everywhere, or (Shift) only in viewport `index`. */
  setLook(index: number, key: string, change: Partial<Look>, onlyHere = this.shift) {
    looks.setLook(this, index, key, change, onlyHere);
  }

  /** Apply per-viewport (Shift-like) settings for an object (a second autoloader entry of the same file). */
  override(index: number, key: string, change: Partial<Look>) {
    this.setLook(index, key, change, true);
  }

  /** Move an object one place up (towards the top overlay) or down in viewport `index`. */
  reorder(index: number, key: string, delta: 1 | -1) {
    looks.reorder(this, index, key, delta);
  }

  /** The project's colour-limit presets (keys 0-8; DEFAULT_LIM_PRESETS: none configured, windows.ts picks). */
  setLimPresets(presets: LimPresets) {
    this.limPresets = presets;
    this.changed();
  }

  /** Apply the window preset on `key` to every background image (the one fitting each); false when none has one. */
  applyLimPreset(key: string): boolean {
    return looks.applyLimPreset(this, key);
  }

  // ------------------------------------------------------------------ crosshair and navigation (navigation.ts)

  /** Put the crosshair at a world position (mm) in every viewport. */
  setCrosshairMM(mm: [number, number, number]) {
    nav.setCrosshairMM(this, mm);
  }

  resetCrosshair() {
    nav.resetCrosshair(this);
  }

  /** Step slices in viewport `index` (X/Y/Z keys, mouse wheel) by `steps` times the scroll speed. */
  step(index: number, steps: number) {
    nav.step(this, index, steps);
  }

  setScrollSpeed(speed: number) {
    this.scrollSpeed = Math.max(1, Math.min(20, Math.round(speed)));
    this.changed();
  }

  zoom(index: number, factor: number) {
    nav.zoom(this, index, factor);
  }

  resetView(index: number) {
    nav.resetView(this, index);
  }

  /** Centre viewport `index` on the crosshair at its current zoom (NORA's "centralize", key C). */
  centre(index: number) {
    nav.centre(this, index);
  }

  /** Shift + wheel: the next / previous time point of the viewport's 4D image (every viewport showing it). */
  stepFrame(index: number, delta: number) {
    nav.stepFrame(this, index, delta);
  }

  /** Shift + wheel in mosaic slicing: more or fewer columns. */
  mosaicColumns(index: number, delta: number) {
    nav.mosaicColumns(this, index, delta);
  }

  /** Value of every loaded image at the crosshair (each object once). */
  values(): ValueAt[] {
    return nav.values(this);
  }

  // ------------------------------------------------------------------ left-button gestures (gestures.ts)

  accepts(index: number, gesture: Gesture): boolean {
    return nav.accepts(this, index, gesture);
  }

  /** The 2D viewports a pan moves: this one, or (Ctrl) every pannable one with an image. */
  panStart(index: number, all: boolean): PanStart {
    return nav.panStart(this, index, all);
  }

  /** Move every viewport of `start` by the same world distance `delta` (mm), at its own zoom. */
  panFrom(_index: number, start: PanStart, delta: [number, number, number]) {
    nav.panFrom(this, start, delta);
  }

  /** Pin the time series of the viewport's 4D image at canvas pixel (x, y). */
  pinAt(index: number, x: number, y: number) {
    nav.pinAt(this, index, x, y);
  }

  /** The background a middle drag in viewport `index` windows, with its limits there now. */
  windowStart(index: number): WindowStart | null {
    const back = this.viewports[index]?.entries.find((e) => e.vol !== null && e.role === "background");
    const item = back ? this.items.get(back.key) : undefined;
    if (!back || !item) return null;
    const look = effectiveLook(item.look, back.override);
    return { key: back.key, limits: [look.calMin, look.calMax] };
  }

  windowFrom(index: number, start: WindowStart, moved: [number, number]) {
    looks.windowFrom(this, index, start.key, start.limits, moved);
  }

  closePin() {
    if (this.pin === null) return;
    this.pin = null;
    this.changed();
  }

  // ------------------------------------------------------------------ shared state (sharedstate.ts)

  state(pid: string | null, sid: string | null): { state: ViewerState; skipped: string[] } {
    return shared.state(this, pid, sid);
  }

  /** Reopen a saved state; `sourceOf` turns an item into something loadable. */
  restore(state: ViewerState, sourceOf: (fileId: number, name: string, series: boolean, kind: ItemKind) => Source): Promise<void> {
    return shared.restore(this, state, sourceOf);
  }

  /** Live viewport state for tests: zoom, pan, slice and each volume's limits, colormap and frame. */
  debug() {
    return shared.debug(this);
  }
}
