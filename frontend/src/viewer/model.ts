/**
 * The viewer's plain data and pure rules: layouts, slicing, file kinds and drop options, CT windows,
 * item appearance, and the shared-state document. No niivue and no DOM here, so it is unit-tested.
 */
import type { ColorLimPreset, IntentOutput, ItemStateOutput, ViewerStateOutput, ViewportStateOutput } from "../api/schema";

// The names the server accepts (its pydantic literals, through the generated schema).
export type LayoutName = ViewerStateOutput["layout"];
export type SliceName = ViewportStateOutput["slice"];
export type ItemKind = ItemStateOutput["kind"];
export type Role = IntentOutput["role"];

/** Layouts in the order of the layout selector; `slices` are each viewport's default slicing. */
export const LAYOUTS: Record<LayoutName, { label: string; slices: SliceName[] }> = {
  single: { label: "Single", slices: ["axial"] },
  "1x2": { label: "1×2", slices: ["axial", "coronal"] },
  "2x2": { label: "2×2", slices: ["axial", "coronal", "sagittal", "render"] },
  "1+3": { label: "1+3", slices: ["axial", "coronal", "sagittal", "render"] },
  mpr: { label: "MPR", slices: ["axial", "coronal", "sagittal"] },
  mosaic: { label: "Mosaic strip", slices: ["axial", "mosaic"] },
};
export const LAYOUT_NAMES = Object.keys(LAYOUTS) as LayoutName[];
export const MAX_VIEWPORTS = 4;
export const SLICE_NAMES: SliceName[] = ["axial", "coronal", "sagittal", "render", "multiplanar", "mosaic"];

export function viewportCount(layout: LayoutName): number {
  return LAYOUTS[layout].slices.length;
}

export function isLayout(value: unknown): value is LayoutName {
  return typeof value === "string" && value in LAYOUTS;
}

/** What kind of object a file is, from the archive's format name or the file name. */
export function kindOf(format: string | null | undefined, name: string): ItemKind | null {
  const lower = name.toLowerCase();
  const f = (format ?? "").toLowerCase();
  if (f === "tck" || f === "trk" || /\.(tck|trk|trx|vtk)$/.test(lower)) return "tract";
  if (f === "gifti" || f === "stl" || /\.(gii|stl|mz3|obj|ply|pial|white|inflated)$/.test(lower)) return "mesh";
  if (["nifti", "analyze", "nrrd", "mgh", "dicom"].includes(f)) return "volume";
  if (/\.(nii|nii\.gz|nrrd|nhdr|mgh|mgz|hdr|img|dcm|head)$/.test(lower)) return "volume";
  return null;
}

/** The drop options a viewport offers for this kind of object. */
export function dropOptions(kind: ItemKind, viewportHasBackground: boolean): { role: Role; label: string }[] {
  if (kind !== "volume") return [{ role: "3d", label: "Show in 3D" }, { role: "overlay", label: "Add to this view" }];
  const options: { role: Role; label: string }[] = [{ role: "background", label: "Drop as background" }];
  if (viewportHasBackground) options.push({ role: "overlay", label: "Drop as overlay" });
  return options;
}

/** Standard CT windows (level/width in HU) for the keys 1-6; 0 restores the image's own range. */
export const CT_WINDOWS: Record<string, { name: string; level: number; width: number }> = {
  "1": { name: "brain", level: 40, width: 80 },
  "2": { name: "subdural", level: 75, width: 215 },
  "3": { name: "stroke", level: 40, width: 40 },
  "4": { name: "bone", level: 600, width: 2800 },
  "5": { name: "lung", level: -600, width: 1500 },
  "6": { name: "soft tissue", level: 50, width: 400 },
};

export function windowLimits(level: number, width: number): [number, number] {
  return [level - width / 2, level + width / 2];
}

/**
 * A colour-limit preset on a number key (NORA's `colormap.colorlimpresets`): `limits` null means the
 * image's own robust range.
 */
export interface LimPreset {
  name: string;
  limits: [number, number] | null;
  /** With `limits` null: the image's own values at these percentiles (windows.ts); without, its robust range. */
  percentiles?: [number, number];
  /** "40/80" for a level/width window, "0–900" for min/max limits, "p1–p99" for percentiles, "auto" for the image's range. */
  label: string;
}
export type LimPresets = Record<string, LimPreset>;

