/**
 * A study's files as series, for the study browser: each image volume is a series (its folder is its
 * description, as import names them), DICOM files are grouped by SeriesInstanceUID, kept originals
 * (`<base>_dicom/`), sidecars and other non-image files are left out. Meshes and tracts come after.
 */
import type { ArchiveFile } from "../api/types";
import { kindOf } from "../viewer/model";

export interface Series {
  /** the file the viewer opens (a DICOM series: its first instance) */
  file: ArchiveFile;
  description: string;
  kind: "volume" | "mesh" | "tract";
  /** slices of a volume (DICOM: instances × frames), null if the header does not say */
  slices: number | null;
  /** time points of a 4D volume */
  frames: number | null;
  modality: string;
}

function numbers(value: unknown): number[] | null {
  return Array.isArray(value) && value.every((v) => typeof v === "number") ? (value as number[]) : null;
}

function folderOf(path: string): string {
  const parts = path.split("/");
  return parts.length > 1 ? parts.slice(0, -1).join("/") : "";
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

export function seriesOf(files: ArchiveFile[]): Series[] {
  const out: Series[] = [];
  const dicom = new Map<string, ArchiveFile[]>();
  for (const f of files) {
    if (/_dicom\//.test(f.path)) continue; // kept originals of a converted series
    const kind = kindOf(f.format, f.path);
    if (kind === null) continue;
    if (f.format === "dicom") {
      const uid = text(f.header["series_instance_uid"]) || `file:${f.id}`;
      dicom.set(uid, [...(dicom.get(uid) ?? []), f]);
      continue;
    }
    const dims = numbers(f.header["dims"]) ?? numbers(f.header["shape"]);
    const name = f.path.split("/").pop() ?? f.path;
    out.push({
      file: f,
      description: folderOf(f.path) || name,
      kind,
      slices: kind === "volume" && dims && dims.length >= 3 ? dims[2]! : null,
      frames: kind === "volume" && dims && dims.length >= 4 && dims[3]! > 1 ? dims[3]! : null,
      modality: text(f.header["modality"]),
    });
  }
  for (const group of dicom.values()) {
    const sorted = [...group].sort((a, b) => a.path.localeCompare(b.path));
    const first = sorted[0]!;
    const frames = sorted.reduce((n, f) => n + (typeof f.header["n_frames"] === "number" ? (f.header["n_frames"] as number) : 1), 0);
    out.push({
      file: first,
      description: text(first.header["series_description"]) || folderOf(first.path) || first.path,
      kind: "volume",
      slices: frames,
      frames: null,
      modality: text(first.header["modality"]),
    });
  }
  const order = { volume: 0, mesh: 1, tract: 2 };
  return out.sort((a, b) => order[a.kind] - order[b.kind] || a.file.path.localeCompare(b.file.path));
}
