/**
 * Measurements in the 2D viewports: distance and angle (drawn and kept by niivue per viewport, on the
 * slice they were made on), rectangle and ellipse regions with their statistics (computed here from the
 * background volume). Everything is kept per background file: switching to another image or case puts the
 * old file's measurements aside and brings them back when the file is shown again, until cleared.
 */
import { DRAG_MODE, type Niivue, type NVImage } from "@niivue/niivue";
import type { FileMeasurementsOutput } from "../../api/schema";
import { VersionedStore } from "../../lib/store";
import type { ViewerEngine } from "../engine";
import { viewportCount } from "../model";
import { regionStats, type RegionStats, type Vec3 } from "./stats";

export type Tool = "off" | "distance" | "angle" | "rect" | "ellipse";

export const TOOLS: { id: Tool; label: string }[] = [
  { id: "off", label: "Measure: off" },
  { id: "distance", label: "Distance" },
  { id: "angle", label: "Angle" },
  { id: "rect", label: "Rectangle" },
  { id: "ellipse", label: "Ellipse" },
];

type Distance = Niivue["document"]["completedMeasurements"][number];
type Angle = Niivue["document"]["completedAngles"][number];

export interface Region {
  shape: "rect" | "ellipse";
  startMM: Vec3;
  endMM: Vec3;
  stats: RegionStats;
}

export interface FileMeasurements {
  distances: Distance[];
  angles: Angle[];
  regions: Region[];
}

const MODES: Record<Tool, DRAG_MODE> = {
  off: DRAG_MODE.crosshair,
  distance: DRAG_MODE.measurement,
  angle: DRAG_MODE.angle,
  rect: DRAG_MODE.callbackOnly,
  ellipse: DRAG_MODE.roiSelection,
};

const empty = (): FileMeasurements => ({ distances: [], angles: [], regions: [] });

function background(engine: ViewerEngine, index: number): { key: string; vol: NVImage } | null {
  const e = engine.viewports[index]?.entries.find((x) => x.role === "background" && x.vol !== null);
  return e && e.vol ? { key: e.key, vol: e.vol } : null;
}

function vec(v: ArrayLike<number>): Vec3 {
  return [v[0] ?? 0, v[1] ?? 0, v[2] ?? 0];
}

/** A file's measurements as a shared link keeps them (the server's FileMeasurements); null for local files. */
export function measurementsState(key: string, m: FileMeasurements): FileMeasurementsOutput | null {
  const id = /^file:(\d+)$/.exec(key);
  if (!id) return null;
  const onSlice = (x: { sliceIndex: number; sliceType: number; slicePosition: number }) => ({
    slice_index: x.sliceIndex,
    slice_type: x.sliceType,
    slice_position: x.slicePosition,
  });
  return {
    file_id: Number(id[1]),
    distances: m.distances.map((d) => ({ ...onSlice(d), start_mm: vec(d.startMM), end_mm: vec(d.endMM), distance: d.distance })),
    angles: m.angles.map((a) => ({
      ...onSlice(a),
      first: { start: vec(a.firstLineMM.start), end: vec(a.firstLineMM.end) },
      second: { start: vec(a.secondLineMM.start), end: vec(a.secondLineMM.end) },
      angle: a.angle,
    })),
    regions: m.regions.map((r) => ({
      shape: r.shape,
      start_mm: r.startMM,
      end_mm: r.endMM,
      stats: { n: r.stats.n, mean: r.stats.mean, std: r.stats.std, min: r.stats.min, max: r.stats.max, area_mm2: r.stats.areaMM2 },
    })),
  };
}

/** The measurements of a shared link, by file key (`file:ID`), as niivue and the list hold them. */
export function measurementsFromState(states: FileMeasurementsOutput[]): Record<string, FileMeasurements> {
  const f32 = (v: readonly number[]) => new Float32Array(v) as unknown as Distance["startMM"];
  const onSlice = (x: { slice_index: number; slice_type: number; slice_position: number }) => ({
    sliceIndex: x.slice_index,
    sliceType: x.slice_type as Distance["sliceType"],
    slicePosition: x.slice_position,
  });
  return Object.fromEntries(
    states.map((s) => [
      `file:${s.file_id}`,
      {
        distances: s.distances.map((d) => ({ ...onSlice(d), startMM: f32(d.start_mm), endMM: f32(d.end_mm), distance: d.distance })),
        angles: s.angles.map((a) => ({
          ...onSlice(a),
          firstLineMM: { start: f32(a.first.start), end: f32(a.first.end) },
          secondLineMM: { start: f32(a.second.start), end: f32(a.second.end) },
          angle: a.angle,
        })),
        regions: s.regions.map((r) => ({
          shape: r.shape,
          startMM: vec(r.start_mm),
          endMM: vec(r.end_mm),
          stats: { n: r.stats.n, mean: r.stats.mean, std: r.stats.std, min: r.stats.min, max: r.stats.max, areaMM2: r.stats.area_mm2 },
        })),
      },
    ]),
  );
}

