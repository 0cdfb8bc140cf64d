/**
 * The marker sets open in the page (NORA's Marker Tool): per patient, each with the version it was opened
 * at (saves send it, so a save over someone else's newer version is a 409, never an overwrite), whether it
 * changed since, and which one is current (the one clicks add to). Editing: new pointset / freeline,
 * rename, colour, size, add / rename / delete / move points. Saving and opening go through the REST routes
 * of docs/annotation.md. A store with `subscribe` / `getVersion` (React reads it with useSyncExternalStore).
 */
import { api, ok } from "../../api/client";
import type { MarkerSet, MarkersOut } from "../../api/schema";
import { VersionedStore } from "../../lib/store";
import type { Vec3 } from "./geometry";

/** A marker set with every field present (as the page holds and sends it). */
export type MarkerDoc = Required<Omit<MarkerSet, "points">> & { points: { name: string; x: number; y: number; z: number }[] };
export type MarkerType = MarkerDoc["type"];

export interface OpenSet {
  /** the page's own id of this open set */
  id: number;
  pid: string;
  doc: MarkerDoc;
  /** the version it was opened or last saved at (0: not on the server yet) */
  base: number;
  /** the name it has on the server (a renamed set saves as a new one) */
  savedName: string | null;
  dirty: boolean;
  visible: boolean;
}

export const DEFAULT_COLOR = "#ffcc00";
export const DEFAULT_SIZE = 3;
export const SIZE_LIMITS = { min: 0.5, max: 100 };

export const markersApi = {
  list: (project: string, pid: string) =>
    ok(api.GET("/api/projects/{project}/patients/{pid}/markers", { params: { path: { project, pid } } })),
  get: (project: string, pid: string, name: string) =>
    ok(api.GET("/api/projects/{project}/patients/{pid}/markers/{name}", { params: { path: { project, pid, name } } })),
  save: (project: string, pid: string, doc: MarkerDoc, base: number) =>
    ok(
      api.PUT("/api/projects/{project}/patients/{pid}/markers/{name}", {
        params: { path: { project, pid, name: doc.name }, query: { base } },
        body: doc,
      }),
    ),
};

/** A saved document with every field (the server fills defaults). */
export function complete(doc: MarkerSet): MarkerDoc {
  return {
    format: "nora.markers/1",
    type: doc.type ?? "pointset",
    name: doc.name,
    color: doc.color ?? DEFAULT_COLOR,
    size: doc.size ?? DEFAULT_SIZE,
    reference: doc.reference ?? null,
    points: (doc.points ?? []).map((p) => ({ name: p.name ?? "", x: p.x, y: p.y, z: p.z })),
  };
}

/** A name no open set of the patient has: `base`, `base_2`, ... */
export function freeName(taken: readonly string[], base: string): string {
  if (!taken.includes(base)) return base;
  for (let i = 2; ; i++) if (!taken.includes(`${base}_${i}`)) return `${base}_${i}`;
}

/** A name the server accepts for a set (a file name: letters, digits, `.`, `_`, `-`). */
export function nameProblem(name: string): string | null {
  if (name.trim() === "") return "a marker set needs a name";
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(name) || name.startsWith(".")) return "use letters, digits, '.', '_' and '-' (a file name)";
  return null;
}

export class MarkerWorkspace extends VersionedStore {
  sets: OpenSet[] = [];
  current: number | null = null;
  /** the selected point of the current set (the list highlights it, Delete removes it) */
  selected: number | null = null;
  /** clicks in the viewports add points to the current set */
  pen = false;
  /** the patient shown in the viewer: only their sets are drawn and listed */
  pid: string | null = null;
  private nextId = 1;

  /** The open sets of the patient shown. */
  shown(): OpenSet[] {
    return this.sets.filter((s) => s.pid === this.pid);
  }

  currentSet(): OpenSet | null {
    return this.sets.find((s) => s.id === this.current && s.pid === this.pid) ?? null;
  }

  byId(id: number): OpenSet | null {
    return this.sets.find((s) => s.id === id) ?? null;
  }

  /** Another patient is shown: their open sets (kept while the page lives) become the listed ones. */
  setPatient(pid: string | null) {
    if (pid === this.pid) return;
    this.pid = pid;
    const first = this.shown()[0];
    this.current = first ? first.id : null;
    this.selected = null;
    this.changed();
  }

  /** A new, empty set of patient `pid` (the shown one), made current when shown (a free name from `name`). */
  create(type: MarkerType, name?: string, color = DEFAULT_COLOR, size = DEFAULT_SIZE, pid = this.pid): OpenSet | null {
    if (pid === null) return null;
    const taken = this.sets.filter((s) => s.pid === pid).map((s) => s.doc.name);
    const doc: MarkerDoc = { format: "nora.markers/1", type, name: freeName(taken, name ?? type), color, size, reference: null, points: [] };
    const set: OpenSet = { id: this.nextId++, pid, doc, base: 0, savedName: null, dirty: true, visible: true };
    this.sets.push(set);
    if (pid === this.pid) this.current = set.id;
    this.selected = null;
    this.changed();
    return set;
  }

