/**
 * The ROI tool of one viewer engine: its workspace, the overlays showing it, the drawing hook, and the
 * actions that join them to the viewer and the server: a new ROI on the grid of a viewport's background
 * (empty, or thresholded at the lower colour limit), an archive ROI file opened as an ROI, focus on the
 * centre of gravity, save (versioned; a 409 is handed back for the window to ask), download.
 */
import type { ViewerEngine } from "../../viewer/engine";
import { effectiveLook } from "../../viewer/model";
import { centreOfGravity, type Grid } from "../grid";
import { decodeRoi, encodeRoi } from "../nifti";
import { AssistantController } from "../assistant/controller";
import { assistantPress } from "../assistant/gestures";
import { roiApi } from "./api";
import { RoiDrawing } from "./drawing";
import { RoiOverlays } from "./overlays";
import { PenPreview } from "./preview";
import { volumeGrid, volumeScale } from "./volume";
import { type OpenRoi, type RoiCase, RoiWorkspace } from "./workspace";

export interface Background {
  key: string;
  name: string;
  grid: Grid;
  fileId: number | null;
  case: RoiCase | null;
  limits: [number, number];
  values: ArrayLike<number>;
  slope: number;
  inter: number;
}

export class RoiTool {
  readonly ws = new RoiWorkspace();
  readonly overlays: RoiOverlays;
  readonly drawing: RoiDrawing;
  readonly preview: PenPreview;
  readonly assistant: AssistantController;

  constructor(readonly engine: ViewerEngine) {
    this.overlays = new RoiOverlays(engine, this.ws);
    this.drawing = new RoiDrawing(engine, this.ws);
    this.preview = new PenPreview(engine, this.ws, this.drawing);
    this.assistant = new AssistantController(this.ws);
    this.drawing.assist = (index, e) => assistantPress(engine, this.assistant, index, e);
    engine.tool = this.drawing;
    // drawing owns the viewers' left click while it is on; another tool taking the click turns it off
    engine.leftClick.register("roi", () => this.ws.setDrawing(false));
    this.ws.subscribe(() => engine.leftClick.set("roi", this.ws.drawing));
    engine.volumeActions = [
      ...engine.volumeActions.filter((a) => a.id !== "roi-from-image"),
      {
        id: "roi-from-image",
        label: "✎",
        title: "new ROI on this image: the voxels at or above its lower colour limit",
        run: (index, key) => {
          const r = this.fromImage(index, key);
          if (typeof r === "string") engine.message(r);
          else {
            this.ws.setDrawing(true);
            this.onOpened?.();
          }
        },
      },
    ];
  }

  /** Called when an action outside the window opened an ROI (the window opens). */
  onOpened: (() => void) | null = null;

  /** The background of viewport `index` (the active one by default) with its grid and colour limits. */
  background(index = this.engine.active, key?: string): Background | null {
    const entries = this.engine.viewports[index]?.entries ?? [];
    const entry = entries.find((e) => e.vol !== null && (key === undefined ? e.role === "background" : e.key === key));
    const item = entry ? this.engine.items.get(entry.key) : undefined;
    const vol = entry?.vol;
    if (!entry || !item || !vol?.hdr) return null;
    const look = effectiveLook(item.look, entry.override);
    const src = item.source;
    return {
      key: entry.key,
      name: src.name,
      grid: volumeGrid(vol),
      fileId: src.fileId,
      case: src.pid && src.sid ? { pid: src.pid, sid: src.sid } : null,
      limits: [look.calMin, look.calMax],
      values: (vol.img as ArrayLike<number> | undefined) ?? [],
      ...volumeScale(vol),
    };
  }

  /** "New ROI": an empty ROI on the grid of the active viewport's background. */
  newRoi(index = this.engine.active, name = "roi"): OpenRoi | string {
    const back = this.background(index);
    if (!back) return "Load an image first: a new ROI takes the grid of the viewport's background";
    return this.ws.open(this.ws.freeName(name, back.case), back.grid, { fileId: back.fileId, path: back.name }, back.case);
  }

  /** An ROI from an image: the voxels at or above the lower limit of its current window (NORA's viewbar). */
  fromImage(index: number, key?: string): OpenRoi | string {
    const back = this.background(index, key);
    if (!back) return "This viewport shows no image";
    const n = back.grid.dims[0] * back.grid.dims[1] * back.grid.dims[2];
    const mask = new Uint8Array(n);
    const low = back.limits[0];
    for (let v = 0; v < n; v++) mask[v] = (back.values[v] ?? 0) * back.slope + back.inter >= low ? 1 : 0;
    const base = back.name.replace(/\.(nii(\.gz)?|nrrd|mgz|mgh)$/i, "").replace(/[^A-Za-z0-9._-]/g, "_") || "roi";
    const r = this.ws.open(this.ws.freeName(`${base}_roi`, back.case), back.grid, { fileId: back.fileId, path: back.name }, back.case, mask);
    r.dirty = true;
    return r;
  }