export class Measurements extends VersionedStore {
  tool: Tool = "off";
  private readonly byFile = new Map<string, FileMeasurements>();
  private shown: (string | null)[] = [];

  constructor(private readonly engine: ViewerEngine) {
    super();
    engine.subscribe(() => this.sync());
    engine.leftClick.register("measure", () => this.setTool("off"));
  }

  setTool(tool: Tool) {
    this.tool = tool;
    this.engine.leftClick.set("measure", tool !== "off");
    this.sync();
    this.changed();
  }

  /** The measurements of every file, those on screen first. */
  list(): { key: string; name: string; m: FileMeasurements }[] {
    this.saveShown();
    return [...this.byFile.entries()]
      .filter(([, m]) => m.distances.length + m.angles.length + m.regions.length > 0)
      .map(([key, m]) => ({ key, name: this.engine.items.get(key)?.source.name ?? key, m }));
  }

  /** Forget the measurements of one file (every file when `key` is null) and take them off screen. */
  clear(key: string | null) {
    if (key === null) this.byFile.clear();
    else this.byFile.delete(key);
    this.engine.viewports.forEach((vp, i) => {
      if (key === null || this.shown[i] === key) {
        vp.nv.clearAllMeasurements();
        vp.nv.drawScene();
      }
    });
    this.changed();
  }

  /** What a shared link keeps: per file key. */
  exported(): Record<string, FileMeasurements> {
    this.saveShown();
    return Object.fromEntries(this.byFile);
  }

  /** Measurements from a shared link; shown when their files are. */
  imported(all: Record<string, FileMeasurements>) {
    this.byFile.clear();
    for (const [key, m] of Object.entries(all)) this.byFile.set(key, m);
    this.shown = [];
    this.sync();
    this.changed();
  }

  private saveShown() {
    this.shown.forEach((_key, i) => this.saveShownAt(i));
  }

  /** Apply the tool to every viewport and show each viewport's file's measurements. */
  private sync() {
    const n = viewportCount(this.engine.layout);
    this.engine.viewports.forEach((vp, i) => {
      const nv = vp.nv;
      const render = vp.slice === "render";
      const tool = render || i >= n ? "off" : this.tool; // the 3D view keeps rotating
      nv.setMouseEventConfig({ leftButton: { primary: MODES[tool] }, rightButton: DRAG_MODE.pan, centerButton: DRAG_MODE.windowing });
      nv.onMeasurementCompleted = () => this.completed();
      nv.onAngleCompleted = () => this.completed();
      nv.onDragRelease = (p) => this.released(i, p.voxStart, p.voxEnd, p.mmStart, p.mmEnd);
      const bg = background(this.engine, i);
      const key = bg?.key ?? null;
      if (key === (this.shown[i] ?? null)) return;
      this.saveShownAt(i);
      const m = key !== null ? this.byFile.get(key) : undefined;
      nv.document.completedMeasurements = m ? [...m.distances] : [];
      nv.document.completedAngles = m ? [...m.angles] : [];
      this.shown[i] = key;
      // not from inside niivue's own callbacks (the engine changes in them): on the next frame
      requestAnimationFrame(() => nv.drawScene());
    });
  }

  private saveShownAt(i: number) {
    const key = this.shown[i] ?? null;
    const nv = this.engine.viewports[i]?.nv;
    if (key === null || !nv) return;
    const m = this.byFile.get(key) ?? empty();
    this.byFile.set(key, { ...m, distances: [...nv.document.completedMeasurements], angles: [...nv.document.completedAngles] });
  }

  private completed() {
    this.saveShown();
    this.changed();
  }

  private released(i: number, voxStart: ArrayLike<number>, voxEnd: ArrayLike<number>, mmStart: ArrayLike<number>, mmEnd: ArrayLike<number>) {
    if (this.tool !== "rect" && this.tool !== "ellipse") return;
    const bg = background(this.engine, i);
    if (bg === null) return;
    const hdr = bg.vol.hdr;
    if (!hdr) return;
    const dims: Vec3 = [hdr.dims[1] ?? 1, hdr.dims[2] ?? 1, hdr.dims[3] ?? 1];
    const spacing: Vec3 = [Math.abs(hdr.pixDims[1] ?? 1), Math.abs(hdr.pixDims[2] ?? 1), Math.abs(hdr.pixDims[3] ?? 1)];
    const frame = bg.vol.frame4D ?? 0;
    const stats = regionStats((x, y, z) => bg.vol.getValue(x, y, z, frame), vec(voxStart), vec(voxEnd), dims, spacing, this.tool);
    if (stats === null) {
      this.engine.message("Measure: draw the region inside one slice of the image");
      return;
    }
    const m = this.byFile.get(bg.key) ?? empty();
    this.byFile.set(bg.key, { ...m, regions: [...m.regions, { shape: this.tool, startMM: vec(mmStart), endMM: vec(mmEnd), stats }] });
    this.changed();
  }
}