/** The default presets: the CT windows on 1-6 and the image's own range on 0. */
export const DEFAULT_LIM_PRESETS: LimPresets = {
  "0": { name: "image range", limits: null, label: "auto" },
  ...Object.fromEntries(
    Object.entries(CT_WINDOWS).map(([k, w]) => [k, { name: w.name, limits: windowLimits(w.level, w.width), label: `${w.level}/${w.width}` }]),
  ),
};

/**
 * The presets of a project's settings (`colorlimpresets`, validated by the server: keys 0-8, each either
 * level/width or min/max): absent or null gives the default table; otherwise exactly the configured keys.
 */
export function limPresetsFrom(settings: { colorlimpresets?: Record<string, ColorLimPreset> | null } | null | undefined): LimPresets {
  const raw = settings?.colorlimpresets;
  if (raw === null || raw === undefined) return DEFAULT_LIM_PRESETS;
  const out: LimPresets = {};
  for (const [key, { name, level, width, min, max }] of Object.entries(raw)) {
    if (level != null && width != null) out[key] = { name, limits: windowLimits(level, width), label: `${level}/${width}` };
    else if (min != null && max != null) out[key] = { name, limits: [min, max], label: `${min}–${max}` };
  }
  return out;
}

/** "1 brain 40/80" lines in key order, for the toolbar's preset list. */
export function limPresetLines(presets: LimPresets): { key: string; text: string }[] {
  return Object.keys(presets)
    .sort()
    .map((key) => ({ key, text: `${key} ${presets[key]!.name} ${presets[key]!.label}` }));
}

export interface Look {
  colormap: string;
  calMin: number;
  calMax: number;
  opacity: number;
  visible: boolean;
  outline: boolean;
  frame: number;
}

export const COLORMAPS = ["gray", "hot", "red", "green", "blue", "winter", "warm", "cool", "plasma", "viridis", "inferno", "jet", "actc"];

export function defaultLook(role: Role, index: number): Look {
  const overlayMaps = ["red", "green", "blue", "warm", "cool"];
  return {
    colormap: role === "overlay" ? (overlayMaps[index % overlayMaps.length] ?? "red") : "gray",
    calMin: Number.NaN,
    calMax: Number.NaN,
    opacity: role === "overlay" ? 0.6 : 1,
    visible: true,
    outline: false,
    frame: 0,
  };
}

/** The look in one viewport: the object's look with this viewport's own (Shift) changes on top. */
export function effectiveLook(look: Look, override: Partial<Look> | undefined): Look {
  return { ...look, ...(override ?? {}) };
}

/** Mosaic columns: default and bounds for Shift + wheel. */
export const MOSAIC_COLUMNS = { initial: 8, min: 1, max: 24 };

/**
 * Rows of a mosaic with `columns` tiles a row that fill a viewport of aspect `viewport` (width/height)
 * with tiles of aspect `tile` (at most 64 tiles in all).
 */
export function mosaicRows(columns: number, viewport: number, tile: number): number {
  if (!(viewport > 0) || !(tile > 0) || columns < 1) return 1;
  const rows = Math.floor((columns * tile) / viewport + 0.25);
  return Math.max(1, Math.min(rows, Math.floor(64 / columns)));
}

/** niivue's mosaic string: `rows` rows of `columns` axial slices evenly spaced across [min, max] mm. */
export function mosaicString(min: number, max: number, columns: number, rows: number): string {
  const pos = mosaicPositions(min, max, columns * rows);
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) lines.push(pos.slice(r * columns, (r + 1) * columns).join(" "));
  return `A ${lines.join(" ; ")}`;
}

/** Evenly spaced positions (mm) for a mosaic strip across an extent. */
export function mosaicPositions(min: number, max: number, count: number): number[] {
  if (!(max > min) || count < 1) return [0];
  const step = (max - min) / (count + 1);
  return Array.from({ length: count }, (_, i) => Math.round((min + step * (i + 1)) * 10) / 10);
}

/** A file the viewer can show: from the archive (by id and URL) or from the user's computer. */
export interface Source {
  key: string;
  name: string;
  kind: ItemKind;
  fileId: number | null;
  url: string | null;
  series: boolean;
  local: Blob | null;
  pid?: string | null;
  sid?: string | null;
  /** DICOM modality when the archive knows it (the file's header); else the window presets guess. */
  modality?: string | null;
}

/**
 * The name a DICOM series is shown by (viewbar, status bar): its series description, else its folder,
 * with the modality; never the file's name, which is often a SOP instance UID.
 */
