/**
 * The ROI tool's workspace: the ROIs open in the page (each a mask on its reference's grid with its own
 * undo history, colour, visibility, opacity, outline and the server version it started from), which one
 * is current (the drawing target), whether drawing is on, the pen, and "hide all" (V). Pure state: no
 * niivue, no DOM, so Node tests drive it; the overlays (overlays.ts) and the window (RoiTool.tsx)
 * subscribe. Every change to a mask goes through a ChangeRecorder, so each stroke or operation is one
 * undoable step, and tells the overlays which ROI's voxels changed (`onData`) without copying the mask.
 */
import { countInside, emptyRoi, type Grid, type RoiVolume, type Vec3 } from "../grid";
import { ChangeRecorder, History, type Change } from "../history";
import { combine, fillHoles, morphology, removeSalt, type Morphology, type SetOperation } from "../morphology";
import { fillOutline } from "../polygon";

export type PenKind = "paint" | "higher" | "lower" | "higherGrow" | "lowerGrow" | "magic" | "magicConnected" | "grow3d" | "polygon" | "assistant";

export const PENS: { id: PenKind; label: string }[] = [
  { id: "paint", label: "Pen" },
  { id: "higher", label: "Higher" },
  { id: "lower", label: "Lower" },
  { id: "higherGrow", label: "Higher RGrow" },
  { id: "lowerGrow", label: "Lower RGrow" },
  { id: "magic", label: "Magic pen" },
  { id: "magicConnected", label: "Magic pen (connected)" },
  { id: "grow3d", label: "3D region growing" },
  { id: "polygon", label: "Polygon" },
  { id: "assistant", label: "Assistant (3D, server)" },
];

export interface Pen {
  kind: PenKind;
  /** voxels (0: one voxel) */
  radius: number;
  /** null: the threshold comes from the colour limits (Higher: the lower limit, Lower: the upper one) */
  threshold: number | null;
  /** the magic pen's similarity, a fraction of the window width */
  similarity: number;
}

export const MAX_RADIUS = 50;
export const COLOURS = ["#ff3b30", "#34c759", "#0a84ff", "#ffcc00", "#bf5af2", "#ff9f0a", "#64d2ff", "#ff2d55"];

export interface RoiCase {
  pid: string;
  sid: string;
}

export interface Reference {
  /** the archive file id of the reference image (null: a local file, the ROI cannot be saved) */
  fileId: number | null;
  /** its path in the study, or its name */
  path: string;
}

export interface OpenRoi {
  id: number;
  name: string;
  case: RoiCase | null;
  reference: Reference;
  roi: RoiVolume;
  history: History;
  colour: string;
  visible: boolean;
  opacity: number;
  outline: boolean;
  /** the server version this content started from (0: not saved yet) */
  base: number;
  /** changed since it was opened or last saved */
  dirty: boolean;
  /** voxels inside (kept up to date by every change) */
  voxels: number;
}

/** The polygon pen's outline being drawn: in one viewport tile, on one slice of the ROI's grid. */
export interface PolygonDraft {
  roiId: number;
  viewport: number;
  tile: number;
  fixed: 0 | 1 | 2;
  slice: number;
  /** world mm */
  points: Vec3[];
}

/** What the niivue side does when ROIs change (overlays.ts implements it). */
export interface RoiView {
  added(roi: OpenRoi): void;
  /** voxels of `roi` changed (its mask array is the same object, changed in place) */
  data(roi: OpenRoi): void;
  /** colour, visibility, opacity or outline changed (or "hide all") */
  look(roi: OpenRoi, shown: boolean): void;
  removed(roi: OpenRoi): void;
}

export class RoiWorkspace {
  rois: OpenRoi[] = [];
  currentId: number | null = null;
  /** drawing on (Space): off until the user opens an ROI or turns it on; another tool's mode turns it off */
  drawing = false;
  hiddenAll = false;
  pen: Pen = { kind: "paint", radius: 3, threshold: null, similarity: 0.1 };
  polygon: PolygonDraft | null = null;
  /** Counts finished changes of the masks and of the list (not the moves of a stroke): ROIstats recomputes on it. */
  settled = 0;
  private nextId = 1;
  private version = 0;
  private listeners = new Set<() => void>();
  private views = new Set<RoiView>();

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getVersion = (): number => this.version;

  changed(): void {
    this.version += 1;
    for (const fn of this.listeners) fn();
  }

  attach(view: RoiView): () => void {
    this.views.add(view);
    for (const r of this.rois) view.added(r);
    return () => this.views.delete(view);
  }

  get current(): OpenRoi | null {
    return this.rois.find((r) => r.id === this.currentId) ?? null;
  }

