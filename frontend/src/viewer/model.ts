/**
 * The viewer's plain data and pure rules: layouts, slicing, file kinds and drop options, CT windows,
 * item appearance, and the shared-state document. No niivue and no DOM here, so it is unit-tested.
 */

export type LayoutName = "single" | "1x2" | "2x2" | "1+3" | "mpr" | "mosaic";
export type SliceName = "axial" | "coronal" | "sagittal" | "render" | "multiplanar" | "mosaic";
export type ItemKind = "volume" | "mesh" | "tract";
export type Role = "background" | "overlay" | "3d";

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
}

/** Viewer URLs of an archive file: DICOM files show their whole series as one converted volume. */
export function archiveSource(project: string, file: { id: number; path: string; format: string; pid?: string; sid?: string | null }): Source | null {
  const name = file.path.split("/").pop() ?? file.path;
  const kind = kindOf(file.format, name);
  if (kind === null) return null;
  const base = `/api/projects/${encodeURIComponent(project)}/viewer/files/${file.id}`;
  const series = file.format === "dicom";
  return {
    key: `file:${file.id}`,
    name: series ? `${name} (series)` : name,
    kind,
    fileId: file.id,
    url: series ? `${base}/series.nii.gz` : `${base}/content`,
    series,
    local: null,
    pid: file.pid ?? null,
    sid: file.sid ?? null,
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

/** The shared-state document (the server's ViewerState). */
export interface ItemState {
  file_id: number;
  name: string;
  kind: ItemKind;
  role: Role;
  series: boolean;
  visible: boolean;
  colormap: string | null;
  cal_min: number | null;
  cal_max: number | null;
  opacity: number | null;
  frame: number | null;
  outline: boolean | null;
}

export interface ViewportState {
  slice: SliceName;
  items: ItemState[];
  zoom: number;
  pan: [number, number, number];
  azimuth: number | null;
  elevation: number | null;
}

export interface ViewerState {
  layout: LayoutName;
  crosshair_mm: [number, number, number] | null;
  viewports: ViewportState[];
  pid: string | null;
  sid: string | null;
}

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