export function seriesName(file: { path: string; header?: Record<string, unknown> }): string {
  const text = (v: unknown) => (typeof v === "string" ? v.trim() : "");
  const folder = file.path.includes("/") ? file.path.slice(0, file.path.lastIndexOf("/")).split("/").pop() ?? "" : "";
  const label = text(file.header?.["series_description"]) || folder;
  const modality = text(file.header?.["modality"]);
  const what = `${modality ? `${modality} ` : ""}series`;
  return label ? `${label} (${what})` : `${modality || "DICOM"} series`;
}

/** Viewer URLs of an archive file: DICOM files show their whole series as one converted volume. */
export function archiveSource(
  project: string,
  file: { id: number; path: string; format: string; pid?: string; sid?: string | null; header?: Record<string, unknown> },
): Source | null {
  const name = file.path.split("/").pop() ?? file.path;
  const kind = kindOf(file.format, name);
  if (kind === null) return null;
  const base = `/api/projects/${encodeURIComponent(project)}/viewer/files/${file.id}`;
  const series = file.format === "dicom";
  return {
    key: `file:${file.id}`,
    name: series ? seriesName(file) : name,
    kind,
    fileId: file.id,
    url: series ? `${base}/series.nii.gz` : `${base}/content`,
    series,
    local: null,
    pid: file.pid ?? null,
    sid: file.sid ?? null,
    modality: typeof file.header?.modality === "string" ? file.header.modality : null,
  };
}

/** niivue picks its reader by extension: the name it gets must end like the real format. */
export function readerName(source: Source): string {
  return source.series ? `${source.key.replace(":", "_")}.nii.gz` : source.name;
}

let localCounter = 0;
export function localSource(file: File): Source | string {
  const kind = kindOf(null, file.name);
  if (kind === null) return `${file.name}: not a format the viewer reads (NIfTI, NRRD, MGH/MGZ, GIFTI, TCK, TRK, STL)`;
  if (/\.dcm$/i.test(file.name)) return `${file.name}: DICOM files from your computer are not shown; import them first`;
  localCounter += 1;
  return { key: `local:${localCounter}:${file.name}`, name: file.name, kind, fileId: null, url: null, series: false, local: file };
}

/** The shared-state document (the server's ViewerState, as it answers it: every field present). */
export type ItemState = ItemStateOutput;
export type ViewportState = ViewportStateOutput;
export type ViewerState = ViewerStateOutput;

export function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** Item state from a look (NaN limits, meaning "automatic", become null). */
export function itemState(source: Source, role: Role, look: Look): ItemState | null {
  if (source.fileId === null) return null;
  let calMin = finite(look.calMin);
  let calMax = finite(look.calMax);
  if (calMin !== null && calMax !== null && calMin >= calMax) {
    calMin = null;
    calMax = null;
  }
  return {
    file_id: source.fileId,
    name: source.name,
    kind: source.kind,
    role,
    series: source.series,
    visible: look.visible,
    colormap: look.colormap,
    cal_min: calMin,
    cal_max: calMax,
    opacity: look.opacity,
    frame: look.frame,
    outline: look.outline,
    slice: null,
  };
}

export function lookFromState(item: ItemState, fallback: Look): Look {
  return {
    colormap: item.colormap ?? fallback.colormap,
    calMin: item.cal_min ?? Number.NaN,
    calMax: item.cal_max ?? Number.NaN,
    opacity: item.opacity ?? fallback.opacity,
    visible: item.visible,
    outline: item.outline ?? false,
    frame: item.frame ?? 0,
  };
}

/** `?project=P&call={...}` and `?project=P&state=LINK` from the page's address. */
export function parseAddress(search: string): { project: string | null; call: string | null; state: string | null } {
  const params = new URLSearchParams(search);
  return { project: params.get("project"), call: params.get("call"), state: params.get("state") };
}

/**
 * Screen points of a line plot of `values` (x: index, y: value) in a box; a flat series sits in the
 * middle. Non-finite values are drawn at the bottom.
 */
export function plotPoints(
  values: number[],
  box: { x: number; y: number; w: number; h: number },
): { points: [number, number][]; min: number; max: number } {
  const finiteValues = values.filter((v) => Number.isFinite(v));
  const min = finiteValues.length ? Math.min(...finiteValues) : 0;
  const max = finiteValues.length ? Math.max(...finiteValues) : 0;
  const n = values.length;
  const points = values.map((v, i): [number, number] => {
    const x = box.x + (n > 1 ? (i / (n - 1)) * box.w : box.w / 2);
    const f = !Number.isFinite(v) ? 0 : max > min ? (v - min) / (max - min) : 0.5;
    return [x, box.y + box.h - f * box.h];
  });
  return { points, min, max };
}