  /** The ROI drawn on now: a current ROI with drawing on (Space), not suspended by Shift. */
  target(shift: boolean): OpenRoi | null {
    return this.drawing && !shift ? this.current : null;
  }

  byId(id: number): OpenRoi | null {
    return this.rois.find((r) => r.id === id) ?? null;
  }

  /** Open an ROI (an empty one on `grid`, or `mask`) and make it current. */
  open(name: string, grid: Grid, reference: Reference, roiCase: RoiCase | null, mask?: Uint8Array, base = 0): OpenRoi {
    const roi = emptyRoi(grid);
    if (mask) {
      if (mask.length !== roi.data.length) throw new Error(`${name}: the mask has ${mask.length} voxels, its grid ${roi.data.length}`);
      for (let v = 0; v < mask.length; v++) roi.data[v] = mask[v] ? 1 : 0;
    }
    const entry: OpenRoi = {
      id: this.nextId++,
      name,
      case: roiCase,
      reference,
      roi,
      history: new History(),
      colour: COLOURS[(this.nextId - 2) % COLOURS.length]!,
      visible: true,
      opacity: 0.5,
      outline: false,
      base,
      dirty: false,
      voxels: countInside(roi),
    };
    this.rois.push(entry);
    this.settled += 1;
    this.currentId = entry.id;
    for (const v of this.views) v.added(entry);
    this.changed();
    return entry;
  }

  /** A name not yet open for that case: `base`, `base_2`, ... */
  freeName(base: string, roiCase: RoiCase | null): string {
    const taken = (n: string) => this.rois.some((r) => r.name === n && sameCase(r.case, roiCase));
    if (!taken(base)) return base;
    for (let n = 2; ; n++) if (!taken(`${base}_${n}`)) return `${base}_${n}`;
  }

  remove(id: number): void {
    const r = this.byId(id);
    if (!r) return;
    this.rois = this.rois.filter((x) => x !== r);
    this.settled += 1;
    if (this.currentId === id) this.currentId = this.rois[this.rois.length - 1]?.id ?? null;
    for (const v of this.views) v.removed(r);
    this.changed();
  }

  setCurrent(id: number | null): void {
    this.currentId = id;
    this.changed();
  }

  /** Esc: no drawing target. */
  clearTarget(): void {
    if (this.currentId === null) return;
    this.currentId = null;
    this.changed();
  }

  toggleDrawing(): void {
    this.setDrawing(!this.drawing);
  }

  setDrawing(on: boolean): void {
    if (this.drawing === on) return;
    this.drawing = on;
    this.changed();
  }

  /** V: hide every ROI, or show again what was visible. */
  toggleHideAll(): void {
    this.hiddenAll = !this.hiddenAll;
    for (const r of this.rois) this.tellLook(r);
    this.changed();
  }

  shown(r: OpenRoi): boolean {
    return r.visible && !this.hiddenAll;
  }

  setLook(id: number, change: Partial<Pick<OpenRoi, "colour" | "visible" | "opacity" | "outline" | "name">>): void {
    const r = this.byId(id);
    if (!r) return;
    Object.assign(r, change);
    this.tellLook(r);
    this.changed();
  }

  setPen(change: Partial<Pen>): void {
    const pen = { ...this.pen, ...change };
    pen.radius = Math.max(0, Math.min(MAX_RADIUS, Math.round(pen.radius)));
    pen.similarity = Math.max(0, Math.min(1, pen.similarity));
    this.pen = pen;
    this.changed();
  }

  private tellLook(r: OpenRoi): void {
    for (const v of this.views) v.look(r, this.shown(r));
  }

  /** The voxels of `r` changed in place: recount, mark unsaved, tell the overlays. */
  touched(r: OpenRoi, counts = true): void {
    if (counts) {
      r.voxels = countInside(r.roi);
      this.settled += 1;
    }
    r.dirty = true;
    for (const v of this.views) v.data(r);
    this.changed();
  }

  // ------------------------------------------------------------------ strokes and history

  /** Begin an edit of `r` (a stroke, a pen click): write through the recorder, then `finish`. */
  begin(r: OpenRoi): Stroke {
    return new Stroke(this, r);
  }

  /** Told of every undo (`undo` true) and redo of a ROI's history, with the change (the assistant's
   * session follows the ROI's Ctrl+Z). */
  onHistory: ((r: OpenRoi, change: Change, undo: boolean) => void) | null = null;

  undo(id = this.currentId): boolean {
    const r = id === null ? null : this.byId(id);
    const change = r ? r.history.undo(r.roi) : null;
    if (!r || !change) return false;
    this.touched(r);
    this.onHistory?.(r, change, true);
    return true;
  }