  /** A set read from the server (it replaces an unchanged open copy of the same name). */
  opened(pid: string, out: MarkersOut): OpenSet | null {
    if (!out.markers) return null;
    const doc = complete(out.markers);
    const same = this.sets.find((s) => s.pid === pid && s.doc.name === doc.name);
    if (same) {
      Object.assign(same, { doc, base: out.current, savedName: doc.name, dirty: false });
      this.changed();
      return same;
    }
    const set: OpenSet = { id: this.nextId++, pid, doc, base: out.current, savedName: doc.name, dirty: false, visible: true };
    this.sets.push(set);
    if (pid === this.pid && this.current === null) this.current = set.id;
    this.changed();
    return set;
  }

  /** A copy of `doc` (an earlier version) as a new, unsaved set of patient `pid`, under a free name from `name`. */
  openCopy(pid: string, doc: MarkerDoc, name: string): OpenSet | null {
    const set = this.create(doc.type, name, doc.color, doc.size, pid);
    if (!set) return null;
    set.doc = { ...doc, name: set.doc.name, points: doc.points.map((p) => ({ ...p })) };
    this.changed();
    return set;
  }

  /** Close an open set (its saved file stays). */
  close(id: number) {
    this.sets = this.sets.filter((s) => s.id !== id);
    if (this.current === id) this.current = this.shown()[0]?.id ?? null;
    this.selected = null;
    this.changed();
  }

  setCurrent(id: number) {
    this.current = id;
    this.selected = null;
    this.changed();
  }

  setPen(on: boolean) {
    this.pen = on;
    this.changed();
  }

  select(index: number | null) {
    this.selected = index;
    this.changed();
  }

  private edit(id: number, change: (set: OpenSet) => void) {
    const set = this.byId(id);
    if (!set) return;
    change(set);
    set.dirty = true;
    this.changed();
  }

  rename(id: number, name: string) {
    this.edit(id, (s) => (s.doc = { ...s.doc, name }));
  }

  setColor(id: number, color: string) {
    this.edit(id, (s) => (s.doc = { ...s.doc, color }));
  }

  setSize(id: number, size: number) {
    const clamped = Math.round(Math.max(SIZE_LIMITS.min, Math.min(SIZE_LIMITS.max, size)) * 10) / 10;
    this.edit(id, (s) => (s.doc = { ...s.doc, size: clamped }));
  }

  setVisible(id: number, visible: boolean) {
    const set = this.byId(id);
    if (!set) return;
    set.visible = visible;
    this.changed();
  }

  /** Add a point (world RAS mm) to the current set, named P1, P2, ... (a freeline's next waypoint). */
  addPoint(mm: Vec3): boolean {
    const set = this.currentSet();
    if (!set) return false;
    const names = new Set(set.doc.points.map((p) => p.name));
    let n = set.doc.points.length + 1;
    while (names.has(`P${n}`)) n++;
    const point = { name: `P${n}`, x: round(mm[0]), y: round(mm[1]), z: round(mm[2]) };
    this.edit(set.id, (s) => (s.doc = { ...s.doc, points: [...s.doc.points, point] }));
    this.selected = set.doc.points.length - 1;
    return true;
  }

  renamePoint(id: number, index: number, name: string) {
    this.edit(id, (s) => (s.doc = { ...s.doc, points: s.doc.points.map((p, i) => (i === index ? { ...p, name } : p)) }));
  }

  deletePoint(id: number, index: number) {
    this.edit(id, (s) => (s.doc = { ...s.doc, points: s.doc.points.filter((_, i) => i !== index) }));
    if (this.current === id) this.selected = null;
  }

  /** Save set `id` from the version it was opened at; a 409 (someone saved meanwhile) is thrown as ApiError. */
  async save(project: string, id: number, overBase?: number): Promise<OpenSet> {
    const set = this.byId(id);
    if (!set) throw new Error("that marker set is no longer open");
    const problem = nameProblem(set.doc.name);
    if (problem) throw new Error(problem);
    // a renamed set is a new object on the server (the file under the old name stays)
    const base = overBase ?? (set.savedName === set.doc.name ? set.base : 0);
    const doc = set.doc;
    const out = await markersApi.save(project, set.pid, doc, base);
    set.base = out.current;
    set.savedName = doc.name;
    set.dirty = set.doc !== doc; // edited while the save was under way
    this.changed();
    return set;
  }

  /** The open sets of patient `pid` changed since they were opened or saved. */
  dirty(pid: string): OpenSet[] {
    return this.sets.filter((s) => s.pid === pid && s.dirty);
  }
}

/** Coordinates as saved: a micrometre is plenty. */
function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