  /** An archive ROI file (ROIS/<name>.nii.gz) opened as an ROI, at its current version. */
  async openFile(project: string, file: { path: string; pid?: string; sid?: string | null }): Promise<OpenRoi | string> {
    const m = /^ROIS\/([^/]+)\.nii(\.gz)?$/.exec(file.path);
    if (!m || !file.pid || !file.sid) return `${file.path} is not an ROI file (ROIS/<name>.nii.gz)`;
    const roiCase = { pid: file.pid, sid: file.sid };
    const name = m[1]!;
    const open = this.ws.rois.find((r) => r.name === name && r.case?.pid === roiCase.pid && r.case?.sid === roiCase.sid);
    if (open) {
      this.ws.setCurrent(open.id);
      return open;
    }
    const info = await roiApi.get(project, roiCase.pid, roiCase.sid, name);
    if (!info.url) return `${name}: the ROI has no file`;
    const vol = await decodeRoi(new Uint8Array(await roiApi.bytes(info.url)));
    return this.ws.open(name, vol.grid, { fileId: info.reference_id, path: info.reference ?? "" }, roiCase, vol.data, info.current);
  }

  /**
   * A file dragged from the files panel: an ROI file opens as an ROI; an image gives an empty ROI on its
   * grid (its header read from the archive, nothing shown).
   */
  async openDropped(project: string, file: { id: number; path: string; format: string; pid?: string; sid?: string | null }): Promise<OpenRoi | string> {
    if (/^ROIS\/[^/]+\.nii(\.gz)?$/.test(file.path)) return this.openFile(project, file);
    const shown = [...this.engine.items.values()].find((i) => i.source.fileId === file.id);
    if (shown) {
      for (let i = 0; i < this.engine.viewports.length; i++) if (this.engine.shows(i, shown.source.key)) {
        const back = this.background(i, shown.source.key);
        if (back) return this.ws.open(this.ws.freeName("roi", back.case), back.grid, { fileId: back.fileId, path: back.name }, back.case);
      }
    }
    if (!/\.nii(\.gz)?$/i.test(file.path) || !file.pid || !file.sid) return `${file.path}: drop an ROIS/ file or a NIfTI image of a study (or show the image first)`;
    const url = `/api/projects/${encodeURIComponent(project)}/viewer/files/${file.id}/content`;
    const grid = await gridOfNifti(new Uint8Array(await this.engine.cache.get(url)));
    const roiCase = { pid: file.pid, sid: file.sid };
    return this.ws.open(this.ws.freeName("roi", roiCase), grid, { fileId: file.id, path: file.path }, roiCase);
  }

  /** Move the crosshair to the ROI's centre of gravity. */
  focus(id: number): boolean {
    const r = this.ws.byId(id);
    const c = r ? centreOfGravity(r.roi) : null;
    if (!c) return false;
    this.engine.setCrosshairMM(c);
    return true;
  }

  /** Save as the next version (`base`: the version the page has); throws the server's error (409 included). */
  async save(project: string, id: number, opts: { name?: string; base?: number } = {}): Promise<void> {
    const r = this.ws.byId(id);
    if (!r) return;
    if (!r.case) throw new Error(`${r.name}: its reference is not an archive image of a study, so it cannot be saved there (download it)`);
    if (r.reference.fileId === null) throw new Error(`${r.name}: its reference is a local file; download the ROI instead`);
    const name = opts.name ?? r.name;
    const base = opts.base ?? (name === r.name ? r.base : 0);
    const out = await roiApi.save(project, r.case.pid, r.case.sid, name, await encodeRoi(r.roi), r.reference.fileId, base);
    this.ws.saved(id, out.current, name);
  }

  /** The server's current version of the ROI (after a conflict: save on top of it). */
  async currentVersion(project: string, id: number): Promise<number> {
    const r = this.ws.byId(id);
    if (!r?.case) return 0;
    return (await roiApi.get(project, r.case.pid, r.case.sid, r.name)).current;
  }

  /** The ROI as a .nii.gz file saved by the browser. */
  async download(id: number): Promise<void> {
    const r = this.ws.byId(id);
    if (!r) return;
    const blob = new Blob([(await encodeRoi(r.roi)) as BlobPart], { type: "application/gzip" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `${r.name}.nii.gz`;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }
}

/** The grid of NIfTI bytes (gzip or not): decodeRoi reads the header and the voxels as a mask. */
function gridOfNifti(bytes: Uint8Array): Promise<Grid> {
  return decodeRoi(bytes).then((v) => v.grid);
}

const tools = new WeakMap<ViewerEngine, RoiTool>();

declare global {
  interface Window {
    noraRois?: RoiTool;
  }
}

/** The one ROI tool of an engine (exposed as `window.noraRois` for the browser tests). */
export function roiToolOf(engine: ViewerEngine): RoiTool {
  let t = tools.get(engine);
  if (!t) {
    t = new RoiTool(engine);
    tools.set(engine, t);
    window.noraRois = t;
  }
  return t;
}