  redo(id = this.currentId): boolean {
    const r = id === null ? null : this.byId(id);
    const change = r ? r.history.redo(r.roi) : null;
    if (!r || !change) return false;
    this.touched(r);
    this.onHistory?.(r, change, false);
    return true;
  }

  /** Replace the mask of `r` by `next` as one undoable change. */
  replace(r: OpenRoi, next: Uint8Array): number {
    const rec = new ChangeRecorder(r.roi);
    const data = r.roi.data;
    for (let v = 0; v < data.length; v++) if ((data[v] ? 1 : 0) !== (next[v] ? 1 : 0)) rec.set(v, next[v] ? 1 : 0);
    const change = rec.finish();
    r.history.push(change);
    if (change.indices.length > 0) this.touched(r);
    return change.indices.length;
  }

  /** Clear every voxel (undoable). */
  clear(id: number): void {
    const r = this.byId(id);
    if (r) this.replace(r, new Uint8Array(r.roi.data.length));
  }

  // ------------------------------------------------------------------ operations (the server's definitions)

  morph(id: number, operation: Morphology, iterations: number): number {
    const r = this.byId(id);
    return r ? this.replace(r, morphology(r.roi.data, r.roi.grid, operation, iterations)) : 0;
  }

  removeSalt(id: number, minVoxels: number): number {
    const r = this.byId(id);
    return r ? this.replace(r, removeSalt(r.roi.data, r.roi.grid, minVoxels)) : 0;
  }

  fillHoles(id: number): number {
    const r = this.byId(id);
    return r ? this.replace(r, fillHoles(r.roi.data, r.roi.grid)) : 0;
  }

  /** `a` becomes a ∪ b, a ∩ b or a \ b (the two on the same grid). */
  setOperation(a: number, b: number, operation: SetOperation): number {
    const ra = this.byId(a), rb = this.byId(b);
    if (!ra || !rb) return 0;
    if (!sameDims(ra.roi.grid, rb.roi.grid)) {
      throw new Error(`${ra.name} (${ra.roi.grid.dims.join("×")}) and ${rb.name} (${rb.roi.grid.dims.join("×")}) are not on the same grid`);
    }
    return this.replace(ra, combine(ra.roi.data, rb.roi.data, operation));
  }

  setPolygon(draft: PolygonDraft | null): void {
    this.polygon = draft;
    this.changed();
  }

  /** Render the polygon into its ROI (left: inside set, right: erased) as one undoable step. */
  renderPolygon(value: 0 | 1 = 1): number {
    const draft = this.polygon;
    const r = draft ? this.byId(draft.roiId) : null;
    if (!draft || !r || draft.points.length < 3) return 0;
    const stroke = this.begin(r);
    const n = fillOutline(r.roi.grid, stroke.rec, { points: draft.points, fixed: draft.fixed, slice: draft.slice }, value);
    stroke.finish();
    this.setPolygon(null);
    return n;
  }

  /** Saved as version `version`: the content is the server's now. */
  saved(id: number, version: number, name?: string): void {
    const r = this.byId(id);
    if (!r) return;
    r.base = version;
    r.dirty = false;
    if (name !== undefined && name !== r.name) {
      r.name = name;
      this.settled += 1;
    }
    this.changed();
  }

  /** The ROIs of a case with unsaved changes (moving to the next case saves or asks). */
  unsaved(roiCase: RoiCase | null): OpenRoi[] {
    return this.rois.filter((r) => r.dirty && (roiCase === null || sameCase(r.case, roiCase)));
  }
}

/** One edit in progress: its recorder; `finish` makes it one step of the ROI's history. */
export class Stroke {
  readonly rec: ChangeRecorder;
  private done = false;

  constructor(private readonly ws: RoiWorkspace, readonly target: OpenRoi) {
    this.rec = new ChangeRecorder(target.roi);
  }

  /** Voxels were written: show them (no recount per move: counting is a pass over the whole mask). */
  update(): void {
    this.ws.touched(this.target, false);
  }

  finish(): Change | null {
    if (this.done) return null;
    this.done = true;
    const change = this.rec.finish();
    this.target.history.push(change);
    if (change.indices.length > 0) this.ws.touched(this.target);
    return change;
  }
}

export function sameCase(a: RoiCase | null, b: RoiCase | null): boolean {
  return a === b || (!!a && !!b && a.pid === b.pid && a.sid === b.sid);
}

export function sameDims(a: Grid, b: Grid): boolean {
  return a.dims.every((d, n) => d === b.dims[n]);
}
